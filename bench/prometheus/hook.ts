// The real hook server with a real Prometheus source, watched from outside, and what it says about
// itself on /metrics.

import client from 'prom-client';
import type { DependencySource } from '../../src/core/dependency.js';
import { silentLogger } from '../../src/log.js';
import { createPrometheusMetrics } from '../../src/metrics.js';
import { parsePrometheusUrl, prometheusClient } from '../../src/prometheus/client.js';
import { PrometheusSource } from '../../src/prometheus/source.js';
import { type RunningServer, startServer } from '../../src/cli/serve.js';

export interface Hook {
  server: RunningServer;
  /**
   * Every learn() by fence, in order (each fence's syncs do not overlap, so the nth is its nth sync's),
   * when it began and how long it took: ~0 ms from the cache.
   */
  learns: Map<string, { at: number; ms: number }[]>;
  /** When each query was sent to Prometheus (performance.now): the moment a cached answer is from. */
  queriesSent: number[];
  close(): Promise<void>;
}

/** As `lazyload serve` wires it (connectPrometheus), with the client and the source watched from outside. */
export async function startHook(prometheusUrl: string): Promise<Hook> {
  const registry = new client.Registry();
  const prometheus = prometheusClient(parsePrometheusUrl(prometheusUrl));
  const queriesSent: number[] = [];
  const source = new PrometheusSource({
    client: {
      query: (promql, timeoutMs) => {
        queriesSent.push(performance.now());
        return prometheus.query(promql, timeoutMs);
      },
    },
    metrics: createPrometheusMetrics(registry),
    logger: silentLogger,
  });
  const learns = new Map<string, { at: number; ms: number }[]>();
  // A learn() over a millisecond waited for a Prometheus answer (its own query or one in flight)
  // instead of taking the cached one.
  const dependencies: DependencySource = {
    learn: async (fence, config) => {
      const at = performance.now();
      try {
        return await source.learn(fence, config);
      } finally {
        const key = `${fence.namespace}/${fence.app}`;
        const own = learns.get(key) ?? [];
        own.push({ at, ms: performance.now() - at });
        learns.set(key, own);
      }
    },
  };
  const server = await startServer({ port: 0, host: '127.0.0.1', logger: silentLogger, registry, dependencies });
  return {
    server,
    learns,
    queriesSent,
    close: async () => {
      await server.close();
      await prometheus.close();
    },
  };
}

/**
 * When the query was sent whose answer the `n`th learn() of fence `key` used: the last one sent
 * before that learn() returned. (A learn() that finds the answer cached returns within the same
 * tick; one that waits for it, when the query it waits for answers, long before the next one.)
 */
export function answerFrom(hook: Hook, key: string, n: number): number {
  const learn = hook.learns.get(key)?.[n];
  if (!learn) throw new Error(`no learn() number ${n} for ${key}`);
  return Math.max(...hook.queriesSent.filter((q) => q <= learn.at + learn.ms));
}

export interface OurMetrics {
  /** lazyload_prometheus_queries_total by `mode/outcome`. */
  queries: Map<string, number>;
  /** lazyload_prometheus_query_duration_seconds sum and count by mode. */
  durationSum: Map<string, number>;
  durationCount: Map<string, number>;
}

export async function ourMetrics(hookUrl: string): Promise<OurMetrics> {
  const text = await (await fetch(`${hookUrl}/metrics`)).text();
  const m: OurMetrics = { queries: new Map(), durationSum: new Map(), durationCount: new Map() };
  for (const line of text.split('\n')) {
    let r = /^lazyload_prometheus_queries_total\{mode="(\w+)",outcome="(\w+)"\} (\S+)$/.exec(line);
    if (r) m.queries.set(`${r[1]}/${r[2]}`, Number(r[3]));
    r = /^lazyload_prometheus_query_duration_seconds_(sum|count)\{mode="(\w+)"\} (\S+)$/.exec(line);
    if (r) (r[1] === 'sum' ? m.durationSum : m.durationCount).set(r[2], Number(r[3]));
  }
  return m;
}

/** What changed between two readings, leaving out what did not. */
export function delta(after: Map<string, number>, before: Map<string, number>): Map<string, number> {
  const out = new Map<string, number>();
  for (const [k, v] of after) {
    const d = v - (before.get(k) ?? 0);
    if (d !== 0) out.set(k, d);
  }
  return out;
}

export const total = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
