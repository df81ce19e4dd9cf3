// Many fences synced within one refresh window: how many queries reach Prometheus per window, and
// what the syncs that wait for one cost against those served from the cache.

import { setTimeout as sleep } from 'node:timers/promises';
import { condition, sidecarHosts } from '../../test/support/fence-request.js';
import type { RunningPrometheus } from '../../test/support/prometheus.js';
import type { LoadClient, Pass } from '../load.js';
import { quantile } from '../stats.js';
import { delta, ourMetrics, startHook, total } from './hook.js';
import { type Fence, type Mode, REFRESH_SECONDS, syncRequest } from './mesh.js';

/** An answer from the cache takes microseconds; one that waited for Prometheus, tens of ms. */
const WAITED_MS = 1;

export interface WindowResult {
  mode: Mode;
  fences: number;
  passes: number;
  /** Duration of each pass, seconds: every pass must fit in one refresh window. */
  passSeconds: number[];
  /** Our counter's delta over the run, by `mode/outcome`. */
  queries: Map<string, number>;
  queriesPerWindow: number;
  /** Prometheus's own count of evaluated queries over the run (a cross-check). */
  prometheusEvaluated: number;
  meanQueryMs: number;
  syncsPerSecond: number;
  p50ms: number;
  p99ms: number;
  maxMs: number;
  syncs: number;
  /** Syncs that waited for a Prometheus answer: how many, how long in the source, their latency. */
  waited: number;
  waitedMedianMs: number;
  waitedMaxMs: number;
  waitedP50ms: number;
  /** Latency of the syncs served from the cache (undefined: there were none). */
  cachedP50ms?: number;
  cachedP99ms?: number;
}

/** Checks every answer: 200, the source answered, and the Sidecar holds the fence's dependencies. */
function verify(pass: Pass, chosen: Fence[]): void {
  for (const [i, body] of pass.bodies!.entries()) {
    const fence = `${chosen[i].namespace}/${chosen[i].app}`;
    if (pass.statuses[i] !== 200) throw new Error(`sync of ${fence} answered ${pass.statuses[i]}: ${body.slice(0, 300)}`);
    const res = JSON.parse(body);
    const cond = condition(res, 'DependencySourceAvailable');
    if (cond?.status !== 'True') throw new Error(`sync of ${fence}: ${JSON.stringify(cond)}`);
    const hosts = sidecarHosts(res) ?? [];
    for (const h of chosen[i].dependencies) if (!hosts.includes(`*/${h}`)) throw new Error(`sync of ${fence}: the Sidecar lacks ${h}`);
    // Just after the shared answer expires: at most refreshSeconds, in whole seconds.
    if (!Number.isInteger(res.resyncAfterSeconds) || res.resyncAfterSeconds < 1 || res.resyncAfterSeconds > REFRESH_SECONDS) throw new Error(`sync of ${fence}: resyncAfterSeconds ${res.resyncAfterSeconds}, expected 1..${REFRESH_SECONDS}`);
  }
}

/**
 * `passes` passes over the first `n` fences, each in its own refresh window: the next starts
 * refreshSeconds after the last ended, when the answer the last one fetched has expired.
 */
export async function windows(prom: RunningPrometheus, client: LoadClient, all: Fence[], mode: Mode, n: number, passes: number, concurrency: number): Promise<WindowResult> {
  const chosen = all.slice(0, n);
  const bodies = chosen.map((f, i) => JSON.stringify(syncRequest(f, mode, i)));
  const hook = await startHook(prom.url);
  const before = await ourMetrics(hook.server.url);
  const evaluatedBefore = await prom.evaluatedQueries();
  const results: Pass[] = [];
  const waitMs: number[] = [];
  const waitedLatency: number[] = [];
  const cachedLatency: number[] = [];
  for (let p = 0; p < passes; p++) {
    if (p > 0) await sleep(REFRESH_SECONDS * 1000 + 100);
    const r = await client.pass({ url: hook.server.url, path: '/servicefence/sync', bodies, concurrency, keepBodies: true });
    verify(r, chosen);
    results.push(r);
    // Each fence is synced once per pass, so its time in the source tells which syncs waited.
    for (const [i, f] of chosen.entries()) {
      const ms = hook.learns.get(`${f.namespace}/${f.app}`)!.at(-1)!.ms;
      if (ms >= WAITED_MS) {
        waitMs.push(ms);
        waitedLatency.push(r.latencies[i]);
      } else cachedLatency.push(r.latencies[i]);
    }
  }
  const after = await ourMetrics(hook.server.url);
  const prometheusEvaluated = (await prom.evaluatedQueries()) - evaluatedBefore;
  await hook.close();

  const queries = delta(after.queries, before.queries);
  const latencies = results.flatMap((r) => r.latencies);
  const durSum = total(delta(after.durationSum, before.durationSum));
  const durCount = total(delta(after.durationCount, before.durationCount));
  return {
    mode,
    fences: n,
    passes,
    passSeconds: results.map((r) => r.seconds),
    queries,
    queriesPerWindow: total(queries) / passes,
    prometheusEvaluated,
    meanQueryMs: durCount ? (durSum / durCount) * 1000 : 0,
    syncsPerSecond: latencies.length / results.reduce((a, r) => a + r.seconds, 0),
    p50ms: quantile(latencies, 0.5),
    p99ms: quantile(latencies, 0.99),
    maxMs: Math.max(...latencies),
    syncs: latencies.length,
    waited: waitMs.length,
    waitedMedianMs: waitMs.length ? quantile(waitMs, 0.5) : 0,
    waitedMaxMs: waitMs.length ? Math.max(...waitMs) : 0,
    waitedP50ms: waitMs.length ? quantile(waitedLatency, 0.5) : 0,
    cachedP50ms: cachedLatency.length ? quantile(cachedLatency, 0.5) : undefined,
    cachedP99ms: cachedLatency.length ? quantile(cachedLatency, 0.99) : undefined,
  };
}
