// The PromQL we send. Names from the cluster only ever enter a query inside a string literal,
// escaped, and only when they are valid Kubernetes label values, so no fence or app name can change
// what a query means.

import type { PrometheusConfig } from '../core/config.js';

/** The labels the built-in batched query groups Istio's telemetry by. */
export const ISTIO_LABELS = { namespace: 'source_workload_namespace', app: 'source_app' } as const;
/** The labels of the forwarder's own metric (docs/design.md §6). */
export const FORWARDER_LABELS = { namespace: 'source_namespace', fence: 'source_fence' } as const;
/** Labels that name the called host, in order of preference (Slime reads both). */
export const HOST_LABELS = ['destination_service', 'request_host'] as const;

const FORWARDER_METRIC = 'lazyload_dependency_requests_total';
const ISTIO_METRIC = 'istio_requests_total{reporter="destination"}';

/** Content of a double-quoted PromQL string: JSON's escapes are all valid Go escapes. */
export const escapeLabelValue = (value: string): string => JSON.stringify(value).slice(1, -1);

// Kubernetes label values: what a pod label (and so Istio's source_app) can be.
const LABEL_VALUE = /^(?:[A-Za-z0-9](?:[-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)$/;
export const isLabelValue = (v: string): boolean => LABEL_VALUE.test(v);

const counted = (metric: string, window: string | undefined): string => (window ? `increase(${metric}[${window}])` : metric);

/** The forwarder's metric, grouped by the fence that called. */
export function forwarderQuery(p: PrometheusConfig): string {
  return `sum by (${FORWARDER_LABELS.namespace}, ${FORWARDER_LABELS.fence}, destination_service) (${counted(FORWARDER_METRIC, p.window)})`;
}

/**
 * The one query a refresh costs in batched mode: Istio's telemetry (or the configured `query`) and
 * the forwarder's metric together. `or` keeps both sides whole because their label sets differ.
 */
export function batchedQuery(p: PrometheusConfig): string {
  const istio = p.query
    ? `(${p.query.trim()})`
    : `sum by (${ISTIO_LABELS.namespace}, ${ISTIO_LABELS.app}, destination_service) (${counted(ISTIO_METRIC, p.window)})`;
  return `${istio} or ${forwarderQuery(p)}`;
}

/**
 * A Slime handler template for one workload. One pass, so a substituted value is never substituted
 * again; values are escaped for the quoted string the template puts them in.
 */
export function handlerQuery(template: string, namespace: string, app: string): string {
  return template.replace(/\$(source_app|namespace)/g, (_, name: string) => escapeLabelValue(name === 'namespace' ? namespace : app));
}
