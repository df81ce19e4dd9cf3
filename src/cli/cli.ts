// `lazyload <command>`: one executable for the hook server and the tools around it.

import { parseArgs } from 'node:util';
import client from 'prom-client';
import { DEFAULT_PROBE_PORT, isNamespaceName } from '../core/config.js';
import { connectPrometheus } from '../prometheus/index.js';
import { readInputs } from './inputs.js';
import { render } from './render.js';
import { FixtureError, fixtureFiles, loadFixture, replay } from './replay.js';
import { type Logger, createLogger, parseLevel } from '../log.js';
import { DEFAULT_BODY_LIMIT } from '../server.js';
import { listenHost } from '../host.js';
import { startServer } from './serve.js';
import { startForwarder } from '../forwarder/index.js';
import { DEFAULT_GLOBAL_SIDECAR_IMAGE, PORTS_FILE_DIR, PORTS_FILE_KEY } from '../core/globalsidecar-objects.js';
import { VERSION } from '../package.js';

const DEFAULT_PORTS_FILE = `${PORTS_FILE_DIR}/${PORTS_FILE_KEY}`;

const USAGE = `Usage: lazyload <command> [options]

Lazy loading for Istio as Metacontroller hooks.

Commands:
  serve              run the hook server (what \`npm start\` runs)
  forwarder          run the global sidecar: forward unknown calls and count them
  replay [paths...]  replay fixture files or folders through the hook server
  render -f FILE...  print what the hooks would emit for lazyload, Service and Namespace YAML

Run \`lazyload <command> --help\` for the options of a command, \`lazyload --version\` for the version.`;

const HELP: Record<string, string> = {
  serve: `Usage: lazyload serve

Runs the Metacontroller hook server.

Environment:
  PORT            port to listen on (default 8080)
  HOST            address to listen on (default ::, every IPv6 and IPv4 address; 0.0.0.0
                  where the kernel has no IPv6)
  PROMETHEUS_URL  Prometheus to learn dependencies from (default: unset, no learning)
  BODY_LIMIT      largest request body in bytes (default ${DEFAULT_BODY_LIMIT})
  GLOBAL_SIDECAR_IMAGE  the forwarder image of global sidecars whose LazyloadConfig names none
                  (default ${DEFAULT_GLOBAL_SIDECAR_IMAGE}; the manifests set it to this server's image)
  LOG_LEVEL       debug, info, warn or error, in any case (default info); another value
                  stops the start`,
  forwarder: `Usage: lazyload forwarder

Runs the global sidecar: an HTTP/1.1 forwarder on every wormhole port of its ports file. A request
goes to Slime-Orig-Dest (ip:port) when it has one, else to its Host (a host without a dot is a
Service of Slime-Source-Ns); Slime-* headers are removed and Via added, everything else passes
unchanged. Calls are counted in lazyload_dependency_requests_total on the probe port's /metrics.

Environment:
  WORMHOLE_PORTS_FILE      YAML \`wormholePorts: [80, 9080]\`, re-read every 2 s
                           (default ${DEFAULT_PORTS_FILE})
  PROBE_PORT               /healthz/live, /healthz/ready and /metrics (default ${DEFAULT_PROBE_PORT})
  HOST                     address of every listener (default ::, every IPv6 and IPv4 address;
                           0.0.0.0 where the kernel has no IPv6)
  CONNECT_TIMEOUT_SECONDS  upstream connect timeout, then 504 (default 10)
  UPSTREAM_TIMEOUT_SECONDS longest wait for response headers or the next piece of a body (default 300)
  LOG_LEVEL                debug, info, warn or error, in any case (default info); another value
                           stops the start`,
  replay: `Usage: lazyload replay [paths...]

Posts every fixture (YAML or JSON, see fixtures/README.md) found in the given files or folders
(default: fixtures) through the hook server and compares the answers with the expected ones.
Prints a diff for every mismatch; exits 1 if any fixture does not match.`,
  render: `Usage: lazyload render -f FILE [-f FILE...] [-n NAMESPACE] [--global-sidecar] [--now TIME]

Prints what the hooks would emit for the objects in the files, without a cluster, running the same
code as the hooks. For each ServiceFence, in input order: its Sidecar, then its EnvoyFilter when it
has one. Each Service is given or denied its auto fence as the autofence hook would (with
autoFence on, a note says why): an auto fence is printed before its Sidecar, and an auto fence of
the input that would be deleted (autoFence off included) is not rendered. With no ServiceFence, the
global-sidecar objects of the LazyloadConfig (one set per global-sidecar namespace; none in mode
none).

Input: multi-document YAML holding LazyloadConfig and ServiceFence (microservice.slime.io), Service
(v1) and Namespace (v1) objects; the items of a \`kind: List\` are read too, other kinds are skipped
with a note. Auto-fence reads a Service's Namespace for its labels: give it when they matter.
Only the LazyloadConfig named default is read (as by the hooks); without one, the built-in defaults
apply. Learned dependencies are read from a fence's status.metricStatus; no Prometheus is asked.
No Sidecar is observed, so a fence with fromService and no Service gets none.

Options:
  -f, --filename FILE   a YAML file to read, - for stdin, or a directory: its .yaml, .yml and
                        .json files by name, not its subdirectories; repeat for more (required)
  -n, --namespace NS    namespace of namespaced objects that have none (default "default")
      --global-sidecar  also print the global-sidecar objects when fences are given (after them)
      --now TIME        evaluate deadlines at this RFC 3339 time, e.g. 2024-05-01T12:00:00Z
                        (default: the current time)
  -h, --help            show this help

Output: the objects on stdout as multi-document YAML, ready for \`kubectl apply -f -\`. Problems on
stderr, one a line, as FILE: document N (Kind namespace/name): field: message (documents counted
from 1 in each file, stdin named <stdin>). Lines starting with warning: or note: do not change the
exit code.

Exit status: 0 when everything rendered; 1 on any error (a file that cannot be read, a YAML syntax
error, an object that is not a Kubernetes object, an invalid field of a LazyloadConfig or
ServiceFence, a LazyloadConfig not named default or given twice); everything that could be
rendered is still printed. 2 on a usage error.`,
};

