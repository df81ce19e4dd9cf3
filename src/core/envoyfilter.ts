// `<fence>-to-global-sidecar`: the EnvoyFilter that takes one fenced workload's unknown calls to
// the global sidecar (docs/design.md §5.3). Per wormhole port it removes Istio's catch-all vhost,
// whichever the mesh's outbound policy made (`allow_any` or `block_all`), and merges in the dispatch
// vhosts and `allow_all`: Slime's `to-global-sidecar` shape scoped by workload selector. The headers
// are literals, so no Lua and no `%ENVIRONMENT%` is needed.

import { PASSTHROUGH_CLUSTER, type ResolvedCluster, type ResolvedDispatch } from './dispatch.js';
import type { GlobalSidecar } from './globalsidecar.js';
import type { KObject } from '../protocol/metacontroller.js';
import { REV_LABEL } from './sidecar.js';

export const ENVOYFILTER_GROUP = 'networking.istio.io';
export const ENVOYFILTER_VERSION = 'networking.istio.io/v1alpha3';
export const TO_GLOBAL_SIDECAR_SUFFIX = '-to-global-sidecar';

export interface ToGlobalSidecarInput {
  apiVersion: string;
  fence: { name: string; namespace: string };
  rev?: string;
  selector: Record<string, string>;
  globalSidecar: GlobalSidecar;
  ports: number[];
  /** Resolved for these ports, one cluster per port. */
  dispatches: ResolvedDispatch[];
  passthroughByDefault: boolean;
  proxyVersion?: string;
}

type Json = Record<string, unknown>;

const EVERY_PATH = { prefix: '/' };
/**
 * Istio's catch-all vhosts (domain `*`): `allow_any` under ALLOW_ANY, `block_all` under REGISTRY_ONLY.
 * Envoy refuses a second `*`, so both are removed whatever the mesh's policy; a REMOVE that matches
 * nothing does nothing. istiod applies ROUTE_CONFIGURATION merges before VIRTUAL_HOST removes, by
 * name, so our `allow_all` is never caught by them.
 */
const ISTIO_CATCH_ALLS = ['allow_any', 'block_all'];

function route(match: Json, target: ResolvedCluster, input: ToGlobalSidecarInput): Json {
  if (target.kind === 'cluster') return { match, route: { cluster: target.name, timeout: '0s' } };
  // What the forwarder needs to find the real destination and credit the caller.
  const header = (key: string, value: string) => ({ append_action: 'OVERWRITE_IF_EXISTS_OR_ADD', header: { key, value } });
  return {
    match,
    request_headers_to_add: [
      header('Slime-Orig-Dest', '%DOWNSTREAM_LOCAL_ADDRESS%'),
      header('Slime-Source-Ns', input.fence.namespace),
      header('Slime-Source-Fence', input.fence.name),
    ],
    route: { cluster: input.globalSidecar.cluster, timeout: '0s' },
  };
}

const authority = (regex: string): Json => ({
  headers: [{ name: ':authority', string_match: { safe_regex: { regex } } }],
  prefix: '/',
});

/** The vhosts merged into route configuration `"<port>"`: dispatch vhosts in config order, then `allow_all`. */
function virtualHosts(input: ToGlobalSidecarInput, portIndex: number): Json[] {
  const own = input.dispatches.filter((d) => d.dispatch.domainRegex === undefined);
  const regex = input.dispatches.filter((d) => d.dispatch.domainRegex !== undefined);
  const fallback: ResolvedCluster = input.passthroughByDefault ? { kind: 'cluster', name: PASSTHROUGH_CLUSTER } : { kind: 'globalSidecar' };
  return [
    ...own.map((d) => ({ domains: d.dispatch.domains, name: d.dispatch.name, routes: [route(EVERY_PATH, d.clusters[portIndex], input)] })),
    {
      domains: ['*'],
      name: 'allow_all',
      routes: [
        ...regex.map((d) => route(authority(d.dispatch.domainRegex as string), d.clusters[portIndex], input)),
        route(EVERY_PATH, fallback, input),
      ],
    },
  ];
}

export function buildToGlobalSidecar(input: ToGlobalSidecarInput): KObject {
  const proxy = input.proxyVersion === undefined ? {} : { proxy: { proxyVersion: input.proxyVersion } };
  const configPatches = input.ports.flatMap((port, i) => [
    ...ISTIO_CATCH_ALLS.map((vhost) => ({
      applyTo: 'VIRTUAL_HOST',
      match: { context: 'SIDECAR_OUTBOUND', ...proxy, routeConfiguration: { name: String(port), vhost: { name: vhost } } },
      patch: { operation: 'REMOVE' },
    })),
    {
      applyTo: 'ROUTE_CONFIGURATION',
      match: { context: 'SIDECAR_OUTBOUND', ...proxy, routeConfiguration: { name: String(port) } },
      patch: { operation: 'MERGE', value: { virtual_hosts: virtualHosts(input, i) } },
    },
  ]);
  const name = `${input.fence.name}${TO_GLOBAL_SIDECAR_SUFFIX}`;
  const metadata = input.rev ? { labels: { [REV_LABEL]: input.rev }, name, namespace: input.fence.namespace } : { name, namespace: input.fence.namespace };
  return {
    apiVersion: input.apiVersion,
    kind: 'EnvoyFilter',
    metadata,
    spec: { configPatches, workloadSelector: { labels: { ...input.selector } } },
  };
}
