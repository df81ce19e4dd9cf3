// What the forwarder exports on its probe port: the dependency counter the hook server's batched
// Prometheus query reads (docs/design.md §5.2), and how well forwarding goes.

import client from 'prom-client';
import { registerBuildInfo } from '../metrics.js';
import type { Source } from './plan.js';

export const DEPENDENCY_METRIC = 'lazyload_dependency_requests_total';

/** Why a call failed upstream: `unreachable` and `reset` answer 502, `timeout` 504, `aborted` cuts a started response. */
export type UpstreamError = 'unreachable' | 'timeout' | 'reset' | 'aborted';

export interface ForwarderMetrics {
  registry: client.Registry;
  /** One more call from a fence to a destination. */
  called(source: Source, destination: string): void;
  duration: client.Histogram;
  upstreamErrors: client.Counter<'reason'>;
  rejected: client.Counter<'reason'>;
  listeners: client.Gauge;
  reloads: client.Counter<'outcome'>;
}

// More distinct sources × destinations than this is a caller inventing hosts, not a mesh: stop
// adding series (calls still go through) instead of growing without bound.
export const MAX_DEPENDENCY_SERIES = 50_000;

export function createForwarderMetrics(registry = new client.Registry()): ForwarderMetrics {
  registerBuildInfo(registry);
  const dependencies = new client.Counter({
    name: DEPENDENCY_METRIC,
    help: 'Calls forwarded by the global sidecar, by calling fence and called service (what lazy loading learns).',
    labelNames: ['source_namespace', 'source_fence', 'destination_service'],
    registers: [registry],
  });
  const dropped = new client.Counter({
    name: 'lazyload_forwarder_dependency_series_dropped_total',
    help: `Calls not counted in ${DEPENDENCY_METRIC} because it already has ${MAX_DEPENDENCY_SERIES} series.`,
    registers: [registry],
  });
  // prom-client hashes label values on every inc(); the same few pairs repeat, so keep their children.
  const children = new Map<string, client.Counter.Internal>();
  return {
    registry,
    called(source, destination) {
      const key = `${source.namespace}\0${source.fence}\0${destination}`;
      let child = children.get(key);
      if (!child) {
        if (children.size >= MAX_DEPENDENCY_SERIES) {
          dropped.inc();
          return;
        }
        child = dependencies.labels(source.namespace, source.fence, destination);
        children.set(key, child);
      }
      child.inc();
    },
    duration: new client.Histogram({
      name: 'lazyload_forwarder_request_duration_seconds',
      help: 'Time from a request reaching the forwarder to its response headers (the upstream time included).',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
    upstreamErrors: new client.Counter({
      name: 'lazyload_forwarder_upstream_errors_total',
      help: 'Forwarded calls that failed upstream, by reason (unreachable, timeout, reset, aborted).',
      labelNames: ['reason'],
      registers: [registry],
    }),
    rejected: new client.Counter({
      name: 'lazyload_forwarder_rejected_requests_total',
      help: 'Requests answered without being forwarded, by reason (destination: 400, loop: 508, method: 405).',
      labelNames: ['reason'],
      registers: [registry],
    }),
    listeners: new client.Gauge({
      name: 'lazyload_forwarder_listening_ports',
      help: 'Wormhole ports the forwarder listens on.',
      registers: [registry],
    }),
    reloads: new client.Counter({
      name: 'lazyload_forwarder_port_reloads_total',
      help: 'Reads of a changed wormhole ports file, by outcome (ok, invalid, unreadable, bind_failed).',
      labelNames: ['outcome'],
      registers: [registry],
    }),
  };
}
