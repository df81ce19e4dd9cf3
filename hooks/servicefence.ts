// The servicefence CompositeController hooks: gather what the core needs from the request and the
// dependency sources, then let the core decide.

import { ENVOYFILTER_GROUP, ENVOYFILTER_VERSION } from '../src/core/envoyfilter.js';
import { FENCE_API_VERSION, FENCE_GROUP, FENCE_KIND, type ServiceFenceStatus, parseFenceSpec } from '../src/core/fence.js';
import type { DependencySource } from '../src/core/dependency.js';
import {
  type CompositeSyncResponse,
  type CustomizeResponse,
  type RelatedResourceRule,
  decodeCompositeSync,
  decodeCustomize,
  declaredChildVersion,
  objectsOfKind,
} from '../src/protocol/metacontroller.js';
import { GLOBAL_SIDECAR_ENDPOINTS, hasReadyEndpoint } from '../src/core/globalsidecar.js';
import { CONFIG_NAME, CONFIG_RULE } from '../src/core/lazyloadconfig.js';
import { planFence, renderFence } from '../src/core/servicefence.js';
import { SIDECAR_GROUP, SIDECAR_VERSION } from '../src/core/sidecar.js';

export interface SyncDeps {
  now: () => Date;
  dependencies: DependencySource;
}

const FENCE = { group: FENCE_GROUP, kind: FENCE_KIND };

/**
 * Related objects: the namespace's Services (the fence's own, and those that give the namespace's
 * other fences their selectors) and ServiceFences (docs/design.md §5.4), the label-selected Services
 * (cluster-wide), the global sidecars' EndpointSlices, the config.
 */
export function customize(body: unknown): CustomizeResponse {
  const { parent } = decodeCustomize(body, FENCE);
  const { name, namespace } = parent.metadata;
  const spec = parseFenceSpec(parent.spec, []);
  const rules: RelatedResourceRule[] = [
    { apiVersion: 'v1', resource: 'services', namespace },
    { apiVersion: FENCE_API_VERSION, resource: 'servicefences', namespace },
  ];
  const seen = new Set<string>();
  for (const selector of spec.labelSelector) {
    const key = JSON.stringify(Object.entries(selector).sort());
    // An empty selector would fetch every Service in the cluster; it matches nothing anyway.
    if (Object.keys(selector).length === 0 || seen.has(key)) continue;
    seen.add(key);
    rules.push({ apiVersion: 'v1', resource: 'services', labelSelector: { matchLabels: selector } });
  }
  rules.push(GLOBAL_SIDECAR_ENDPOINTS, CONFIG_RULE);
  return { relatedResources: rules };
}

export async function sync(body: unknown, deps: SyncDeps): Promise<CompositeSyncResponse<ServiceFenceStatus>> {
  const req = decodeCompositeSync(body, FENCE);
  const name = req.parent.metadata.name;
  const endpoints = objectsOfKind(req.related, 'discovery.k8s.io', 'EndpointSlice');
  const plan = planFence({
    fence: req.parent,
    services: objectsOfKind(req.related, '', 'Service'),
    fences: objectsOfKind(req.related, FENCE_GROUP, FENCE_KIND),
    lazyloadConfig: objectsOfKind(req.related, FENCE_GROUP, 'LazyloadConfig').find((c) => c.metadata.name === CONFIG_NAME),
    observedSidecar: objectsOfKind(req.children, SIDECAR_GROUP, 'Sidecar').find((s) => s.metadata.name === name),
    isGlobalSidecarReady: (gs) => hasReadyEndpoint(endpoints, gs),
    sidecarApiVersion: declaredChildVersion(req.controller, SIDECAR_GROUP, 'sidecars', SIDECAR_VERSION),
    envoyFilterApiVersion: declaredChildVersion(req.controller, ENVOYFILTER_GROUP, 'envoyfilters', ENVOYFILTER_VERSION),
  });
  const learned = await deps.dependencies.learn(plan.source, plan.config);
  return renderFence(plan, learned, deps.now());
}
