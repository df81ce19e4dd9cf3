// Fences that fence the same pods (docs/design.md §5.4). Two Sidecars selecting one pod are undefined
// behaviour in Istio (its analyzer's IST0110), and two of our EnvoyFilters on one pod each merge an
// `allow_all` vhost with domain `*` into the same route configuration, which Envoy rejects as a
// whole. So fences whose selectors select the same pods for certain form a group, and one of them,
// the owner, writes the group's Sidecar and EnvoyFilter. Every member reaches the same answer from
// the same inputs (the namespace's fences and Services), so no state is kept between syncs.

import { compareBytes } from '../protocol/canonical.js';

/** An enabled fence whose workload selector every member can see (spec, its Service, or the default). */
export interface GroupCandidate {
  name: string;
  selector: Record<string, string>;
}

export interface SelectorOf {
  /** The owning fence. */
  owner: string;
  selector: Record<string, string>;
}

export type WorkloadGroup = {
  /** The selector of the Sidecar that covers the group's pods: the group's most general one. */
  selector: Record<string, string>;
  /** Other groups' Sidecars that may select some of these pods too (bytewise by owner). */
  overlaps: SelectorOf[];
} & (
  /** Nobody else fences these pods for certain. */
  | { role: 'alone' }
  /** This fence writes the Sidecar and EnvoyFilter, with the hosts of `members` (bytewise order). */
  | { role: 'owner'; members: string[] }
  /** `owner` writes them, with this fence's hosts; this one writes neither. */
  | { role: 'member'; owner: string }
);

/** Fences with equal selectors: a group's building block. */
interface SelectorClass {
  key: string;
  selector: Record<string, string>;
  labels: Map<string, string>;
  /** Bytewise order: the first is the one that would own the class. */
  fences: string[];
}

/** Whether every pod `specific` selects is selected by `general` too: its labels are all in `specific`. */
const within = (general: SelectorClass, specific: SelectorClass): boolean => {
  for (const [k, v] of general.labels) if (specific.labels.get(k) !== v) return false;
  return true;
};

/** No label key with different values: a pod could carry both selectors' labels. */
const compatible = (a: SelectorClass, b: SelectorClass): boolean => {
  for (const [k, v] of a.labels) if (b.labels.has(k) && b.labels.get(k) !== v) return false;
  return true;
};

/** Most general first (fewest labels), then the name of the fence that would own it. */
const byGenerality = (a: SelectorClass, b: SelectorClass): number => a.labels.size - b.labels.size || compareBytes(a.fences[0], b.fences[0]);

function classesOf(candidates: GroupCandidate[]): Map<string, SelectorClass> {
  const classes = new Map<string, SelectorClass>();
  for (const c of candidates) {
    const entries = Object.entries(c.selector).sort(([a], [b]) => compareBytes(a, b));
    const key = JSON.stringify(entries);
    const known = classes.get(key);
    if (known) known.fences.push(c.name);
    else classes.set(key, { key, selector: c.selector, labels: new Map(entries), fences: [c.name] });
  }
  for (const c of classes.values()) c.fences.sort(compareBytes);
  return classes;
}

const selectorOf = (c: SelectorClass): SelectorOf => ({ owner: c.fences[0], selector: c.selector });

/**
 * The group `self` belongs to. A class joins the group of the most general of the minimal selectors
 * within it (its root): the root's Sidecar then covers every pod of every member. A class with two
 * roots still joins one; the other root's group is reported as an overlap, not guessed away.
 */
export function workloadGroupOf(self: string, candidates: GroupCandidate[]): WorkloadGroup {
  const classes = [...classesOf(candidates).values()];
  const mine = classes.find((c) => c.fences.includes(self));
  if (!mine) throw new Error(`workloadGroupOf: ${self} is not among the candidates`);

  const roots = new Map<SelectorClass, SelectorClass>();
  const rootOf = (c: SelectorClass): SelectorClass => {
    let root = roots.get(c);
    if (!root) {
      const below = classes.filter((d) => within(d, c));
      const minimal = below.filter((d) => !below.some((e) => e !== d && within(e, d)));
      root = minimal.sort(byGenerality)[0];
      roots.set(c, root);
    }
    return root;
  };

  const root = rootOf(mine);
  const members: string[] = [];
  const others = new Map<string, SelectorOf>();
  for (const c of classes) {
    if (!compatible(c, root)) continue;
    const theirs = rootOf(c);
    if (theirs === root) members.push(...c.fences);
    else others.set(theirs.key, selectorOf(theirs));
  }
  const overlaps = [...others.values()].sort((a, b) => compareBytes(a.owner, b.owner));
  const owner = root.fences[0];
  const { selector } = root;
  if (members.length === 1) return { role: 'alone', selector, overlaps };
  if (owner !== self) return { role: 'member', owner, selector, overlaps };
  return { role: 'owner', members: members.filter((m) => m !== self).sort(compareBytes), selector, overlaps };
}
