// A model of how istiod applies EnvoyFilter patches to a sidecar's outbound route configuration,
// read from Istio's code (master, 2025):
// - which filters apply: pilot/pkg/model/push_context.go EnvoyFilters / getMatchedEnvoyFilters (the
//   root namespace's and the proxy's own namespace's, whose workloadSelector is a subset of the pod's
//   labels or absent), and proxyMatch (a proxyVersion regex, unanchored as Go's MatchString, needs
//   the proxy's Istio version; proxy metadata must equal the proxy's);
// - their order: priority, root namespace first, creation time, then `<name>.<namespace>`; patches
//   of one filter in their order;
// - pilot/pkg/networking/core/envoyfilter/rc_patch.go ApplyRouteConfigurationPatches: first every
//   ROUTE_CONFIGURATION MERGE (no other operation applies there), then per virtual host every
//   VIRTUAL_HOST REMOVE or MERGE, matched by route configuration name or port and virtual host name;
//   so a REMOVE also removes a virtual host a MERGE just added. Then VIRTUAL_HOST ADDs append.
// The merge is protobuf's (istio pkg/proto/merge): messages merge field by field, repeated fields
// append, scalars are replaced. The model reads patch values as written (snake_case, as lazyload
// writes them) and does not tell proto3 zero values from unset ones.

import RE2 from 're2';
import type { Json, RouteConfiguration, VirtualHost } from './istio-routes.js';

export interface Proxy {
  /** The pod's labels. */
  labels: Record<string, string>;
  namespace: string;
  /** `ISTIO_VERSION` of the proxy; a patch with a proxyVersion never applies to a proxy without one. */
  istioVersion?: string;
  /** Proxy metadata (`match.proxy.metadata`). */
  metadata?: Record<string, string>;
  /** The mesh's root namespace: its filters apply in every namespace. */
  rootNamespace?: string;
}

const ROUTE_KINDS = new Set(['ROUTE_CONFIGURATION', 'VIRTUAL_HOST', 'HTTP_ROUTE']);

const clone = <T>(v: T): T => structuredClone(v);
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Protobuf merge on JSON: objects field by field, lists appended, anything else replaced. Changes `dst`. */
export function protoMerge(dst: Json, src: Json): Json {
  for (const [key, value] of Object.entries(src)) {
    if (Array.isArray(value)) dst[key] = [...(Array.isArray(dst[key]) ? dst[key] : []), ...clone(value)];
    else if (isObject(value)) dst[key] = protoMerge(isObject(dst[key]) ? dst[key] : {}, value);
    else dst[key] = value;
  }
  return dst;
}

const subsetOf = (selector: Record<string, string>, labels: Record<string, string>) => Object.entries(selector).every(([k, v]) => labels[k] === v);

/** The filters that reach this proxy, in the order istiod applies them. */
export function envoyFiltersFor(filters: Json[], proxy: Proxy): Json[] {
  const root = proxy.rootNamespace ?? 'istio-system';
  const matched = filters.filter((f) => {
    const ns = f.metadata?.namespace;
    if (ns !== root && ns !== proxy.namespace) return false;
    if (f.spec?.targetRefs) return false;
    const selector = f.spec?.workloadSelector?.labels;
    return selector === undefined || subsetOf(selector, proxy.labels);
  });
  // Array.prototype.sort is stable: filters equal on every key keep the order given.
  return matched.sort((a, b) => {
    const pa = a.spec?.priority ?? 0;
    const pb = b.spec?.priority ?? 0;
    if (pa !== pb) return pa - pb;
    const ra = a.metadata.namespace === root;
    const rb = b.metadata.namespace === root;
    if (ra !== rb) return ra ? -1 : 1;
    const ta = Date.parse(a.metadata.creationTimestamp ?? '') || 0;
    const tb = Date.parse(b.metadata.creationTimestamp ?? '') || 0;
    if (ta !== tb) return ta - tb;
    const na = `${a.metadata.name}.${a.metadata.namespace}`;
    const nb = `${b.metadata.name}.${b.metadata.namespace}`;
    return na < nb ? -1 : na > nb ? 1 : 0;
  });
}

function proxyMatches(patch: Json, proxy: Proxy): boolean {
  const m = patch.match?.proxy;
  if (!m) return true;
  if (m.proxyVersion !== undefined && m.proxyVersion !== '') {
    if (!proxy.istioVersion || !new RE2(m.proxyVersion).test(proxy.istioVersion)) return false;
  }
  return Object.entries(m.metadata ?? {}).every(([k, v]) => proxy.metadata?.[k] === v);
}

function routeConfigurationMatches(patch: Json, rc: RouteConfiguration): boolean {
  const m = patch.match?.routeConfiguration;
  if (!m) return true;
  if (m.portNumber && Number(m.portNumber) !== Number.parseInt(rc.name, 10)) return false;
  return !m.name || m.name === rc.name;
}

function virtualHostMatches(patch: Json, vh: VirtualHost): boolean {
  const m = patch.match?.routeConfiguration?.vhost;
  return !m || !m.name || m.name === vh.name;
}

/**
 * The route configuration a sidecar receives after istiod applies the EnvoyFilters that reach it
 * (context SIDECAR_OUTBOUND). A route patch the model does not know (HTTP_ROUTE, VIRTUAL_HOST
 * REPLACE or INSERT_*) throws rather than passing silently.
 */
export function applyEnvoyFilters(routeConfig: RouteConfiguration, filters: Json[], proxy: Proxy): RouteConfiguration {
  const rc = clone(routeConfig);
  const patches: Json[] = envoyFiltersFor(filters, proxy)
    .flatMap((f) => (f.spec?.configPatches ?? []) as Json[])
    .filter((p) => ROUTE_KINDS.has(p.applyTo))
    .filter((p) => [undefined, 'ANY', 'SIDECAR_OUTBOUND'].includes(p.match?.context) && proxyMatches(p, proxy));
  for (const p of patches) {
    const op = p.patch?.operation;
    const known = p.applyTo === 'ROUTE_CONFIGURATION' || (p.applyTo === 'VIRTUAL_HOST' && ['REMOVE', 'MERGE', 'ADD'].includes(op));
    if (!known) throw new Error(`the route model does not know ${p.applyTo} ${op}`);
  }
  const applies = (p: Json, applyTo: string) => p.applyTo === applyTo && routeConfigurationMatches(p, rc);

  for (const p of patches) if (applies(p, 'ROUTE_CONFIGURATION') && p.patch.operation === 'MERGE') protoMerge(rc, p.patch.value ?? {});

  const vhostPatches = patches.filter((p) => applies(p, 'VIRTUAL_HOST'));
  const kept: VirtualHost[] = [];
  for (const vh of rc.virtual_hosts ?? []) {
    let removed = false;
    for (const p of vhostPatches) {
      if (!virtualHostMatches(p, vh)) continue;
      if (p.patch.operation === 'REMOVE') {
        removed = true;
        break;
      }
      if (p.patch.operation === 'MERGE') protoMerge(vh, p.patch.value ?? {});
    }
    if (!removed) kept.push(vh);
  }
  for (const p of vhostPatches) if (p.patch.operation === 'ADD') kept.push(clone(p.patch.value));
  rc.virtual_hosts = kept;
  return rc;
}