const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/i;

/** A command given wrong arguments: why, and how to call it, on stderr; exit 2. */
function usageError(command: string, message: string): number {
  console.error(`lazyload ${command}: ${message}\n\n${HELP[command].split('\n')[0]}\nRun \`lazyload ${command} --help\` for more.`);
  return 2;
}

const renderUsageError = (message: string): number => usageError('render', message);

// node:util's advice on positionals that start with '-' only misleads on commands that take none,
// and hardly helps on the others.
const argsMessage = (e: unknown): string => (e as Error).message.replace(/^(Unknown option '[^']*')\..*$/s, '$1');

async function renderCommand(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      options: {
        filename: { type: 'string', short: 'f', multiple: true },
        namespace: { type: 'string', short: 'n', default: 'default' },
        'global-sidecar': { type: 'boolean', default: false },
        now: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: true,
    });
  } catch (e) {
    return renderUsageError(argsMessage(e));
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(HELP.render);
    return 0;
  }
  if (positionals.length > 0) return renderUsageError(`unexpected argument ${JSON.stringify(positionals[0])}: files are given with -f`);
  if (!values.filename || values.filename.length === 0) return renderUsageError('no input: give at least one -f FILE (- for stdin)');
  if (!isNamespaceName(values.namespace)) return renderUsageError(`--namespace ${JSON.stringify(values.namespace)} is not a namespace name`);
  const now = values.now === undefined ? new Date() : new Date(values.now);
  if (values.now !== undefined && (!RFC3339.test(values.now) || Number.isNaN(now.getTime()))) {
    return renderUsageError(`--now ${JSON.stringify(values.now)} is not an RFC 3339 time such as 2024-05-01T12:00:00Z`);
  }
  const { files, errors: unreadable } = readInputs(values.filename);
  const out = render({ files, namespace: values.namespace, now, globalSidecar: values['global-sidecar'] });
  await new Promise<void>((resolve) => process.stdout.write(out.stdout, () => resolve()));
  for (const l of [...out.warnings, ...unreadable, ...out.errors]) console.error(l);
  return unreadable.length > 0 || out.errors.length > 0 ? 1 : 0;
}

const DRAIN_MS = 5_000;
const FORWARDER_GRACE_MS = 20_000;

