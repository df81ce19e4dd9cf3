// `lazyload <command>`: one executable for the hook server and the tools around it.

import { parseArgs } from 'node:util';
import client from 'prom-client';
import { connectPrometheus } from './prometheus/index.js';
import { FixtureError, fixtureFiles, loadFixture, replay } from './replay.js';
import { createLogger, parseLevel } from './log.js';
import { DEFAULT_BODY_LIMIT } from './server.js';
import { startServer } from './serve.js';

const USAGE = `Usage: lazyload <command> [options]

Lazy loading for Istio as Metacontroller hooks.

Commands:
  serve              run the hook server (what \`npm start\` runs)
  replay [paths...]  replay fixture files or folders through the hook server

Run \`lazyload <command> --help\` for the options of a command.`;

const HELP: Record<string, string> = {
  serve: `Usage: lazyload serve

Runs the Metacontroller hook server.

Environment:
  PORT            port to listen on (default 8080)
  HOST            address to listen on (default 0.0.0.0)
  PROMETHEUS_URL  Prometheus to learn dependencies from (default: unset, no learning)
  BODY_LIMIT      largest request body in bytes (default ${DEFAULT_BODY_LIMIT})
  LOG_LEVEL       debug, info, warn or error (default info)`,
  replay: `Usage: lazyload replay [paths...]

Posts every fixture (YAML or JSON, see fixtures/README.md) found in the given files or folders
(default: fixtures) through the hook server and compares the answers with the expected ones.
Prints a diff for every mismatch; exits 1 if any fixture does not match.`,
};

const DRAIN_MS = 5_000;

function positiveInt(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive whole number, got ${JSON.stringify(value)}`);
  return n;
}

async function serveCommand(): Promise<number> {
  const env = process.env;
  const logger = createLogger(parseLevel(env.LOG_LEVEL));
  const registry = new client.Registry();
  const prometheus = env.PROMETHEUS_URL ? connectPrometheus(env.PROMETHEUS_URL, registry, logger) : undefined;
  if (prometheus) logger.info('learning dependencies from Prometheus', { address: prometheus.address });
  else logger.info('PROMETHEUS_URL is unset: dependencies are not learned; fences keep their status.metricStatus');
  const running = await startServer({
    registry,
    dependencies: prometheus?.source,
    port: positiveInt('PORT', env.PORT, 8080),
    host: env.HOST || '0.0.0.0',
    bodyLimit: positiveInt('BODY_LIMIT', env.BODY_LIMIT, DEFAULT_BODY_LIMIT),
    logger,
    processMetrics: true,
  });
  // Kubernetes sends SIGTERM while the pod is still an endpoint of the Service: keep answering a few
  // seconds (unready) so Metacontroller's calls move to the other replica, then close.
  const stop = (signal: string) => {
    logger.info('draining', { signal, graceSeconds: DRAIN_MS / 1000 });
    void running
      .close(DRAIN_MS)
      .then(() => prometheus?.close())
      .then(() => process.exit(0));
    setTimeout(() => process.exit(0), DRAIN_MS + 10_000).unref();
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  return new Promise(() => {});
}

async function replayCommand(paths: string[]): Promise<number> {
  let failed = 0;
  let passed = 0;
  for (const file of fixtureFiles(paths.length > 0 ? paths : ['fixtures'])) {
    let result;
    try {
      result = await replay(loadFixture(file));
    } catch (e) {
      if (!(e instanceof FixtureError)) throw e;
      console.log(`FAIL ${file}\n  ${e.message}`);
      failed++;
      continue;
    }
    if (result.differences.length === 0) {
      console.log(`ok   ${file}`);
      passed++;
    } else {
      console.log(`FAIL ${file}${result.fixture.description ? ` — ${result.fixture.description.split('\n')[0]}` : ''}`);
      for (const d of result.differences) console.log(`  ${d}`);
      failed++;
    }
  }
  console.log(`${passed} passed, ${failed} failed`);
  return failed > 0 || passed === 0 ? 1 : 0;
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    console.log(USAGE);
    return command ? 0 : 2;
  }
  if (!(command in HELP)) {
    console.error(`lazyload: unknown command ${JSON.stringify(command)}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parseArgs({ args: rest, options: { help: { type: 'boolean', short: 'h' } }, allowPositionals: true });
  if (values.help) {
    console.log(HELP[command]);
    return 0;
  }
  try {
    return command === 'serve' ? await serveCommand() : await replayCommand(positionals);
  } catch (e) {
    console.error(`lazyload ${command}: ${(e as Error).message}`);
    return 1;
  }
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  main(process.argv.slice(2)).then((code) => process.exit(code));
}
