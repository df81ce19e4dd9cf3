// Wiring for `lazyload serve`: PROMETHEUS_URL → a dependency source whose metrics join the server's.

import type client from 'prom-client';
import type { Logger } from '../log.js';
import { createPrometheusMetrics } from '../metrics.js';
import { parsePrometheusUrl, prometheusClient } from './client.js';
import { PrometheusSource } from './source.js';

export interface ConnectedSource {
  source: PrometheusSource;
  address: string;
  close(): Promise<void>;
}

/** Throws on a malformed URL, before the server starts. */
export function connectPrometheus(urlText: string, registry: client.Registry, logger: Logger): ConnectedSource {
  const client = prometheusClient(parsePrometheusUrl(urlText));
  const source = new PrometheusSource({ client, metrics: createPrometheusMetrics(registry), logger });
  return { source, address: client.address, close: () => client.close() };
}
