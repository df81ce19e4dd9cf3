// Learned dependencies: what a fence's workload was seen calling. `status.metricStatus` is their
// durable record (`{destination_service="<host>"}` → "1"); dependency sources (Prometheus, in its
// own module) answer with fresh sets that replace it. This is the seam they plug into.

import { sortBytewise } from '../protocol/canonical.js';
import type { LazyloadConfig } from './config.js';
import { isValidHost } from './fence.js';
import { isObject } from '../protocol/metacontroller.js';

/** Who a fence's workload is, as dependency sources key their data. */
export interface FenceSource {
  namespace: string;
  /** The workload's `serviceLabel` value (the fence name when the selector has none). */
  app: string;
  /** The fence itself, for sources keyed by fence (the forwarder's metric). */
  fence: string;
}

/** When to sync again: right after the answer used expires, so the next sync gets a fresh one. */
interface Refresh {
  /** Whole seconds until the source will ask again (default: the config's refreshSeconds). */
  refreshInSeconds?: number;
}

export type Learned =
  /** No source configured: the incoming metricStatus is the learned set. */
  | { kind: 'unconfigured' }
  /** Every configured source answered: these hosts (ports already stripped). */
  | ({ kind: 'answered'; hosts: string[] } & Refresh)
  /** A source failed: keep what we had. */
  | ({ kind: 'failed'; reason: string; message: string } & Refresh);

export interface DependencySource {
  learn(source: FenceSource, config: LazyloadConfig): Promise<Learned>;
}

export const noDependencySource: DependencySource = {
  learn: async () => ({ kind: 'unconfigured' }),
};

/** A host without its `:port` (an IPv6 literal is left whole; the host rules drop it anyway). */
export const stripPort = (host: string): string => (host.startsWith('[') ? host : host.split(':')[0]);

/**
 * The host a metricStatus key names: Prometheus label-set strings whose only label is
 * `destination_service` or `request_host` (Slime's rule), without its port.
 */
export function hostOfMetricKey(key: string): string | undefined {
  if (known.has(key)) return known.get(key);
  // Slime: trim "{}" from both ends, require the label name first and exactly two quotes.
  const m = METRIC_KEY.exec(key);
  const host = m ? stripPort(m[1]) : undefined;
  if (known.size >= 100_000) known.clear();
  known.set(key, host);
  return host;
}

const METRIC_KEY = /^[{}]*(?:destination_service|request_host)[^"]*"([^"]*)"[^"]*$/;
// Every sync of a fence reads the same keys again.
const known = new Map<string, string | undefined>();

/**
 * The hosts that can be dependencies, sorted: the host rules leave out the global sidecar and Istio's
 * `unknown`, so a flapping `unknown` series neither counts as a change nor lands in metricStatus.
 */
export const dependenciesAmong = (hosts: Iterable<string>): string[] => sortBytewise(new Set([...hosts].filter(isValidHost)));

/** The learned dependencies recorded in a `status.metricStatus` (values are ignored, as in Slime). */
export function hostsOfMetricStatus(metricStatus: unknown): string[] {
  if (!isObject(metricStatus)) return [];
  const hosts: string[] = [];
  for (const key of Object.keys(metricStatus)) {
    const h = hostOfMetricKey(key);
    if (h !== undefined) hosts.push(h);
  }
  return dependenciesAmong(hosts);
}

/** metricStatus for a learned set: presence only, so the status does not churn with counts. */
export function metricStatusOf(hosts: Iterable<string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const h of sortBytewise(new Set(hosts))) out[`{destination_service="${h}"}`] = '1';
  return out;
}

export const sameHosts = (a: string[], b: string[]): boolean => {
  const sa = new Set(a);
  const sb = new Set(b);
  return sa.size === sb.size && [...sa].every((h) => sb.has(h));
};
