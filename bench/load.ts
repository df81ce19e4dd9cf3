// A closed-loop HTTP load generator over keep-alive connections (undici), for comparing two
// endpoints in the same run: absolute numbers on a shared 2-core machine mean little, ratios do.
// The client runs in a worker thread, so it does not share the server's event loop.

import { Worker } from 'node:worker_threads';

export interface LoadResult {
  requests: number;
  seconds: number;
  perSecond: number;
  p50ms: number;
  p99ms: number;
}

export interface LoadOptions {
  url: string;
  path: string;
  body: string;
  requests: number;
  concurrency: number;
}

export function load(o: LoadOptions): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./load-worker.mjs', import.meta.url), { workerData: o });
    worker.once('message', resolve);
    worker.once('error', reject);
  });
}

export const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
