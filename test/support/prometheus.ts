// A real Prometheus (Debian's package) for tests and benchmarks: started on a free loopback port
// with its own data directory, scraping exporters the test serves. A missing binary is an error,
// never a skip: CI installs it.

import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import { type AddressInfo, createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import client from 'prom-client';
import { silentLogger } from '../../src/log.js';
import { connectPrometheus } from '../../src/prometheus/index.js';
import { type RunningServer, startServer } from '../../src/cli/serve.js';

const BIN = process.env.PROMETHEUS_BIN ?? 'prometheus';
const PROMTOOL = process.env.PROMTOOL_BIN ?? 'promtool';

export async function freePort(): Promise<number> {
  const srv = createNetServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as AddressInfo;
  await new Promise((r) => srv.close(r));
  return port;
}

/** Polls `check` until it returns something other than undefined; fails with the last state. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 20_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export interface PrometheusOptions {
  /** host:port of exporters to scrape every second. */
  targets?: string[];
  /** OpenMetrics text (ending in `# EOF`) written into the data directory before start. */
  backfill?: string;
}

export interface RunningPrometheus {
  url: string;
  dataDir: string;
  /** SIGTERM and wait; the data directory stays for restart(). */
  stop(): Promise<void>;
  /** Start again on the same port and data. */
  restart(): Promise<void>;
  /** Stop and remove the data directory. */
  dispose(): Promise<void>;
  /** Queries Prometheus has evaluated since it started (its own counter, read from /metrics). */
  evaluatedQueries(): Promise<number>;
}

export async function startPrometheus(opts: PrometheusOptions = {}): Promise<RunningPrometheus> {
  const dir = mkdtempSync(join(tmpdir(), 'lazyload-prom-'));
  const dataDir = join(dir, 'data');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const targets = (opts.targets ?? []).map((t) => `'${t}'`).join(', ');
  writeFileSync(
    join(dir, 'prometheus.yml'),
    `global: { scrape_interval: 1s, evaluation_interval: 1s }\nscrape_configs:\n  - job_name: fake-istio\n    scrape_interval: 1s\n    scrape_timeout: 900ms\n    static_configs: [ { targets: [${targets}] } ]\n`,
  );
  if (opts.backfill !== undefined) {
    writeFileSync(join(dir, 'backfill.om'), opts.backfill);
    execFileSync(PROMTOOL, ['tsdb', 'create-blocks-from', 'openmetrics', join(dir, 'backfill.om'), dataDir], { stdio: 'pipe' });
  }
  let child: ChildProcess | undefined;
  const launch = async () => {
    const proc = spawn(
      BIN,
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${dataDir}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--storage.tsdb.retention.time=1d',
        '--log.level=warn',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    proc.stderr?.on('data', (d) => (stderr += d));
    const failed = new Promise<never>((_, reject) => {
      proc.once('error', (e) => reject(new Error(`cannot start ${BIN} (install it: apt-get install -y prometheus): ${e.message}`)));
      proc.once('exit', (code) => reject(new Error(`prometheus exited with ${code}: ${stderr.slice(-500)}`)));
    });
    failed.catch(() => {});
    const ready = waitFor('Prometheus to be ready', async () => ((await fetch(`${url}/-/ready`)).ok ? true : undefined), 15_000, 50);
    await Promise.race([ready, failed]);
    child = proc;
  };
  const stop = async () => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null) return;
    await new Promise((r) => {
      proc.once('exit', r);
      proc.kill('SIGTERM');
    });
  };
  await launch();
  return {
    url,
    dataDir,
    stop,
    restart: launch,
    dispose: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
    evaluatedQueries: async () => {
      const text = await (await fetch(`${url}/metrics`)).text();
      const m = /^prometheus_engine_query_duration_seconds_count\{slice="inner_eval"\} (\S+)$/m.exec(text);
      return m ? Number(m[1]) : 0;
    },
  };
}

export interface Sample {
  labels: Record<string, string>;
  value: number;
  /** Added to `value` at every scrape: a workload that keeps calling. */
  perScrape?: number;
}

export interface FakeExporter {
  /** host:port, as a scrape target. */
  target: string;
  /** Replace what /metrics shows, by metric name. */
  set(metric: string, samples: Sample[]): void;
  close(): Promise<void>;
}

const labelText = (labels: Record<string, string>) =>
  Object.entries(labels)
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(',');

/** A tiny exporter of counters, standing in for Istio's sidecars or the forwarder. */
export async function startExporter(): Promise<FakeExporter> {
  const metrics = new Map<string, Sample[]>();
  const server: Server = createServer((req, res) => {
    if (req.url !== '/metrics') return void res.writeHead(404).end();
    let body = '';
    for (const [name, samples] of metrics) {
      body += `# TYPE ${name} counter\n`;
      for (const s of samples) {
        s.value += s.perScrape ?? 0;
        body += `${name}{${labelText(s.labels)}} ${s.value}\n`;
      }
    }
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    target: `127.0.0.1:${port}`,
    set: (metric, samples) => void metrics.set(metric, samples),
    close: () => new Promise((r) => server.close(() => r())),
  };
}

export interface LearningHooks {
  /** The hook server; its /metrics includes the Prometheus source's. */
  hooks: RunningServer;
  close(): Promise<void>;
}

/** The hook server on loopback, learning from this Prometheus as `lazyload serve` does. */
export async function startLearningHooks(prometheusUrl: string): Promise<LearningHooks> {
  const registry = new client.Registry();
  const source = connectPrometheus(prometheusUrl, registry, silentLogger);
  const hooks = await startServer({ port: 0, host: '127.0.0.1', logger: silentLogger, registry, dependencies: source.source });
  return {
    hooks,
    close: async () => {
      await hooks.close();
      await source.close();
    },
  };
}
