// The autofence DecoratorController hooks (docs/design.md §7): Services are decorated with the ServiceFence
// lazyload makes for them. We never write to the Service itself: no labels, annotations or status.

import { autoFenceAttachments } from '../src/core/autofence.js';
import { FENCE_API_VERSION, FENCE_GROUP, FENCE_KIND } from '../src/core/fence.js';
import { CONFIG_NAME, CONFIG_RULE } from '../src/core/lazyloadconfig.js';
import type { Logger } from '../src/log.js';
import {
  type CustomizeResponse,
  type DecoratorSyncResponse,
  InvalidRequest,
  type KObject,
  declaredHookVersion,
  decodeCustomize,
  decodeDecoratorSync,
  declaredChildVersion,
  objectsOfKind,
} from '../src/protocol/metacontroller.js';

const SERVICE = { group: '', kind: 'Service' };

/** Related objects: the Service's Namespace, the config, and the fence of the Service's name. */
export function customize(body: unknown): CustomizeResponse {
  const { name, namespace } = decodeCustomize(body, SERVICE).parent.metadata;
  return {
    relatedResources: [
      { apiVersion: 'v1', resource: 'namespaces', names: [namespace as string] },
      CONFIG_RULE,
      { apiVersion: FENCE_API_VERSION, resource: 'servicefences', namespace, names: [name] },
    ],
  };
}

export function sync(body: unknown, deps: { logger?: Logger } = {}): DecoratorSyncResponse {
  const req = decodeDecoratorSync(body, SERVICE);
  const version = declaredHookVersion(req.controller, 'sync');
  // v1 drops cluster-scoped related objects of a namespaced object: without the config every auto
  // fence would look switched off, and be deleted.
  if (version !== undefined && version !== 'v2') {
    throw new InvalidRequest(`autofence needs sync hook version v2 (the controller declares ${version}): with v1, Metacontroller leaves the Namespace and the LazyloadConfig out of the request`);
  }
  const { name, namespace } = req.object.metadata;
  const named = (objects: KObject[], wanted: string, ns?: string) =>
    objects.find((o) => o.metadata.name === wanted && (ns === undefined || o.metadata.namespace === ns));
  const { decision, attachments } = autoFenceAttachments({
    service: req.object,
    namespace: named(objectsOfKind(req.related, '', 'Namespace'), namespace as string),
    lazyloadConfig: named(objectsOfKind(req.related, FENCE_GROUP, 'LazyloadConfig'), CONFIG_NAME),
    fence: named(objectsOfKind(req.related, FENCE_GROUP, FENCE_KIND), name, namespace),
    attachments: objectsOfKind(req.attachments, FENCE_GROUP, FENCE_KIND),
    fenceApiVersion: declaredChildVersion(req.controller, FENCE_GROUP, 'servicefences', FENCE_API_VERSION),
  });
  deps.logger?.debug('auto-fence decision', { service: `${namespace}/${name}`, action: decision.action, reason: decision.reason, message: decision.message });
  // Nothing of ours outlives the Service but its fence, which Kubernetes collects through its
  // ownerReference: a finalize call, if one is ever wired, has nothing to wait for.
  return req.finalizing ? { attachments, finalized: true } : { attachments };
}

