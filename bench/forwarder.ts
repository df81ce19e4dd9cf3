// The global-sidecar forwarder (`lazyload forwarder`) against a direct call, measured in the same run:
// the same GET of a 1 kB answer from a plain node:http upstream, once straight to it and once through
// the forwarder with the headers a fenced proxy adds. Also through a trivial node:http + undici
// pass-through (bench/forwarder-passthrough.mjs), to tell the forwarder's own cost from the stack's.
// Each server runs in its own process (2 cores: a proxy sharing an event loop with the upstream or
// the client would distort the ratio), the client in a worker thread of this one.

import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, waitFor } from '../test/support/prometheus.js';
import { LoadClient, type Pass } from './load.js';
import { fixed, median, quantile } from './stats.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const GUARD = fileURLToPath(new URL('./exit-with-parent.mjs', import.meta.url));
const BODY_BYTES = 1024;
const SOURCE = { namespace: 'default', fence: 'productpage' };
/** The Service `Host: reviews` from namespace `default` is counted for. */
const DESTINATION = 'reviews.default.svc.cluster.local';
export const TARGET_RATIO = 0.5;
export const TARGET_ADDED_P50_MS = 1;

type Subject = 'direct' | 'forwarder' | 'passthrough';
const SUBJECTS: Subject[] = ['direct', 'forwarder', 'passthrough'];

interface Child {
  name: string;
  proc: ChildProcess;
  /** The last few kB it printed, for a failure's message. */
  output(): string;
  /** Rejects when it exits before stop(). */
  exited: Promise<never>;
}

/** Every child started and not yet stopped: killed on any way out of the benchmark. */
const running = new Set<ChildProcess>();
const killAll = () => {
  for (const proc of running) if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
};

function start(name: string, args: string[], env: NodeJS.ProcessEnv = {}): Child {
  // An IPC channel, so the child can tell its port, and exits with us (bench/exit-with-parent.mjs).
  const proc = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  running.add(proc);
  let tail = '';
  const keep = (d: Buffer) => (tail = (tail + d.toString()).slice(-4000));
  proc.stdout?.on('data', keep);
  proc.stderr?.on('data', keep);
  const exited = new Promise<never>((_, reject) => {
    proc.once('error', (e) => reject(new Error(`cannot start ${name}: ${e.message}`)));
    proc.once('exit', (code, signal) => {
      running.delete(proc);
      reject(new Error(`${name} exited (${signal ?? code}): ${tail}`));
    });
  });
  exited.catch(() => {});
  return { name, proc, output: () => tail, exited };
}

/** A child that tells its port over IPC once it listens. */
async function startServerProcess(name: string, script: string, args: string[] = []): Promise<{ child: Child; url: string }> {
  const child = start(name, [fileURLToPath(new URL(script, import.meta.url)), ...args]);
  const port = await Promise.race([
    child.exited,
    new Promise<number>((resolve) => child.proc.once('message', (m: { port: number }) => resolve(m.port))),
  ]);
  return { child, url: `http://127.0.0.1:${port}` };
}

/**
 * SIGKILL by default: nothing of a child's is worth keeping. With BENCH_FORWARDER_NODE_ARGS set
 * (say `--cpu-prof`), the forwarder gets SIGTERM and its full drain (5 s) so that it writes its profile.
 */
async function stop(child: Child, graceful = false): Promise<void> {
  const { proc } = child;
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const gone = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  proc.kill(graceful ? 'SIGTERM' : 'SIGKILL');
  const cut = setTimeout(() => proc.kill('SIGKILL'), graceful ? 40_000 : 5_000);
  await gone;
  clearTimeout(cut);
}

// CPU time per process, where Linux tells it (/proc): which process a request's time goes to.
const PROC = existsSync('/proc/self/stat');
const TICK_MS = PROC ? 1000 / Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) : 0;

/** User + system CPU ms of a process so far (clock ticks: 10 ms steps). */
function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // After the `(comm)` field: state is field 3, utime 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
}

