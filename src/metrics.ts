// The hook server's own metrics, in a registry per app so tests and replays never collide.

import client from 'prom-client';
import { VERSION } from './package.js';

export interface HookMetrics {
  registry: client.Registry;
  duration: client.Histogram<'hook'>;
  outcomes: client.Counter<'hook' | 'outcome'>;
}

/**
 * `lazyload_build_info{version} 1`: which release a pod runs, on both servers' /metrics, so a
 * dashboard can tell the replicas of a rollout apart.
 */
export function registerBuildInfo(registry: client.Registry): void {
  new client.Gauge({
    name: 'lazyload_build_info',
    help: 'Always 1; the version label is the running release of lazyload.',
    labelNames: ['version'],
    registers: [registry],
  }).set({ version: VERSION }, 1);
}

export function createHookMetrics(registry = new client.Registry()): HookMetrics {
  registerBuildInfo(registry);
  return {
    registry,
    duration: new client.Histogram({
      name: 'lazyload_hook_duration_seconds',
      help: 'Time to answer a Metacontroller hook request, by hook.',
      labelNames: ['hook'],
      // Hooks must answer well inside Metacontroller's 10 s timeout; most take milliseconds.
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    outcomes: new client.Counter({
      name: 'lazyload_hook_requests_total',
      help: 'Hook requests by hook and outcome (ok, bad_json, invalid_request, too_large, error).',
      labelNames: ['hook', 'outcome'],
      registers: [registry],
    }),
  };
}

export interface PrometheusMetrics {
  queries: client.Counter<'mode' | 'outcome'>;
  duration: client.Histogram<'mode'>;
  cacheHits: client.Counter<'mode'>;
}

/** How the dependency source uses Prometheus: what it sends, how long it waits, what it saves. */
export function createPrometheusMetrics(registry: client.Registry): PrometheusMetrics {
  return {
    queries: new client.Counter({
      name: 'lazyload_prometheus_queries_total',
      help: 'Queries sent to Prometheus, by mode (batched, handler) and outcome (ok or the failure reason).',
      labelNames: ['mode', 'outcome'],
      registers: [registry],
    }),
    duration: new client.Histogram({
      name: 'lazyload_prometheus_query_duration_seconds',
      help: 'Time from sending a query to Prometheus to its decoded answer (or failure), by mode.',
      labelNames: ['mode'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8],
      registers: [registry],
    }),
    cacheHits: new client.Counter({
      name: 'lazyload_prometheus_cache_hits_total',
      help: 'Syncs served from a cached or in-flight Prometheus answer instead of a new query, by mode.',
      labelNames: ['mode'],
      registers: [registry],
    }),
  };
}
