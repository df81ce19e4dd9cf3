// Kubernetes-style status conditions. A condition's lastTransitionTime moves only when its status
// does, so an unchanged judgement rewrites nothing.

import { compareBytes } from '../protocol/canonical.js';
import { isObject } from '../protocol/metacontroller.js';

export type ConditionStatus = 'True' | 'False' | 'Unknown';

export interface ConditionJudgement {
  type: string;
  status: ConditionStatus;
  reason: string;
  message: string;
}

export interface Condition extends ConditionJudgement {
  lastTransitionTime: string;
}

/** RFC 3339 with whole seconds, as metav1.Time is serialised. */
export const kubeTime = (d: Date): string => `${d.toISOString().slice(0, 19)}Z`;

/** The conditions to write, sorted by type, carrying over transition times of unchanged statuses. */
export function settleConditions(judgements: ConditionJudgement[], previous: unknown, now: Date): Condition[] {
  const before = new Map<string, Record<string, unknown>>();
  if (Array.isArray(previous)) {
    for (const c of previous) if (isObject(c) && typeof c.type === 'string') before.set(c.type, c);
  }
  return judgements
    .map((j) => {
      const old = before.get(j.type);
      const carried = old && old.status === j.status && typeof old.lastTransitionTime === 'string';
      // Keys in the order they are written out (bytewise), so encoding has nothing to reorder.
      return { lastTransitionTime: carried ? (old.lastTransitionTime as string) : kubeTime(now), message: j.message, reason: j.reason, status: j.status, type: j.type };
    })
    .sort((a, b) => compareBytes(a.type, b.type));
}
