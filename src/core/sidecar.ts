// The Istio Sidecar of one fenced workload: which pods it selects and which hosts they may reach.

import { compareBytes, sortBytewise } from '../protocol/canonical.js';
import type { ConditionJudgement } from './conditions.js';
import type { LazyloadConfig } from './config.js';
import type { FenceSpec } from './fence.js';
import { type KObject, isObject } from '../protocol/metacontroller.js';
import { globalSidecarHostIn } from './template.js';

export const SIDECAR_GROUP = 'networking.istio.io';
export const SIDECAR_VERSION = 'networking.istio.io/v1';
export const REV_LABEL = 'istio.io/rev';

export interface WorkloadSelection {
  /** The pod labels the Sidecar selects; undefined: no Sidecar can be built. */
  labels?: Record<string, string>;
  /** Set when the selector is the Service's: the ServiceFound condition. */
  serviceFound?: ConditionJudgement;
}

function selectorOf(obj: KObject | undefined, path: 'spec.selector' | 'spec.workloadSelector.labels'): Record<string, string> | undefined {
  let v: unknown = obj;
  for (const key of path.split('.')) v = isObject(v) ? v[key] : undefined;
  if (!isObject(v) || Object.keys(v).length === 0) return undefined;
  return Object.values(v).every((x) => typeof x === 'string') ? (v as Record<string, string>) : undefined;
}

/**
 * Slime's three rules, in order: the fence's own labels, the Service's selector (`fromService`), or
 * `{<serviceLabel>: <fence name>}`. When the Service is gone or selects nothing, the observed
 * Sidecar keeps its selector: dropping it would send the workload back to the full mesh config,
 * and an empty selector would fence the whole namespace.
 */
export function selectWorkload(
  spec: Pick<FenceSpec, 'workloadSelector'>,
  fenceName: string,
  config: LazyloadConfig,
  service: KObject | undefined,
  observed: KObject | undefined,
): WorkloadSelection {
  if (Object.keys(spec.workloadSelector.labels).length > 0) return { labels: spec.workloadSelector.labels };
  if (!spec.workloadSelector.fromService) return { labels: { [config.serviceLabel]: fenceName } };
  const fromService = selectorOf(service, 'spec.selector');
  if (fromService) {
    return { labels: fromService, serviceFound: { type: 'ServiceFound', status: 'True', reason: 'Found', message: `Service ${fenceName} selects the workload` } };
  }
  const kept = selectorOf(observed, 'spec.workloadSelector.labels');
  const what = service ? `Service ${fenceName} has no selector` : `Service ${fenceName} not found in this namespace`;
  const then = kept ? 'the existing Sidecar keeps its workload selector' : 'no Sidecar is generated until it is';
  return { labels: kept, serviceFound: { type: 'ServiceFound', status: 'False', reason: service ? 'NoSelector' : 'NotFound', message: `${what}; ${then}` } };
}

/** The global sidecar's host when the fence needs it spelled out (docs/design.md §5.3). */
export function globalSidecarHost(config: LazyloadConfig, fenceNamespace: string): string | undefined {
  const gs = config.globalSidecar;
  // Namespace mode names the fence's own namespace whether or not one runs there (docs/design.md §5.3).
  if (gs.mode === 'namespace') return globalSidecarHostIn(fenceNamespace);
  // In cluster mode the controller namespace is visible anyway (`<controllerNamespace>/*`).
  if (gs.mode === 'cluster' && gs.namespace !== config.controllerNamespace) return globalSidecarHostIn(gs.namespace);
  return undefined;
}

const uniqueSorted = (items: string[]): string[] => sortBytewise(items).filter((h, i, sorted) => i === 0 || h !== sorted[i - 1]);

/**
 * `egress[0].hosts`: always-visible namespaces, stable hosts, the domains in use, the global
 * sidecar; de-duplicated, in bytewise order. Hosts are sorted before they get their `*` + `/`
 * prefix: the same order, and far cheaper than comparing freshly concatenated strings.
 */
export function egressHosts(config: LazyloadConfig, fenceNamespace: string, domains: { namespaces: string[]; hosts: string[] }): string[] {
  const namespaces = [`${config.istioNamespace}/*`, `${config.controllerNamespace}/*`, ...domains.namespaces];
  const hosts = [...domains.hosts];
  for (const h of config.stableHost) (h.endsWith('/*') ? namespaces : hosts).push(h);
  const gs = globalSidecarHost(config, fenceNamespace);
  if (gs) hosts.push(gs);
  const out = [...uniqueSorted(hosts).map((h) => `*/${h}`), ...uniqueSorted(namespaces)];
  // `*/` sorts before any namespace name; only a stable host spelled oddly could break that.
  return out.every((h, i) => i === 0 || compareBytes(out[i - 1], h) < 0) ? out : uniqueSorted(out);
}

export interface SidecarInput {
  apiVersion: string;
  name: string;
  namespace: string;
  rev?: string;
  selector: Record<string, string>;
  hosts: string[];
}

export function buildSidecar(s: SidecarInput): KObject {
  const metadata: KObject['metadata'] = s.rev ? { labels: { [REV_LABEL]: s.rev }, name: s.name, namespace: s.namespace } : { name: s.name, namespace: s.namespace };
  return {
    apiVersion: s.apiVersion,
    kind: 'Sidecar',
    metadata,
    spec: { egress: [{ hosts: s.hosts }], workloadSelector: { labels: { ...s.selector } } },
  };
}
