// Where the global sidecar runs and how it is reached (DESIGN §3, §6): one in the cluster, one per
// listed namespace, or none. Its Service carries every wormhole port so that fenced proxies still get
// a listener and route configuration for each of them, whatever their Sidecar lets them see.

import type { LazyloadConfig } from './config.js';
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
