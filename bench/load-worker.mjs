// The client side of bench/load.ts, in plain JavaScript so a worker thread can load it without a
// TypeScript loader. Closed loop: each of `concurrency` callers sends its next request when the last
// one is answered, over keep-alive connections.
import { parentPort, workerData } from 'node:worker_threads';
import { Pool } from 'undici';

const o = workerData;
const pool = new Pool(o.url, { connections: o.concurrency, pipelining: 1 });
const latencies = [];
let next = 0;
const worker = async () => {
  while (next < o.requests) {
    next++;
    const t0 = process.hrtime.bigint();
    const res = await pool.request({ path: o.path, method: 'POST', body: o.body, headers: { 'content-type': 'application/json' } });
    await res.body.text();
    if (res.statusCode !== 200) throw new Error(`${o.path} answered ${res.statusCode}`);
    latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
};
const start = process.hrtime.bigint();
await Promise.all(Array.from({ length: o.concurrency }, worker));
const seconds = Number(process.hrtime.bigint() - start) / 1e9;
await pool.close();
latencies.sort((a, b) => a - b);
const at = (p) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))];
parentPort.postMessage({ requests: latencies.length, seconds, perSecond: latencies.length / seconds, p50ms: at(0.5), p99ms: at(0.99) });
