// Where a fence's calls outside its Sidecar go (DESIGN §5.3): the global sidecar that serves its
// namespace, on every wormhole port, unless a dispatch sends them elsewhere.

import type { LazyloadConfig } from './config.js';
import { type ResolvedDispatch, resolveDispatches } from './dispatch.js';
import type { Issue } from './fields.js';
import { type GlobalSidecar, globalSidecarOf, wormholePorts } from './globalsidecar.js';

/** How the fence's unknown calls leave it: through which global sidecar, on which ports, with which dispatches. */
export interface Routing {
  globalSidecar?: GlobalSidecar;
  ports: number[];
  dispatches: ResolvedDispatch[];
  /** Config problems that show only for this fence (a template failing on its context). */
  issues: Issue[];
}

export function routeUnknownCalls(config: LazyloadConfig, name: string, namespace: string): Routing {
  const none: Routing = { ports: [], dispatches: [], issues: [] };
  if (config.globalSidecar.mode === 'none') return none;
  const globalSidecar = globalSidecarOf(config, namespace);
  if (!globalSidecar) {
    // Routing to a global sidecar that does not exist would break every unknown call; without the
    // EnvoyFilter they pass through directly, as they would with no lazy loading.
    const message = `does not list ${namespace}: no global sidecar serves this fence, so it gets no EnvoyFilter and calls outside its Sidecar pass through directly`;
    return { ...none, issues: [{ field: 'spec.globalSidecar.namespaces', message }] };
  }
  const ports = wormholePorts(config);
  const contexts = ports.map((port) => ({ fence: { name, namespace }, port, globalSidecar, values: config.values }));
  const { resolved, issues } = resolveDispatches(config.dispatches, contexts);
  return { globalSidecar, ports, dispatches: resolved, issues };
}
