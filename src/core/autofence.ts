// Auto-fence (docs/design.md §7): whether a Service gets the ServiceFence lazyload makes for it, from the
// Service, its Namespace, the config and any fence of the same name. Metacontroller deletes an
// attachment the hook stops returning, so "no fence" removes one made earlier: turning autoFence off,
// narrowing the scope or labelling a Service out takes its auto fence away (Slime kept them, #517).
// When the answer cannot be known for sure, the fence we made is returned as it is: never a flap.

import { type ParsedConfig, parseConfigCached } from './config.js';
import { FENCE_KIND } from './fence.js';
import { GLOBAL_SIDECAR_NAME } from './globalsidecar.js';
import { CONFIG_NAME } from './lazyloadconfig.js';
import { type KObject, isObject } from '../protocol/metacontroller.js';
import { selects } from './selector.js';

export const CREATED_BY_LABEL = 'app.kubernetes.io/created-by';
export const CREATED_BY_US = 'fence-controller';
export const FENCED_LABEL = 'slime.io/serviceFenced';
const REV_LABEL = 'istio.io/rev';

export interface AutoFenceInput {
  service: KObject;
  /** The Service's Namespace; undefined when Metacontroller sent none. */
  namespace?: KObject;
  lazyloadConfig?: KObject;
  /** The ServiceFence named like the Service, whoever made it. */
  fence?: KObject;
  /** The ServiceFences Metacontroller made for this Service (its attachments). */
  attachments: KObject[];
  /** The ServiceFence apiVersion the controller declares. */
  fenceApiVersion: string;
}

export interface AutoFenceDecision {
  /** `fence`: the auto fence; `none`: no fence (ours is deleted); `keep`: ours, exactly as it is. */
  action: 'fence' | 'none' | 'keep';
  /** One word, for logs and `lazyload render`. */
  reason: string;
  message: string;
}

export interface AutoFenceResult {
  decision: AutoFenceDecision;
  attachments: KObject[];
}

// The config fields the decision reads: an error in any of them leaves our fences as they are, as a
// guessed default could delete or create fences across the whole mesh.
const DECISION_FIELDS = ['autoFence', 'defaultFence', 'managementSelectors', 'blackNamespaceList', 'whiteNamespaceList', 'selfResourceRev'];
const isDecisionField = (field: string): boolean =>
  field === 'spec' || DECISION_FIELDS.some((f) => field === `spec.${f}` || field.startsWith(`spec.${f}[`) || field.startsWith(`spec.${f}.`));

/** `"true"` → true, `"false"` → false, anything else (`"TRUE"`, `""`) → no say. */
function fencedLabel(obj: KObject): boolean | undefined {
  const value = obj.metadata.labels?.[FENCED_LABEL];
  return value === 'true' ? true : value === 'false' ? false : undefined;
}

const decision = (action: AutoFenceDecision['action'], reason: string, message: string): AutoFenceDecision => ({ action, reason, message });
const fenced = (yes: boolean, reason: string, why: string) =>
  decision(yes ? 'fence' : 'none', reason, `${yes ? 'fenced' : 'not fenced'}: ${why}`);