/** This process's CPU ms so far: the load generator's worker, the main thread idle meanwhile. */
const ownCpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

interface Measured {
  pass: Pass;
  /** CPU ms spent during the pass, by process; undefined without /proc. */
  cpu?: { client: number; upstream: number; proxy: number };
}

export interface Figures {
  perSecond: number;
  p50ms: number;
  p99ms: number;
  /** CPU µs per request over every round, by process (proxy: 0 for direct). */
  cpuUs?: { client: number; upstream: number; proxy: number };
}

export interface ForwarderBench {
  bodyBytes: number;
  requests: Record<number, number>;
  rounds: number;
  /** By concurrency, then subject: medians over the rounds. */
  results: Record<number, Record<Subject, Figures>>;
  forwarded: number;
  counted: number;
}

function figures(measured: Measured[]): Figures {
  const passes = measured.map((m) => m.pass);
  const f: Figures = {
    perSecond: median(passes.map((p) => p.latencies.length / p.seconds)),
    p50ms: median(passes.map((p) => quantile(p.latencies, 0.5))),
    p99ms: median(passes.map((p) => quantile(p.latencies, 0.99))),
  };
  if (measured.every((m) => m.cpu)) {
    const requests = passes.reduce((n, p) => n + p.latencies.length, 0);
    const perRequest = (k: 'client' | 'upstream' | 'proxy') => (measured.reduce((ms, m) => ms + m.cpu![k], 0) * 1000) / requests;
    f.cpuUs = { client: perRequest('client'), upstream: perRequest('upstream'), proxy: perRequest('proxy') };
  }
  return f;
}

/** The counter's value for one source and destination, from the forwarder's /metrics. */
async function counted(probeUrl: string): Promise<number> {
  const text = await (await fetch(`${probeUrl}/metrics`)).text();
  const lines = text.split('\n').filter((l) => l.startsWith('lazyload_dependency_requests_total{') && l.includes(`destination_service="${DESTINATION}"`));
  const ours = lines.filter((l) => l.includes(`source_namespace="${SOURCE.namespace}"`) && l.includes(`source_fence="${SOURCE.fence}"`));
  if (ours.length !== 1 || lines.length !== 1) throw new Error(`want one lazyload_dependency_requests_total series for ${DESTINATION}, got:\n${lines.join('\n')}`);
  return Number(ours[0].slice(ours[0].lastIndexOf(' ') + 1));
}

