// Where the global sidecar runs and how it is reached (docs/design.md §3, §6): one in the cluster, one per
// listed namespace, or none. Its Service carries every wormhole port so that fenced proxies still get
// a listener and route configuration for each of them, whatever their Sidecar lets them see.

import type { LazyloadConfig } from './config.js';
import { type KObject, isObject } from '../protocol/metacontroller.js';
import { globalSidecarCluster, globalSidecarHostIn } from './template.js';

export const GLOBAL_SIDECAR_NAME = 'global-sidecar';

export interface GlobalSidecar {
  namespace: string;
  /** Its Service port: every forwarded call goes there, whatever port it was made on. */
  port: number;
  host: string;
  /** The Envoy cluster a fenced proxy knows it by. */
  cluster: string;
}

/** The namespaces that run a global sidecar, in config order. */
export function globalSidecarNamespaces(config: LazyloadConfig): string[] {
  const gs = config.globalSidecar;
  if (gs.mode === 'cluster') return [gs.namespace];
  if (gs.mode === 'namespace') return [...new Set(gs.namespaces)];
  return [];
}

export function globalSidecarIn(namespace: string, port: number): GlobalSidecar {
  const host = globalSidecarHostIn(namespace);
  return { namespace, port, host, cluster: globalSidecarCluster({ port, host }) };
}

/** The global sidecar that serves a fence's namespace; undefined when none does. */
export function globalSidecarOf(config: LazyloadConfig, fenceNamespace: string): GlobalSidecar | undefined {
  const gs = config.globalSidecar;
  if (gs.mode === 'cluster') return globalSidecarIn(gs.namespace, gs.port);
  if (gs.mode === 'namespace' && gs.namespaces.includes(fenceNamespace)) return globalSidecarIn(fenceNamespace, gs.port);
  return undefined;
}

/** Wormhole ports: the configured ones in config order, the global sidecar's own appended if missing. */
export function wormholePorts(config: LazyloadConfig): number[] {
  const ports = config.wormholePort;
  return ports.includes(config.globalSidecar.port) ? ports : [...ports, config.globalSidecar.port];
}

const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

/** Related-object rule: the EndpointSlices of every global-sidecar Service, in any namespace. */
export const GLOBAL_SIDECAR_ENDPOINTS = {
  apiVersion: 'discovery.k8s.io/v1',
  resource: 'endpointslices',
  labelSelector: { matchLabels: { [SERVICE_NAME_LABEL]: GLOBAL_SIDECAR_NAME } },
};

/**
 * Whether the global sidecar's Service has a ready endpoint in these EndpointSlices. An endpoint
 * whose `ready` is unset counts as ready, as Kubernetes documents.
 */
export function hasReadyEndpoint(slices: KObject[], gs: GlobalSidecar): boolean {
  return slices.some(
    (s) =>
      s.metadata.namespace === gs.namespace &&
      s.metadata.labels?.[SERVICE_NAME_LABEL] === GLOBAL_SIDECAR_NAME &&
      Array.isArray(s.endpoints) &&
      s.endpoints.some((e) => isObject(e) && !(isObject(e.conditions) && e.conditions.ready === false)),
  );
}
