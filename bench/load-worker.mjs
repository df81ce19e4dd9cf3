// The client side of bench/load.ts, in plain JavaScript so a worker thread can load it without a
// TypeScript loader. Closed loop: each of `concurrency` callers sends its next request when the last
// one is answered, over keep-alive connections.
import { parentPort } from 'node:worker_threads';
import { Pool } from 'undici';

parentPort.on('message', async (o) => {
  const pool = new Pool(o.url, { connections: o.concurrency, pipelining: 1 });
  const latencies = new Array(o.requests);
  const statuses = new Array(o.requests);
  // Answers are copied back to the caller only when asked for: 3,000 sync answers are 40 MB.
  const bodies = o.keepBodies ? new Array(o.requests) : undefined;
  let next = 0;
  const caller = async () => {
    while (next < o.requests) {
      const i = next++;
      const t0 = performance.now();
      const res = await pool.request({ path: o.path, method: 'POST', body: o.bodies[i % o.bodies.length], headers: { 'content-type': 'application/json' } });
      const text = await res.body.text();
      latencies[i] = performance.now() - t0;
      statuses[i] = res.statusCode;
      if (bodies) bodies[i] = text;
    }
  };
  const start = performance.now();
  await Promise.all(Array.from({ length: o.concurrency }, caller));
  const seconds = (performance.now() - start) / 1000;
  await pool.close();
  parentPort.postMessage({ seconds, latencies, statuses, bodies });
});