export async function benchForwarder(opts: { requests: Record<number, number>; rounds: number; warmup: number }): Promise<ForwarderBench> {
  const dir = mkdtempSync(join(tmpdir(), 'lazyload-fwd-bench-'));
  const onSignal = (signal: NodeJS.Signals) => {
    killAll();
    rmSync(dir, { recursive: true, force: true });
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.on('exit', killAll);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const profiling = (process.env.BENCH_FORWARDER_NODE_ARGS ?? '').split(' ').filter((a) => a !== '');
  const children: Child[] = [];
  let forwarder: Child | undefined;
  const client = new LoadClient();
  try {
    const upstream = await startServerProcess('upstream', './forwarder-upstream.mjs', [String(BODY_BYTES)]);
    children.push(upstream.child);
    const passthrough = await startServerProcess('pass-through', './forwarder-passthrough.mjs');
    children.push(passthrough.child);

    const [port, probePort] = [await freePort(), await freePort()];
    const portsFile = join(dir, 'ports.yaml');
    writeFileSync(portsFile, `wormholePorts:\n- ${port}\n`);
    forwarder = start('lazyload forwarder', [...profiling, '--import', 'tsx', '--import', GUARD, 'src/cli/cli.ts', 'forwarder'], {
      WORMHOLE_PORTS_FILE: portsFile,
      PROBE_PORT: String(probePort),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
    });
    const probeUrl = `http://127.0.0.1:${probePort}`;
    await Promise.race([
      forwarder.exited,
      waitFor('the forwarder to be ready', async () => ((await fetch(`${probeUrl}/healthz/ready`)).status === 200 ? true : undefined), 30_000, 50),
    ]);

    const upstreamAddress = new URL(upstream.url).host;
    const viaProxy = {
      host: 'reviews',
      'slime-orig-dest': upstreamAddress,
      'slime-source-ns': SOURCE.namespace,
      'slime-source-fence': SOURCE.fence,
    };
    const urls: Record<Subject, string> = { direct: upstream.url, forwarder: `http://127.0.0.1:${port}`, passthrough: passthrough.url };
    const headers: Record<Subject, Record<string, string> | undefined> = { direct: undefined, forwarder: viaProxy, passthrough: viaProxy };
    const proxies: Record<Subject, number | undefined> = { direct: undefined, forwarder: forwarder.proc.pid, passthrough: passthrough.child.proc.pid };
    const cpuNow = (subject: Subject) => {
      const proxy = proxies[subject];
      return { client: ownCpuMs(), upstream: cpuMs(upstream.child.proc.pid!), proxy: proxy === undefined ? 0 : cpuMs(proxy) };
    };
    let forwarded = 0;
    const run = async (subject: Subject, requests: number, concurrency: number, path = '/reviews/1'): Promise<Measured> => {
      const before = PROC ? cpuNow(subject) : undefined;
      const pass = await client.pass({ url: urls[subject], path, method: 'GET', headers: headers[subject], requests, concurrency, keepBodies: path === '/echo' });
      if (subject === 'forwarder') forwarded += requests;
      const bad = pass.statuses.find((s) => s !== 200);
      if (bad !== undefined) throw new Error(`${subject}: answered ${bad}`);
      if (path !== '/echo' && pass.bytes !== requests * BODY_BYTES) throw new Error(`${subject}: ${pass.bytes} bytes of answers, want ${requests} × ${BODY_BYTES}`);
      if (!before) return { pass };
      const after = cpuNow(subject);
      return { pass, cpu: { client: after.client - before.client, upstream: after.upstream - before.upstream, proxy: after.proxy - before.proxy } };
    };

    // What upstream receives through the forwarder: the Host qualified, no Slime-* header.
    const echo = JSON.parse((await run('forwarder', 1, 1, '/echo')).pass.bodies![0]) as { rawHeaders: string[] };
    const received = new Map<string, string>();
    for (let i = 0; i < echo.rawHeaders.length; i += 2) received.set(echo.rawHeaders[i].toLowerCase(), echo.rawHeaders[i + 1]);
    if (received.get('host') !== `reviews.${SOURCE.namespace}` || [...received.keys()].some((k) => k.startsWith('slime-'))) {
      throw new Error(`unexpected request upstream: ${JSON.stringify(echo.rawHeaders)}`);
    }

    const concurrencies = Object.keys(opts.requests).map(Number).sort((a, b) => b - a);
    // Warm-up (not reported): JIT in every process, connection pools on both hops.
    for (const subject of SUBJECTS) await run(subject, opts.warmup, concurrencies[0]);
    const passes: Record<number, Record<Subject, Measured[]>> = {};
    for (const c of concurrencies) passes[c] = { direct: [], forwarder: [], passthrough: [] };
    for (let r = 0; r < opts.rounds; r++) {
      // Interleaved so that noise from the shared machine hits every subject alike, and each goes
      // first in turn (whichever follows a pass finds its processes' caches colder).
      const order = SUBJECTS.map((_, i) => SUBJECTS[(i + r) % SUBJECTS.length]);
      for (const c of concurrencies) for (const subject of order) passes[c][subject].push(await run(subject, opts.requests[c], c));
    }

    const results: Record<number, Record<Subject, Figures>> = {};
    for (const c of concurrencies) results[c] = { direct: figures(passes[c].direct), forwarder: figures(passes[c].forwarder), passthrough: figures(passes[c].passthrough) };
    return { bodyBytes: BODY_BYTES, requests: opts.requests, rounds: opts.rounds, results, forwarded, counted: await counted(probeUrl) };
  } finally {
    await client.close();
    await Promise.all([...children.map((c) => stop(c)), forwarder && stop(forwarder, profiling.length > 0)]);
    killAll();
    process.off('exit', killAll);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function printForwarder(): Promise<void> {
  const requests = { 8: Number(process.env.BENCH_FORWARDER_REQUESTS ?? 5000), 1: Number(process.env.BENCH_FORWARDER_REQUESTS_C1 ?? 2000) };
  const b = await benchForwarder({ requests, rounds: 5, warmup: 2000 });
  console.log(
    `Global-sidecar forwarder (GET, ${b.bodyBytes} B answers from a node:http upstream, each server in its own process; ` +
      `${requests[8]} requests at concurrency 8 and ${requests[1]} at concurrency 1 x ${b.rounds} interleaved rounds, keep-alive, medians)`,
  );
  console.log('| path | concurrency | req/s | p50 ms | p99 ms | CPU µs per request: client / upstream / proxy |');
  console.log('|---|---|---|---|---|---|');
  const label: Record<Subject, string> = { direct: 'direct', forwarder: 'lazyload forwarder', passthrough: 'pass-through (node:http + undici, nothing else)' };
  for (const c of [8, 1]) {
    for (const s of SUBJECTS) {
      const f = b.results[c][s];
      const cpu = f.cpuUs ? `${fixed(f.cpuUs.client, 0)} / ${fixed(f.cpuUs.upstream, 0)} / ${s === 'direct' ? '–' : fixed(f.cpuUs.proxy, 0)}` : 'n/a';
      console.log(`| ${label[s]} | ${c} | ${fixed(f.perSecond, 0)} | ${fixed(f.p50ms, 3)} | ${fixed(f.p99ms, 3)} | ${cpu} |`);
    }
  }
  const [c8, c1] = [b.results[8], b.results[1]];
  const ratio = c8.forwarder.perSecond / c8.direct.perSecond;
  const added = (c: Record<Subject, Figures>, s: Subject) => `p50 +${fixed(c[s].p50ms - c.direct.p50ms, 3)} ms, p99 +${fixed(c[s].p99ms - c.direct.p99ms, 3)} ms`;
  const addedP50 = c1.forwarder.p50ms - c1.direct.p50ms;
  console.log(
    `throughput at concurrency 8: forwarder/direct ${fixed(ratio, 2)}, pass-through/direct ${fixed(c8.passthrough.perSecond / c8.direct.perSecond, 2)}, ` +
      `forwarder/pass-through ${fixed(c8.forwarder.perSecond / c8.passthrough.perSecond, 2)}`,
  );
  console.log(`added by the forwarder: concurrency 1 ${added(c1, 'forwarder')}; concurrency 8 ${added(c8, 'forwarder')}`);
  console.log(`added by the pass-through: concurrency 1 ${added(c1, 'passthrough')}; concurrency 8 ${added(c8, 'passthrough')}`);
  console.log(`targets: throughput ratio >= ${TARGET_RATIO}: ${ratio >= TARGET_RATIO ? 'met' : 'NOT MET'}; added p50 at concurrency 1 < ${TARGET_ADDED_P50_MS} ms: ${addedP50 < TARGET_ADDED_P50_MS ? 'met' : 'NOT MET'}`);
  console.log(`lazyload_dependency_requests_total{destination_service="${DESTINATION}"} = ${b.counted}, forwarded ${b.forwarded}: ${b.counted === b.forwarded ? 'equal' : 'DIFFERENT'}`);
  if (b.counted !== b.forwarded) throw new Error(`the forwarder counted ${b.counted} calls to ${DESTINATION}, want ${b.forwarded}`);
}
