// `npm run bench`: every benchmark, printed as tables to paste into BENCHMARKS.md.
// `npm run bench -- sync` or `npm run bench -- prometheus` runs one of them.

import { printPrometheus } from './prometheus/index.js';
import { printSync } from './sync.js';

async function main() {
  const only = process.argv[2];
  if (only !== undefined && only !== 'sync' && only !== 'prometheus') throw new Error(`unknown benchmark ${JSON.stringify(only)} (sync, prometheus)`);
  if (only !== 'prometheus') await printSync();
  if (only === undefined) console.log('');
  if (only !== 'sync') await printPrometheus();
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
