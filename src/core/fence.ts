// The ServiceFence spec (Slime's schema, so existing fences keep working) and the recycling
// strategies of its static hosts, evaluated at an injected `now`.

import { Fields, type Issue } from './fields.js';
import { sortBytewise } from '../protocol/canonical.js';
import type { Condition } from './conditions.js';
import { isObject } from '../protocol/metacontroller.js';

export const FENCE_GROUP = 'microservice.slime.io';
export const FENCE_KIND = 'ServiceFence';
/** The version our CRDs serve (ServiceFence and LazyloadConfig). */
export const FENCE_API_VERSION = `${FENCE_GROUP}/v1alpha1`;

export type DomainState = 'ACTIVE' | 'EXPIREWAIT' | 'EXPIRE';

// The ServiceFence as the API server stores it (metacontroller/crds/servicefence.yaml). Requests are
// read through `parseFenceSpec`, which checks every field; these types say what we write and expect.

/** protobuf JSON `{seconds, nanos}`; int64 seconds come as a string or a number. */
export interface Timestamp {
  seconds?: string | number;
  nanos?: number;
}

export interface RecyclingStrategy {
  stable?: Record<string, never>;
  deadline?: { expire?: Timestamp };
  auto?: { duration?: Timestamp };
  RecentlyCalled?: Timestamp;
}

export interface ServiceFenceSpec {
  enable?: boolean;
  host?: Record<string, RecyclingStrategy | null>;
  namespaceSelector?: string[];
  labelSelector?: { selector: Record<string, string> }[];
  workloadSelector?: { fromService?: boolean; labels?: Record<string, string> };
}

export interface ServiceFenceStatus {
  domains?: Record<string, { hosts: string[]; status: DomainState }>;
  /** `{destination_service="<host>"}` → "1": the learned dependencies. */
  metricStatus?: Record<string, string>;
  conditions: Condition[];
}

/** When a static host stops being ACTIVE, in unix seconds; undefined: never. */
export interface StaticHost {
  host: string;
  /** The host's status is EXPIRE once now (unix seconds) is past this. */
  activeUntil?: number;
}

export interface FenceSpec {
  enable: boolean;
  /** `spec.host` service keys, in bytewise order (map order must not matter). */
  hosts: StaticHost[];
  /** `ns/*` keys of `spec.host` and `spec.namespaceSelector`, as `ns/*`. */
  namespaces: string[];
  /** OR of items, AND inside one; empty items never match (as in Slime). */
  labelSelector: Record<string, string>[];
  workloadSelector: { fromService: boolean; labels: Record<string, string> };
}

// `{seconds, nanos}` as protobuf JSON writes it: int64 seconds may be a string.
function seconds(parent: Fields, key: string): number | undefined {
  if (!parent.has(key)) return undefined;
  return parent.child(key).integer('seconds', 0, Number.MIN_SAFE_INTEGER);
}

function staticHost(host: string, f: Fields): StaticHost {
  // Checked in Slime's order: stable wins, then deadline, then auto with RecentlyCalled.
  if (f.has('stable')) return { host };
  if (f.has('deadline')) {
    const deadline = f.child('deadline');
    if (!deadline.has('expire')) deadline.report('expire', 'missing: the host is treated as already expired');
    return { host, activeUntil: seconds(deadline, 'expire') ?? 0 };
  }
  if (f.has('auto') && f.has('RecentlyCalled')) {
    const duration = seconds(f.child('auto'), 'duration') ?? 0;
    return { host, activeUntil: (seconds(f, 'RecentlyCalled') ?? 0) + duration };
  }
  return { host };
}

// Kubernetes label syntax: Metacontroller rejects a related rule with anything else, and a rejected
// rule would stop every sync of the fence.
const LABEL_NAME = '[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?';
const LABEL_KEY = new RegExp(`^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?${LABEL_NAME}$`);
const LABEL_VALUE = new RegExp(`^(${LABEL_NAME})?$`);

