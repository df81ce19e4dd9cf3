// `npm run bench`: every benchmark, printed as a table to paste into BENCHMARKS.md.

import { benchSync } from './sync.js';

const f = (n: number, digits = 1) => n.toFixed(digits);

async function main() {
  const requests = Number(process.env.BENCH_REQUESTS ?? 3000);
  const s = await benchSync({ requests, concurrency: 8, rounds: 5 });
  console.log(`servicefence sync over HTTP (request ${s.requestBytes} B, response ${s.responseBytes} B, floor response ${s.floorBytes} B; ${requests} requests x 5 interleaved rounds, 8 connections, medians)`);
  console.log('| endpoint | req/s | p50 ms | p99 ms |');
  console.log('|---|---|---|---|');
  console.log(`| /servicefence/sync | ${f(s.sync.perSecond, 0)} | ${f(s.sync.p50ms, 2)} | ${f(s.sync.p99ms, 2)} |`);
  console.log(`| floor (parse + equal-size JSON) | ${f(s.floor.perSecond, 0)} | ${f(s.floor.p50ms, 2)} | ${f(s.floor.p99ms, 2)} |`);
  console.log(`ratio sync/floor: ${f(s.ratio, 2)} (target >= 0.6) ${s.ratio >= 0.6 ? 'OK' : 'BELOW TARGET'}`);
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