function decideAutoFence(input: AutoFenceInput, { config, errors }: ParsedConfig): AutoFenceDecision {
  const { service, namespace } = input;
  const { name } = service.metadata;
  const ns = service.metadata.namespace ?? '';
  const ours = input.attachments.find((f) => f.metadata.name === name);
  const existing = input.fence ?? ours;
  const mark = `${CREATED_BY_LABEL}=${CREATED_BY_US}`;
  if (existing && existing.metadata.labels?.[CREATED_BY_LABEL] !== CREATED_BY_US) {
    return ours
      ? decision('keep', 'HandedOver', `ServiceFence ${ns}/${name} no longer carries ${mark}: it is left as it is`)
      : decision('none', 'NotOurs', `ServiceFence ${ns}/${name} was made by hand (no ${mark}): it is never touched`);
  }
  if (existing && !ours) {
    return decision('none', 'NotOwned', `ServiceFence ${ns}/${name} carries ${mark} but does not belong to this Service (made by Slime, or for a deleted Service of that name): it is left alone`);
  }

  const problem = errors.find((e) => isDecisionField(e.field));
  if (problem) return decision('keep', 'ConfigInvalid', `LazyloadConfig ${CONFIG_NAME}: ${problem.field}: ${problem.message}; auto fences stay as they are until it is fixed`);
  if (!config.autoFence) return decision('none', 'AutoFenceOff', 'autoFence is off');
  if (config.blackNamespaceList.includes(ns)) return decision('none', 'OutOfScope', `namespace ${ns} is in blackNamespaceList`);
  if (config.whiteNamespaceList.length > 0 && !config.whiteNamespaceList.includes(ns)) {
    return decision('none', 'OutOfScope', `namespace ${ns} is not in whiteNamespaceList`);
  }
  const unknownNamespace = decision('keep', 'NamespaceUnknown', `Namespace ${ns} was not in the request: auto fences stay as they are`);
  if (config.managementSelectors.length > 0) {
    if (!namespace) return unknownNamespace;
    if (!config.managementSelectors.some((s) => selects(s, namespace.metadata.labels))) {
      return decision('none', 'OutOfScope', `namespace ${ns} matches none of managementSelectors`);
    }
  }
  if (name === GLOBAL_SIDECAR_NAME) return decision('none', 'GlobalSidecar', 'the global sidecar is never fenced');
  const selector = isObject(service.spec) ? service.spec.selector : undefined;
  if (!isObject(selector) || Object.keys(selector).length === 0) return decision('none', 'NoSelector', 'the Service has no selector, so no workload to fence');

  const byService = fencedLabel(service);
  if (byService !== undefined) return fenced(byService, 'ServiceLabel', `label ${FENCED_LABEL}="${byService}" on the Service`);
  if (!namespace) return unknownNamespace;
  const byNamespace = fencedLabel(namespace);
  if (byNamespace !== undefined) return fenced(byNamespace, 'NamespaceLabel', `label ${FENCED_LABEL}="${byNamespace}" on namespace ${ns}`);
  return fenced(config.defaultFence, 'DefaultFence', `defaultFence is ${config.defaultFence}`);
}

/** The fence of docs/design.md §7: all of it is ours, so Metacontroller restores any part edited away. */
function autoFence(input: AutoFenceInput, rev: string | undefined): KObject {
  const { name, namespace } = input.service.metadata;
  return {
    apiVersion: input.fenceApiVersion,
    kind: FENCE_KIND,
    metadata: { name, namespace, labels: { [CREATED_BY_LABEL]: CREATED_BY_US, ...(rev ? { [REV_LABEL]: rev } : {}) } },
    spec: { enable: true, workloadSelector: { fromService: true } },
  };
}

/**
 * What Metacontroller has, returned as desired: its three-way merge then finds nothing to change.
 * Annotations are left out, as we never set any (Metacontroller's own are kept by the merge).
 */
function asItIs(fence: KObject, apiVersion: string): KObject {
  const { name, namespace, labels } = fence.metadata;
  return {
    apiVersion,
    kind: fence.kind,
    metadata: { name, namespace, ...(labels ? { labels } : {}) },
    ...(fence.spec !== undefined ? { spec: fence.spec } : {}),
  };
}

export function autoFenceAttachments(input: AutoFenceInput): AutoFenceResult {
  const parsed = parseConfigCached(input.lazyloadConfig?.spec);
  const decision = decideAutoFence(input, parsed);
  let attachments: KObject[] = [];
  if (decision.action === 'fence') attachments = [autoFence(input, parsed.config.selfResourceRev)];
  if (decision.action === 'keep') attachments = input.attachments.map((f) => asItIs(f, input.fenceApiVersion));
  return { decision, attachments };
}
