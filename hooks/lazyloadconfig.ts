// The lazyloadconfig CompositeController hook: the config is the whole input, so sync only decodes
// the request and lets the core decide.

import { FENCE_GROUP } from '../src/core/fence.js';
import { ENVOYFILTER_GROUP, ENVOYFILTER_VERSION } from '../src/core/envoyfilter.js';
import { DESTINATION_RULE, POD_DISRUPTION_BUDGET } from '../src/core/globalsidecar-objects.js';
import { type LazyloadConfigStatus, renderLazyloadConfig } from '../src/core/lazyloadconfig.js';
import { type CompositeSyncResponse, decodeCompositeSync, declaredChildVersion } from '../src/protocol/metacontroller.js';

const LAZYLOAD_CONFIG = { group: FENCE_GROUP, kind: 'LazyloadConfig', clusterScoped: true };

export function sync(body: unknown, deps: { now: () => Date; globalSidecarImage?: string }): CompositeSyncResponse<LazyloadConfigStatus> {
  const req = decodeCompositeSync(body, LAZYLOAD_CONFIG);
  const versions = {
    destinationRule: declaredChildVersion(req.controller, DESTINATION_RULE.group, DESTINATION_RULE.resource, DESTINATION_RULE.version),
    envoyFilter: declaredChildVersion(req.controller, ENVOYFILTER_GROUP, 'envoyfilters', ENVOYFILTER_VERSION),
    podDisruptionBudget: declaredChildVersion(req.controller, POD_DISRUPTION_BUDGET.group, POD_DISRUPTION_BUDGET.resource, POD_DISRUPTION_BUDGET.version),
  };
  return renderLazyloadConfig({ parent: req.parent, versions, defaultImage: deps.globalSidecarImage }, deps.now());
}
