// A closed-loop HTTP load generator over keep-alive connections (undici), for comparing two
// endpoints in the same run: absolute numbers on a shared 2-core machine mean little, ratios do.
// The client runs in a worker thread, so it does not share the server's event loop.

import { Worker } from 'node:worker_threads';
import { quantile } from './stats.js';

export interface PassOptions {
  url: string;
  path: string;
  /** POSTed as JSON in turn: request i carries bodies[i % bodies.length]. None: requests without a body. */
  bodies?: string[];
  /** Default: one request per body (required without bodies). */
  requests?: number;
  /** Default POST. */
  method?: string;
  /** Sent on every request (a `host` here replaces the URL's). */
  headers?: Record<string, string>;
  concurrency: number;
  /** Return every answer's body, in request order. */
  keepBodies?: boolean;
}

export interface Pass {
  seconds: number;
  /** In request order, as are statuses and bodies. */
  latencies: number[];
  statuses: number[];
  /** Characters of every answer's body, together. */
  bytes: number;
  bodies?: string[];
}

/** One worker kept for many passes, so that its JIT and undici stay warm between them. */
export class LoadClient {
  private readonly worker = new Worker(new URL('./load-worker.mjs', import.meta.url));

  pass(o: PassOptions): Promise<Pass> {
    const requests = o.requests ?? o.bodies?.length;
    if (requests === undefined) return Promise.reject(new Error('a pass without bodies needs a number of requests'));
    return new Promise((resolve, reject) => {
      const failed = (e: Error) => reject(e);
      this.worker.once('error', failed);
      this.worker.once('message', (pass: Pass) => {
        this.worker.off('error', failed);
        resolve(pass);
      });
      this.worker.postMessage({ ...o, requests });
    });
  }

  close(): Promise<number> {
    return this.worker.terminate();
  }
}

export interface LoadResult {
  perSecond: number;
  p50ms: number;
  p99ms: number;
}

/** `requests` posts of one body in a fresh worker; any answer but 200 fails the run. */
export async function load(o: { url: string; path: string; body: string; requests: number; concurrency: number }): Promise<LoadResult> {
  const client = new LoadClient();
  try {
    const pass = await client.pass({ url: o.url, path: o.path, bodies: [o.body], requests: o.requests, concurrency: o.concurrency });
    const bad = pass.statuses.find((s) => s !== 200);
    if (bad !== undefined) throw new Error(`${o.path} answered ${bad}`);
    return { perSecond: pass.latencies.length / pass.seconds, p50ms: quantile(pass.latencies, 0.5), p99ms: quantile(pass.latencies, 0.99) };
  } finally {
    await client.close();
  }
}
