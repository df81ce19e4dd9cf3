#!/usr/bin/env node
// Runs the compiled code in dist/ (`npm run build`); the sources run through tsx with `npm run dev`.
import { existsSync } from 'node:fs';

const entry = new URL('../dist/src/cli/cli.js', import.meta.url);
if (!existsSync(entry)) {
  console.error('lazyload: the compiled code (dist/) is missing: run `npm run build` first.');
  process.exit(1);
}
const { main } = await import(entry.href);
process.exit(await main(process.argv.slice(2)));
