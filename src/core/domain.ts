// `status.domains`: every host a fenced workload may call, with its state (docs/design.md §5.1).
// Fresh domains are built from the spec, the label-selected Services and the learned set, first
// writer wins; then the previous status decides which learned domains are in their grace period.

import { type AliasRules, withAliases } from './alias.js';
import { sortBytewise } from '../protocol/canonical.js';
import { type DomainState, type StaticHost, isValidHost, stateAt } from './fence.js';
import { isObject } from '../protocol/metacontroller.js';

export interface Domain {
  hosts: string[];
  status: DomainState;
}

export type Domains = Map<string, Domain>;

export interface DomainSources {
  staticHosts: StaticHost[];
  /** `ns/*` keys, from `spec.host` and `spec.namespaceSelector`. */
  namespaces: string[];
  /** `<name>.<ns>.svc.cluster.local` of the label-selected Services. */
  selectedHosts: string[];
  /** Dependencies the workload was seen calling (ports stripped, host rules applied). */
  learnedHosts: string[];
  aliases: AliasRules;
  nowSeconds: number;
}

function addHost(domains: Domains, host: string, status: DomainState, aliases: AliasRules): void {
  for (const name of withAliases(host, aliases)) {
    if (!domains.has(name)) domains.set(name, { hosts: [name], status });
  }
}

/** The domains the current inputs call for, before the grace period of learned ones (a new map). */
export function freshDomains(s: DomainSources): Domains {
  const domains: Domains = new Map();
  for (const h of s.staticHosts) addHost(domains, h.host, stateAt(h, s.nowSeconds), s.aliases);
  for (const ns of s.namespaces) if (!domains.has(ns)) domains.set(ns, { hosts: [], status: 'ACTIVE' });
  for (const h of s.selectedHosts) if (isValidHost(h)) addHost(domains, h, 'ACTIVE', s.aliases);
  for (const h of s.learnedHosts) addHost(domains, h, 'ACTIVE', s.aliases);
  return domains;
}

/** The names (hosts and their aliases) a set of learned hosts contributes. */
export function learnedNames(hosts: string[], aliases: AliasRules): Set<string> {
  const names = new Set<string>();
  for (const h of hosts) for (const name of withAliases(h, aliases)) names.add(name);
  return names;
}

/** Read the previous `status.domains`, tolerating Slime's encoding (ACTIVE omitted). */
export function previousDomains(value: unknown): Domains {
  const out: Domains = new Map();
  if (!isObject(value)) return out;
  for (const [key, d] of Object.entries(value)) {
    if (!isObject(d)) continue;
    const hosts = Array.isArray(d.hosts) ? d.hosts.filter((h): h is string => typeof h === 'string') : [];
    const status = d.status === 'EXPIREWAIT' || d.status === 'EXPIRE' ? d.status : 'ACTIVE';
    out.set(key, { hosts, status });
  }
  return out;
}

export interface GraceInputs {
  fresh: Domains;
  previous: Domains;
  /** Names the previous learned set contributed: only those get a grace period. */
  previouslyLearned: Set<string>;
  /** Whether the learned set differs from the previous one (by hosts). */
  learnedChanged: boolean;
}

/**
 * The grace period Slime documents but never ran: when the learned set changes, a learned domain
 * that vanished turns EXPIREWAIT (still reachable) and one already EXPIREWAIT goes; while the set is
 * unchanged, EXPIREWAIT entries stay. Anything else that vanished (spec edits) goes at once.
 * Adds to `fresh` and returns it.
 */
export function withGracePeriod({ fresh, previous, previouslyLearned, learnedChanged }: GraceInputs): Domains {
  const out = fresh;
  for (const [key, old] of previous) {
    if (out.has(key)) continue;
    if (old.status === 'EXPIREWAIT' && !learnedChanged) out.set(key, old);
    else if (old.status === 'ACTIVE' && learnedChanged && previouslyLearned.has(key)) out.set(key, { hosts: old.hosts, status: 'EXPIREWAIT' });
  }
  return out;
}

/** `status.domains` as written: keys and hosts in bytewise order. */
export function encodeDomains(domains: Domains): Record<string, Domain> {
  const out: Record<string, Domain> = {};
  for (const key of sortBytewise(domains.keys())) {
    const d = domains.get(key)!;
    out[key] = { hosts: d.hosts.length < 2 ? d.hosts : sortBytewise(d.hosts), status: d.status };
  }
  return out;
}

/** What the domains still in use (ACTIVE or EXPIREWAIT) let the workload reach. */
export function reachable(domains: Domains): { namespaces: string[]; hosts: string[] } {
  const namespaces: string[] = [];
  const hosts: string[] = [];
  for (const [key, d] of domains) {
    if (d.status === 'EXPIRE') continue;
    if (key.endsWith('/*')) namespaces.push(key);
    for (const h of d.hosts) hosts.push(h);
  }
  return { namespaces, hosts };
}
