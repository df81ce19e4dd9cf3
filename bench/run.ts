// `npm run bench`: every benchmark, printed as tables to paste into BENCHMARKS.md.
// `npm run bench -- sync`, `npm run bench -- prometheus` or `npm run bench -- forwarder` runs one of them.

import { printForwarder } from './forwarder.js';
import { printPrometheus } from './prometheus/index.js';
import { printSync } from './sync.js';

const BENCHMARKS: Record<string, () => Promise<void>> = { sync: printSync, prometheus: printPrometheus, forwarder: printForwarder };

async function main() {
  const only = process.argv[2];
  if (only !== undefined && !Object.hasOwn(BENCHMARKS, only)) throw new Error(`unknown benchmark ${JSON.stringify(only)} (${Object.keys(BENCHMARKS).join(', ')})`);
  const chosen = only === undefined ? Object.keys(BENCHMARKS) : [only];
  for (const [i, name] of chosen.entries()) {
    if (i > 0) console.log('');
    await BENCHMARKS[name]();
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
