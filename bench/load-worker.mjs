// The client side of bench/load.ts, in plain JavaScript so a worker thread can load it without a
// TypeScript loader. Closed loop: each of `concurrency` callers sends its next request when the last
// one is answered, over keep-alive connections. POSTs of `bodies` as JSON by default; with
// `method: 'GET'` (or any method and no bodies), requests without a body. `headers` go on every request.
import { parentPort } from 'node:worker_threads';
import { Pool } from 'undici';

parentPort.on('message', async (o) => {
  const pool = new Pool(o.url, { connections: o.concurrency, pipelining: 1 });
  const method = o.method ?? 'POST';
  const bodies = o.bodies ?? [];
  const headers = bodies.length > 0 ? { 'content-type': 'application/json', ...o.headers } : { ...o.headers };
  const latencies = new Array(o.requests);
  const statuses = new Array(o.requests);
  // Answers are copied back to the caller only when asked for: 3,000 sync answers are 40 MB.
  const kept = o.keepBodies ? new Array(o.requests) : undefined;
  let bytes = 0;
  let next = 0;
  const caller = async () => {
    while (next < o.requests) {
      const i = next++;
      const t0 = performance.now();
      const body = bodies.length > 0 ? bodies[i % bodies.length] : undefined;
      const res = await pool.request({ path: o.path, method, body, headers });
      const text = await res.body.text();
      latencies[i] = performance.now() - t0;
      statuses[i] = res.statusCode;
      bytes += text.length;
      if (kept) kept[i] = text;
    }
  };
  const start = performance.now();
  await Promise.all(Array.from({ length: o.concurrency }, caller));
  const seconds = (performance.now() - start) / 1000;
  await pool.close();
  parentPort.postMessage({ seconds, latencies, statuses, bytes, bodies: kept });
});
