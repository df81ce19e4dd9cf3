// Random LazyloadConfigs and fences for the proxy-routes properties, over a small mesh whose Services
// a dispatch domain can collide with.

import fc from 'fast-check';
import type { FenceInput } from './fence-namespace.js';
import type { MeshService } from './istio-routes.js';

// The random mesh: Services a fence may list or learn, in the namespaces fences live in and those
// every Sidecar lists. Wormhole ports are drawn from PORTS, so every Service is on all of them.
export const PORTS = [9080, 8080, 80, 443];
const NAMESPACES = ['default', 'shop'];
const kube = (name: string, namespace: string, ip: number): MeshService => ({ host: `${name}.${namespace}.svc.cluster.local`, namespace, ports: PORTS, clusterIP: `10.96.0.${ip}` });
export const MESH: MeshService[] = [
  kube('reviews', 'default', 10),
  kube('ratings', 'default', 11),
  kube('ratings', 'shop', 12),
  kube('cart', 'shop', 13),
  kube('istiod', 'istio-system', 14),
  kube('global-sidecar', 'mesh-operator', 15),
  // A ServiceEntry host is visible only through `*/api.example.com`: in a namespace a Sidecar lists
  // whole (`ns/*`) it could be any name, which no fence can know.
  { host: 'api.example.com', namespace: 'external', ports: PORTS },
];
const HOSTS = [...MESH.map((s) => s.host).filter((h) => !h.includes('global-sidecar')), 'shop/*', 'default/*', 'unknown-to-the-mesh.example.net'];

// Names and domains that are fine, that Envoy reads oddly, and that collide with what Istio writes
// for the services above (any case). No IP literal: Istio also writes each Service's ClusterIP, which
// no fence knows, so no check in the core can keep a dispatch domain off it.
const NAMES = ['n163', 'sohu', 'ext', 'reviews', 'allow_all', 'allow_any', 'block_all', 'reviews.default.svc.cluster.local:9080', 'api.example.com:80'];
const DOMAINS = [
  'www.163.com', 'WWW.163.com', '*.sohu.com', 'sohu.*', 'x.example.org', '*.example.com',
  'api.example.com', 'API.Example.com', 'reviews', 'Reviews.Default', 'reviews.default.svc.cluster.local', 'ratings.shop.svc',
  'cart', 'istiod.istio-system', 'global-sidecar.mesh-operator.svc', 'a*b.example.com', '**', '*.*', '*',
];
const REGEXES = ['^(?:[0-9]{1,3}\\.){3}[0-9]{1,3}(?::[0-9]+)?$', '^(?:[^.])+$', '^[a-z]+\\.internal$', '(?=x)', '['];

const dispatch = fc.oneof(
  fc.record({ name: fc.constantFrom(...NAMES), domains: fc.subarray(DOMAINS, { minLength: 1, maxLength: 3 }), cluster: fc.constantFrom('_GLOBAL_SIDECAR', 'PassthroughCluster') }),
  fc.record({ domainRegex: fc.constantFrom(...REGEXES), cluster: fc.constantFrom('_GLOBAL_SIDECAR', 'PassthroughCluster') }),
);
export const lazyloadConfig = fc.record({
  wormholePort: fc.subarray(PORTS.map(String), { minLength: 1 }),
  dispatches: fc.array(dispatch, { maxLength: 6 }),
  passthroughByDefault: fc.boolean(),
});
/**
 * Fences of one namespace. Each selects a workload of its own (`app: <fence>`), unless
 * `shareWorkloads`: then several may select the same pods.
 */
export function namespaceOfFences(o: { shareWorkloads: boolean }) {
  // Shared: equal selectors, or one within another ({app} and {app, version}); never two on different
  // keys, which only pods could tell apart and which are reported, not grouped.
  const labels = (name: string) =>
    o.shareWorkloads
      ? fc.record({ app: fc.constantFrom('productpage', 'reviews'), version: fc.constantFrom('v1', 'v2') }, { requiredKeys: ['app'] })
      : fc.constant({ app: name });
  const fence = fc
    .constantFrom('productpage', 'reviews', 'frontend', 'cart', 'cart-headless')
    .chain((name) => fc.record({ name: fc.constant(name), hosts: fc.subarray(HOSTS), labels: labels(name) }));
  return fc.record({
    namespace: fc.constantFrom(...NAMESPACES),
    fences: fc.uniqueArray(fence, { minLength: 1, maxLength: 4, selector: (f: FenceInput) => f.name }),
  });
}
