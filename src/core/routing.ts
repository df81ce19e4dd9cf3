// Where a fence's calls outside its Sidecar go (docs/design.md §5.3): the global sidecar that serves its
// namespace, on every wormhole port, unless a dispatch sends them elsewhere. A route to a global
// sidecar with no ready endpoint fails every call it takes; without the EnvoyFilter those calls pass
// through directly, as they would with no lazy loading, so the filter waits for a ready one.

import type { ConditionJudgement } from './conditions.js';
import type { LazyloadConfig } from './config.js';
import { type ResolvedDispatch, resolveDispatches } from './dispatch.js';
import type { Issue } from './fields.js';
import { type GlobalSidecar, globalSidecarOf, wormholePorts } from './globalsidecar.js';
import { istioDomainOwners } from './istio-domains.js';

/** How the fence's unknown calls leave it: through which global sidecar, on which ports, with which dispatches. */
export interface Routing {
  /** Set when the fence gets its EnvoyFilter. */
  globalSidecar?: GlobalSidecar;
  ports: number[];
  dispatches: ResolvedDispatch[];
  /** Config problems that show only for this fence (a template failing on its context). */
  issues: Issue[];
  /** `GlobalSidecarReady`, whenever a mode other than none is configured. */
  condition?: ConditionJudgement;
}

const TYPE = 'GlobalSidecarReady';
const PASS_THROUGH = 'calls outside its Sidecar pass through directly (no EnvoyFilter)';

type Resolved = ReturnType<typeof resolveDispatches>;
// Templates render the same for the same config and fence, and every fence is synced again each
// refresh: keep each fence's result with the (cached, shared) parsed config it came from.
const resolvedByConfig = new WeakMap<LazyloadConfig, Map<string, Resolved>>();
const MAX_FENCES = 50_000;

function dispatchesFor(config: LazyloadConfig, fence: { name: string; namespace: string }, globalSidecar: GlobalSidecar, ports: number[]): Resolved {
  if (config.dispatches.length === 0) return { resolved: [], issues: [] };
  let known = resolvedByConfig.get(config);
  if (!known) resolvedByConfig.set(config, (known = new Map()));
  const key = `${fence.namespace}/${fence.name}`;
  let r = known.get(key);
  if (!r) {
    r = resolveDispatches(config.dispatches, ports.map((port) => ({ fence, port, globalSidecar, values: config.values })));
    if (known.size >= MAX_FENCES) known.clear();
    known.set(key, r);
  }
  return r;
}

export function routeUnknownCalls(
  config: LazyloadConfig,
  fence: { name: string; namespace: string },
  isReady: (globalSidecar: GlobalSidecar) => boolean,
): Routing {
  const none: Routing = { ports: [], dispatches: [], issues: [] };
  if (config.globalSidecar.mode === 'none') return none;
  const globalSidecar = globalSidecarOf(config, fence.namespace);
  if (!globalSidecar) {
    const message = `namespace mode runs no global sidecar in ${fence.namespace} (not in globalSidecar.namespaces), so ${PASS_THROUGH}`;
    return { ...none, condition: { type: TYPE, status: 'False', reason: 'NotInNamespaces', message } };
  }
  const ports = wormholePorts(config);
  const { resolved, issues } = dispatchesFor(config, fence, globalSidecar, ports);
  const routing = { ports, dispatches: resolved, issues };
  const usesGlobalSidecar = !config.passthroughByDefault || resolved.some((d) => d.clusters.some((c) => c.kind === 'globalSidecar'));
  if (!usesGlobalSidecar) {
    const message = 'no route of the EnvoyFilter goes to the global sidecar (passthroughByDefault, no _GLOBAL_SIDECAR dispatch)';
    return { ...routing, globalSidecar, condition: { type: TYPE, status: 'True', reason: 'NotUsed', message } };
  }
  if (!isReady(globalSidecar)) {
    const message = `Service ${globalSidecar.host} has no ready endpoint, so ${PASS_THROUGH} until it has one`;
    return { ...routing, condition: { type: TYPE, status: 'False', reason: 'NoReadyEndpoint', message } };
  }
  const message = `Service ${globalSidecar.host} has a ready endpoint; calls outside the Sidecar go there`;
  return { ...routing, globalSidecar, condition: { type: TYPE, status: 'True', reason: 'Ready', message } };
}

/**
 * The routing without the dispatches one of whose domains istiod may already write for a host the
 * fence's Sidecar shows (src/core/istio-domains.ts): Envoy would reject the port's whole route
 * configuration. Each is left out for this fence on every port, and named in `issues`.
 */
export function withoutSidecarCollisions(routing: Routing, sidecarHosts: string[], fenceNamespace: string): Routing {
  if (routing.dispatches.every((d) => d.dispatch.domains.length === 0)) return routing;
  const ownerOf = istioDomainOwners(sidecarHosts, fenceNamespace);
  const issues: Issue[] = [];
  const dispatches = routing.dispatches.filter(({ dispatch }) => {
    for (const domain of dispatch.domains) {
      const owner = ownerOf(domain);
      if (!owner) continue;
      const why = `domain ${JSON.stringify(domain)} may be one Istio writes for ${owner.host}, which this fence's Sidecar shows (${owner.egress}); Envoy would reject the whole route configuration`;
      issues.push({ field: `${dispatch.field}.domains`, message: `dispatch ${JSON.stringify(dispatch.name)} left out: ${why}` });
      return false;
    }
    return true;
  });
  return issues.length === 0 ? routing : { ...routing, dispatches, issues: [...routing.issues, ...issues] };
}
