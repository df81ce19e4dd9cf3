#!/usr/bin/env node
// Runs the TypeScript sources directly (tsx), so `npx lazyload` needs no build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/cli.ts');
process.exit(await main(process.argv.slice(2)));
