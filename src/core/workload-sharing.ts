// What a fence's workload group (docs/design.md §5.4) means for its sync: who the candidates are, as
// every member of the namespace sees them, the hosts the owner adds for its members, and the
// conditions that say who writes the pods' Sidecar.

import type { ConditionJudgement } from './conditions.js';
import type { LazyloadConfig } from './config.js';
import { previousDomains, reachable } from './domain.js';
import { readWorkload } from './fence.js';
import { type KObject, isObject } from '../protocol/metacontroller.js';
import { REV_LABEL, selectWorkload } from './sidecar.js';
import { type GroupCandidate, type WorkloadGroup, workloadGroupOf } from './workload-group.js';
import { sortBytewise } from '../protocol/canonical.js';

export interface SharingInput {
  name: string;
  namespace: string;
  rev?: string;
  /** The fence's own selector as the others see it: spec, Service or default; not an observed Sidecar's. */
  visibleSelector?: Record<string, string>;
  enabled: boolean;
  /** The namespace's ServiceFences (the fence itself may be among them). */
  fences: KObject[];
  /** Services, of which those of the namespace give `fromService` fences their selectors. */
  services: KObject[];
  config: LazyloadConfig;
}

export interface Sharing {
  /** Undefined when the fence takes part in no group. */
  group?: WorkloadGroup;
  /** What the members' last written `status.domains` let them reach: the owner's Sidecar adds it. */
  memberReach: { namespaces: string[]; hosts: string[] };
}

const NOBODY = { namespaces: [], hosts: [] };

/**
 * Fences of another Istio revision are read by another istiod, and one with `enable: false` writes
 * nothing: neither can collide with this fence's children.
 */
function candidates(input: SharingInput, selfSelector: Record<string, string>): GroupCandidate[] {
  const out: GroupCandidate[] = [{ name: input.name, selector: selfSelector }];
  // Once, not per fence: a namespace may hold a thousand of each.
  const services = new Map(input.services.filter((s) => s.metadata.namespace === input.namespace).map((s) => [s.metadata.name, s]));
  for (const fence of input.fences) {
    const { name, namespace, labels } = fence.metadata;
    if (name === input.name || namespace !== input.namespace || (labels?.[REV_LABEL] || undefined) !== input.rev) continue;
    const workload = readWorkload(fence.spec);
    if (!workload.enable) continue;
    const selector = selectWorkload(workload, name, input.config, services.get(name), undefined).labels;
    if (selector) out.push({ name, selector });
  }
  return out;
}

export function shareWorkload(input: SharingInput): Sharing {
  // A fence the others cannot see (disabled, or its selector only kept from its observed Sidecar)
  // takes part in no group, and writes its children alone as before.
  if (!input.enabled || !input.visibleSelector) return { memberReach: NOBODY };
  const all = candidates(input, input.visibleSelector);
  // Most fences fence pods nobody else does: no need to build the classes.
  const group: WorkloadGroup = all.length === 1 ? { role: 'alone', selector: input.visibleSelector, overlaps: [] } : workloadGroupOf(input.name, all);
  if (group.role !== 'owner') return { group, memberReach: NOBODY };
  const memberReach = { namespaces: [] as string[], hosts: [] as string[] };
  for (const member of group.members) {
    const fence = input.fences.find((f) => f.metadata.name === member && f.metadata.namespace === input.namespace);
    const r = reachable(previousDomains(isObject(fence?.status) ? fence.status.domains : undefined));
    memberReach.namespaces.push(...r.namespaces);
    memberReach.hosts.push(...r.hosts);
  }
  return { group, memberReach };
}

/** `app=cart,tier=web`, as kubectl writes a selector. */
export const formatSelector = (selector: Record<string, string>): string =>
  sortBytewise(Object.keys(selector))
    .map((k) => `${k}=${selector[k]}`)
    .join(',');

const MAX_NAMED = 5;

function named(items: string[]): string {
  const shown = items.slice(0, MAX_NAMED).join(', ');
  return items.length > MAX_NAMED ? `${shown} and ${items.length - MAX_NAMED} more` : shown;
}

/** `WorkloadShared` and `SelectorOverlap`, each only when it has something to say. */
export function sharingConditions(group: WorkloadGroup | undefined): ConditionJudgement[] {
  const out: ConditionJudgement[] = [];
  if (!group) return out;
  const pods = formatSelector(group.selector);
  if (group.role === 'owner') {
    const message = `this fence writes the Sidecar and EnvoyFilter of the pods selected by ${pods}, with the hosts of ${group.members.length === 1 ? 'fence' : 'fences'} ${named(group.members)} too`;
    out.push({ type: 'WorkloadShared', status: 'True', reason: 'Owner', message });
  }
  if (group.role === 'member') {
    const message = `fence ${group.owner} writes the Sidecar and EnvoyFilter of the pods selected by ${pods}, this fence's among them, with this fence's hosts; this fence writes neither`;
    out.push({ type: 'WorkloadShared', status: 'True', reason: 'Member', message });
  }
  if (group.overlaps.length > 0) {
    const others = named(group.overlaps.map((o) => `${o.owner} (${formatSelector(o.selector)})`));
    const message =
      `the Sidecar for ${pods} may select the same pods as the one of fence ${others}: the selectors use different label keys, so only the pods could tell. ` +
      'A pod selected by both gets two Sidecars (undefined in Istio, IST0110) and two EnvoyFilters whose catch-all vhosts collide, and Envoy rejects its route configuration. ' +
      'Make one selector contain the other, or make them exclude each other';
    out.push({ type: 'SelectorOverlap', status: 'True', reason: 'MayOverlap', message });
  }
  return out;
}