function positiveInt(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive whole number, got ${JSON.stringify(value)}`);
  return n;
}

async function serveCommand(logger: Logger): Promise<number> {
  const env = process.env;
  const registry = new client.Registry();
  const prometheus = env.PROMETHEUS_URL ? connectPrometheus(env.PROMETHEUS_URL, registry, logger) : undefined;
  if (prometheus) logger.info('learning dependencies from Prometheus', { address: prometheus.address });
  else logger.info('PROMETHEUS_URL is unset: dependencies are not learned; fences keep their status.metricStatus');
  const running = await startServer({
    registry,
    dependencies: prometheus?.source,
    port: positiveInt('PORT', env.PORT, 8080),
    host: await listenHost(env.HOST, logger),
    bodyLimit: positiveInt('BODY_LIMIT', env.BODY_LIMIT, DEFAULT_BODY_LIMIT),
    globalSidecarImage: env.GLOBAL_SIDECAR_IMAGE || undefined,
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

async function forwarderCommand(logger: Logger): Promise<number> {
  const env = process.env;
  const running = await startForwarder({
    portsFile: env.WORMHOLE_PORTS_FILE || DEFAULT_PORTS_FILE,
    probePort: positiveInt('PROBE_PORT', env.PROBE_PORT, DEFAULT_PROBE_PORT),
    host: await listenHost(env.HOST, logger),
    connectTimeoutMs: positiveInt('CONNECT_TIMEOUT_SECONDS', env.CONNECT_TIMEOUT_SECONDS, 10) * 1000,
    upstreamTimeoutMs: positiveInt('UPSTREAM_TIMEOUT_SECONDS', env.UPSTREAM_TIMEOUT_SECONDS, 300) * 1000,
    logger,
    processMetrics: true,
  });
  // As the hook server: unready but still forwarding while endpoints drop the pod, then no new
  // connections, and the calls in flight finish.
  const stop = (signal: string) => {
    logger.info('draining', { signal, graceSeconds: (DRAIN_MS + FORWARDER_GRACE_MS) / 1000 });
    void running.close({ drainMs: DRAIN_MS, graceMs: FORWARDER_GRACE_MS }).then(() => process.exit(0));
    setTimeout(() => process.exit(0), DRAIN_MS + FORWARDER_GRACE_MS + 5_000).unref();
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  return new Promise(() => {});
}

/**
 * Starts a server with the logger LOG_LEVEL asks for. A failure to start (a bad setting, a port in
 * use, LOG_LEVEL itself) is logged as JSON like every other line the server writes, so the log
 * collector that reads the pod's output sees why it exited.
 */
async function startDaemon(command: string, run: (logger: Logger) => Promise<number>): Promise<number> {
  let logger = createLogger('info');
  try {
    logger = createLogger(parseLevel(process.env.LOG_LEVEL));
    return await run(logger);
  } catch (e) {
    logger.error('cannot start', { command, error: (e as Error).message });
    return 1;
  }
}

async function replayCommand(paths: string[]): Promise<number> {
  const where = paths.length > 0 ? paths : ['fixtures'];
  const files = fixtureFiles(where);
  // "0 passed, 0 failed" would read as a pass at a glance.
  if (files.length === 0) {
    console.error(`lazyload replay: no fixtures in ${where.join(', ')} (fixtures are .yaml, .yml or .json files)`);
    return 1;
  }
  let failed = 0;
  let passed = 0;
  for (const file of files) {
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
  return failed > 0 ? 1 : 0;
}

function unknown(word: string): number {
  console.error(`lazyload: unknown ${word.startsWith('-') ? 'option' : 'command'} ${JSON.stringify(word)}\n\n${USAGE}`);
  return 2;
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === '--version') {
    console.log(VERSION);
    return 0;
  }
  // Asked for, usage goes to stdout; given instead of an answer (no or bad arguments), to stderr.
  if (command === '--help' || command === '-h' || command === 'help') {
    const topic = command === 'help' ? rest[0] : undefined;
    if (topic === undefined) console.log(USAGE);
    else if (Object.hasOwn(HELP, topic)) console.log(HELP[topic]);
    else return unknown(topic);
    return 0;
  }
  if (command === undefined) {
    console.error(USAGE);
    return 2;
  }
  if (!Object.hasOwn(HELP, command)) return unknown(command);
  if (command === 'render') return renderCommand(rest);
  let parsed;
  try {
    parsed = parseArgs({ args: rest, options: { help: { type: 'boolean', short: 'h' } }, allowPositionals: true });
  } catch (e) {
    return usageError(command, argsMessage(e));
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(HELP[command]);
    return 0;
  }
  // A stray word is most likely a setting meant for the environment: refuse it rather than run
  // without it.
  if (command !== 'replay' && positionals.length > 0) {
    return usageError(command, `unexpected argument ${JSON.stringify(positionals[0])}: ${command} takes no arguments; it is set up by environment variables`);
  }
  try {
    if (command === 'serve') return await startDaemon(command, serveCommand);
    if (command === 'forwarder') return await startDaemon(command, forwarderCommand);
    return await replayCommand(positionals);
  } catch (e) {
    console.error(`lazyload ${command}: ${(e as Error).message}`);
    return 1;
  }
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  main(process.argv.slice(2)).then((code) => process.exit(code));
}
