// Fences resynced the way Metacontroller does: each one's next sync resyncAfterSeconds after its last
// answer, carrying the status and the Sidecar that answer wrote, so that what a sync learned shows
// in the next request as it would in the cluster. The loops run in this process (on the hook server's
// event loop) with no limit on syncs in flight, where Metacontroller works through a queue with a
// bounded number of workers.

import { setTimeout as sleep } from 'node:timers/promises';
import { condition, sidecarHosts } from '../../test/support/fence-request.js';
import { waitFor } from '../../test/support/prometheus.js';
import { type Fence, REFRESH_SECONDS, syncRequest } from './mesh.js';

export interface Sync {
  /** Index of the fence in the loops' fences. */
  fence: number;
  /** Which of the fence's syncs this is, from 0. */
  n: number;
  /** performance.now when the request was sent and when its answer arrived. */
  sentAt: number;
  answeredAt: number;
  resyncAfterSeconds: number;
}

export class ResyncLoops {
  readonly syncs: Sync[] = [];
  failedSyncs = 0;
  /** When the latest answer to any fence arrived. */
  lastAnswerAt = 0;
  private readonly answered = new Set<number>();
  private readonly watches = new Map<number, { host: string; seen?: Sync }>();
  private stopped = false;
  private readonly loops: Promise<void>[];
  private readonly failed: Promise<never>;

  constructor(
    private readonly hookUrl: string,
    readonly fences: Fence[],
  ) {
    this.loops = fences.map((f, i) => this.loop(f, i));
    this.failed = new Promise((_, reject) => {
      for (const l of this.loops) l.catch(reject);
    });
    this.failed.catch(() => {}); // reported by until() or stop()
  }

  /** `p`, or the first loop's failure if that comes first: a broken loop would otherwise look like a timeout. */
  until<T>(p: Promise<T>): Promise<T> {
    return Promise.race([p, this.failed]);
  }

  /** Once every fence has had an answer. */
  started(): Promise<true> {
    return this.until(waitFor('every fence to sync once', async () => (this.answered.size === this.fences.length ? true : undefined), (REFRESH_SECONDS + 10) * 1000, 20));
  }

  /** From now on, note the first answer to fence `i` whose Sidecar holds `host`. */
  watch(i: number, host: string): void {
    this.watches.set(i, { host });
  }

  /** The first sync of each of the fences `indexes` answered with its watched host, once all have been. */
  seen(indexes: number[]): Promise<Sync[]> {
    const seen = () => indexes.map((i) => this.watches.get(i)?.seen);
    return this.until(waitFor(`answers with the new hosts of ${indexes.length} fences`, async () => (seen().every((s) => s !== undefined) ? (seen() as Sync[]) : undefined), (2 * REFRESH_SECONDS + 10) * 1000, 20));
  }

  /** Stops every loop; throws the first loop's failure, if any. */
  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.allSettled(this.loops);
    await Promise.all(this.loops);
  }

  private async loop(f: Fence, i: number): Promise<void> {
    // Spread over one window, as fences created or resynced at unrelated times would be.
    await sleep((i * REFRESH_SECONDS * 1000) / this.fences.length);
    const request = syncRequest(f, 'batched', i);
    const key = `${f.namespace}/${f.app}`;
    for (let n = 0; !this.stopped; n++) {
      const t0 = performance.now();
      const res = await fetch(`${this.hookUrl}/servicefence/sync`, { method: 'POST', body: JSON.stringify(request), headers: { 'content-type': 'application/json' } });
      const body: any = await res.json();
      const at = performance.now();
      if (res.status !== 200) throw new Error(`sync of ${key} answered ${res.status}: ${JSON.stringify(body)}`);
      const sync: Sync = { fence: i, n, sentAt: t0, answeredAt: at, resyncAfterSeconds: body.resyncAfterSeconds };
      this.syncs.push(sync);
      this.answered.add(i);
      this.lastAnswerAt = at;
      if (condition(body, 'DependencySourceAvailable')?.status !== 'True') this.failedSyncs++;
      const w = this.watches.get(i);
      if (w && w.seen === undefined && sidecarHosts(body)?.includes(`*/${w.host}`)) w.seen = sync;
      request.parent.status = { ...body.status, observedGeneration: request.parent.metadata.generation };
      request.children['Sidecar.networking.istio.io/v1'][key].spec = body.children[0].spec;
      // In short steps, so that stop() need not wait out a whole resync.
      const until = Date.now() + body.resyncAfterSeconds * 1000;
      while (!this.stopped && Date.now() < until) await sleep(Math.min(100, until - Date.now()));
    }
  }
}
