// `npm run bench`: every benchmark, printed as tables to paste into BENCHMARKS.md.
// `npm run bench -- sync`, `npm run bench -- prometheus` or `npm run bench -- forwarder` runs one of them.

import { printForwarder } from './forwarder.js';
import { printPrometheus } from './prometheus/index.js';
import { printSync } from './sync.js';

const BENCHMARKS: Record<string, { about: string; print: () => Promise<void> }> = {
  sync: { about: 'servicefence sync over HTTP against a parse-and-answer floor', print: printSync },
  prometheus: { about: 'the Prometheus dependency source against a real Prometheus', print: printPrometheus },
  forwarder: { about: 'the global-sidecar forwarder against a direct call', print: printForwarder },
};

const USAGE = `Usage: npm run bench [-- BENCHMARK]

Runs every benchmark, or the one named, and prints its tables in the form of BENCHMARKS.md.

Benchmarks:
${Object.entries(BENCHMARKS)
  .map(([name, b]) => `  ${name.padEnd(12)}${b.about}`)
  .join('\n')}`;

function usageError(message: string): number {
  console.error(`bench: ${message}\n\n${USAGE}`);
  return 2;
}

/** The benchmarks to run, or the exit code when there is nothing to run. */
function chosen(args: string[]): string[] | number {
  if (args.length === 0) return Object.keys(BENCHMARKS);
  const [only, ...rest] = args;
  if (only === '--help' || only === '-h' || only === 'help') {
    console.log(USAGE);
    return 0;
  }
  if (!Object.hasOwn(BENCHMARKS, only)) return usageError(`unknown benchmark ${JSON.stringify(only)}`);
  if (rest.length > 0) return usageError(`one benchmark at a time, not ${JSON.stringify(rest[0])} too`);
  return [only];
}

async function main(): Promise<number> {
  const names = chosen(process.argv.slice(2));
  if (typeof names === 'number') return names;
  for (const [i, name] of names.entries()) {
    if (i > 0) console.log('');
    await BENCHMARKS[name].print();
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