export const isNamespaceKey = (key: string): boolean => key.endsWith('/*');

/**
 * Slime's isValidHost: names that are the global sidecar itself, carry a port, or are Istio's
 * `unknown` placeholder never become dependencies.
 */
export const isValidHost = (h: string): boolean =>
  h !== '' && !h.includes('global-sidecar') && !h.includes(':') && !h.includes('unknown');

/** Read `spec` of a ServiceFence; problems are reported under `spec.…` and the rest still applies. */
export function parseFenceSpec(specValue: unknown, issues: Issue[]): FenceSpec {
  const spec = Fields.of(specValue, 'spec', issues);
  const hostMap = spec.child('host');
  const hosts: StaticHost[] = [];
  const namespaces: string[] = [];
  for (const key of sortBytewise(Object.keys(hostMap.obj))) {
    if (isNamespaceKey(key)) {
      const ns = key.slice(0, -2);
      if (ns === '' || ns.includes('/')) hostMap.report(key, 'a namespace key must look like <namespace>/*; ignored');
      else namespaces.push(key);
      continue;
    }
    const value = hostMap.obj[key];
    if (value !== null && value !== undefined && !isObject(value)) {
      hostMap.report(key, 'must be a recycling strategy such as {stable: {}} or {deadline: {expire: {seconds: …}}}');
      continue;
    }
    if (!isValidHost(key)) {
      hostMap.report(key, 'not a valid host (a port, "unknown" or the global sidecar); ignored');
      continue;
    }
    hosts.push(staticHost(key, hostMap.child(key)));
  }
  spec.strings('namespaceSelector').forEach((ns) => {
    if (ns.includes('/')) spec.report('namespaceSelector', `must list namespace names; ${JSON.stringify(ns)} is not one`);
    else namespaces.push(`${ns}/*`);
  });
  const labelSelector = spec.items('labelSelector').flatMap((item) => {
    const selector = item.stringMap('selector');
    const bad = Object.entries(selector).find(([k, v]) => !LABEL_KEY.test(k) || !LABEL_VALUE.test(v));
    if (!bad) return [selector];
    item.report('selector', `${JSON.stringify(bad[0])}: ${JSON.stringify(bad[1])} is not a valid Kubernetes label; item ignored`);
    return [];
  });
  return { ...workloadOf(spec), hosts, namespaces, labelSelector };
}

type Workload = Pick<FenceSpec, 'enable' | 'workloadSelector'>;

function workloadOf(spec: Fields): Workload {
  const ws = spec.child('workloadSelector');
  return {
    enable: spec.boolean('enable', false),
    workloadSelector: { fromService: ws.boolean('fromService', false), labels: ws.stringMap('labels') },
  };
}

/**
 * Only what decides which pods another fence of the namespace fences (docs/design.md §5.4), read as
 * `parseFenceSpec` reads it; its problems are that fence's to report, not ours.
 */
export const readWorkload = (specValue: unknown): Workload => workloadOf(Fields.of(specValue, 'spec', []));

export const stateAt = (h: StaticHost, nowSeconds: number): DomainState =>
  h.activeUntil !== undefined && nowSeconds > h.activeUntil ? 'EXPIRE' : 'ACTIVE';

/** Seconds until the next static host expires (a resync then flips it), if any is pending. */
export function secondsToNextExpiry(hosts: StaticHost[], nowMs: number): number | undefined {
  let next: number | undefined;
  for (const h of hosts) {
    if (h.activeUntil === undefined) continue;
    // EXPIRE holds once unix seconds exceed activeUntil, i.e. from (activeUntil + 1) * 1000 ms.
    const wait = Math.ceil(((h.activeUntil + 1) * 1000 - nowMs) / 1000);
    if (wait > 0 && (next === undefined || wait < next)) next = wait;
  }
  return next;
}
