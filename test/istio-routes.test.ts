// The model the proxy-routes tests stand on: Istio's route configuration for a port, its EnvoyFilter
// patching, and Envoy's rules. Each behaviour pinned here is read from Istio's or Envoy's code (see
// the modules in test/support).
import { describe, expect, it } from 'vitest';
import { catchAllHolders, envoyRouteConfigurationProblems } from './support/envoy-routes.js';
import { applyEnvoyFilters } from './support/istio-envoyfilter.js';
import { type Json, type MeshService, istioRouteConfiguration, visibleServices } from './support/istio-routes.js';

const reviews: MeshService = { host: 'reviews.default.svc.cluster.local', namespace: 'default', ports: [9080], clusterIP: '10.96.0.20' };
const ratings: MeshService = { host: 'ratings.bookinfo.svc.cluster.local', namespace: 'bookinfo', ports: [9080] };
const pod = { labels: { app: 'productpage', version: 'v1' }, namespace: 'default' };

const vhost = (name: string, domains: string[]) => ({ name, domains, routes: [{ match: { prefix: '/' }, route: { cluster: 'PassthroughCluster' } }] });

function filter(name: string, patches: Json[], o: { namespace?: string; labels?: Record<string, string> } = {}): Json {
  const workloadSelector = o.labels === undefined ? {} : { workloadSelector: { labels: o.labels } };
  return { kind: 'EnvoyFilter', metadata: { name, namespace: o.namespace ?? 'default' }, spec: { configPatches: patches, ...workloadSelector } };
}
const merge = (port: string, vhosts: Json[], extra: Json = {}) => ({
  applyTo: 'ROUTE_CONFIGURATION',
  match: { context: 'SIDECAR_OUTBOUND', routeConfiguration: { name: port }, ...extra },
  patch: { operation: 'MERGE', value: { virtual_hosts: vhosts } },
});
const remove = (port: string, vhostName: string) => ({
  applyTo: 'VIRTUAL_HOST',
  match: { context: 'SIDECAR_OUTBOUND', routeConfiguration: { name: port, vhost: { name: vhostName } } },
  patch: { operation: 'REMOVE' },
});
const names = (rc: { virtual_hosts: { name: string }[] }) => rc.virtual_hosts.map((v) => v.name);

describe("Istio's route configuration for a port", () => {
  it('has a virtual host <host>:<port> per service on the port, with the short names of its own namespace and its ClusterIP', () => {
    const rc = istioRouteConfiguration(9080, { catchAll: 'allow_any', services: [reviews], proxyNamespace: 'default' });
    expect(rc.virtual_hosts[0]).toMatchObject({
      name: 'reviews.default.svc.cluster.local:9080',
      domains: ['reviews.default.svc.cluster.local', 'reviews', 'reviews.default.svc', 'reviews.default', '10.96.0.20'],
    });
  });

  it('gives a service of another namespace no bare short name', () => {
    const rc = istioRouteConfiguration(9080, { catchAll: 'allow_any', services: [ratings], proxyNamespace: 'default' });
    expect(rc.virtual_hosts[0].domains).toEqual(['ratings.bookinfo.svc.cluster.local', 'ratings.bookinfo', 'ratings.bookinfo.svc']);
  });

  it('writes no virtual host for a service without the port', () => {
    const rc = istioRouteConfiguration(80, { catchAll: 'allow_any', services: [reviews, ratings] });
    expect(names(rc)).toEqual(['allow_any']);
  });

  it('ends with allow_any to PassthroughCluster in an ALLOW_ANY mesh', () => {
    const rc = istioRouteConfiguration(9080, { catchAll: 'allow_any', services: [reviews] });
    expect(rc.virtual_hosts.at(-1)).toMatchObject({ name: 'allow_any', domains: ['*'], routes: [{ route: { cluster: 'PassthroughCluster' } }] });
  });

  it('ends with block_all answering 502 in a REGISTRY_ONLY mesh', () => {
    const rc = istioRouteConfiguration(9080, { catchAll: 'block_all', services: [reviews] });
    expect(rc.virtual_hosts.at(-1)).toMatchObject({ name: 'block_all', domains: ['*'], routes: [{ direct_response: { status: 502 } }] });
  });

  it('is accepted by Envoy as istiod writes it', () => {
    const rc = istioRouteConfiguration(9080, { catchAll: 'block_all', services: [reviews, ratings], proxyNamespace: 'bookinfo' });
    expect(envoyRouteConfigurationProblems(rc)).toEqual([]);
  });
});

describe("a Sidecar's egress hosts", () => {
  const istiod: MeshService = { host: 'istiod.istio-system.svc.cluster.local', namespace: 'istio-system', ports: [15012] };
  it('let the workload see the listed hosts and the listed namespaces, nothing else', () => {
    const seen = visibleServices(['*/reviews.default.svc.cluster.local', 'istio-system/*'], 'default', [reviews, ratings, istiod]);
    expect(seen.map((s) => s.host)).toEqual([reviews.host, istiod.host]);
  });
});

describe("istiod's EnvoyFilter patching", () => {
  const base = () => istioRouteConfiguration(9080, { catchAll: 'allow_any', services: [reviews] });

  it('MERGE on the route configuration appends its virtual hosts after Istio’s', () => {
    const rc = applyEnvoyFilters(base(), [filter('f', [merge('9080', [vhost('mine', ['mine.example.com'])])])], pod);
    expect(names(rc)).toEqual(['reviews.default.svc.cluster.local:9080', 'allow_any', 'mine']);
  });

  it('REMOVE drops the virtual host of that name', () => {
    const rc = applyEnvoyFilters(base(), [filter('f', [remove('9080', 'allow_any')])], pod);
    expect(names(rc)).toEqual(['reviews.default.svc.cluster.local:9080']);
  });

  it('REMOVE also drops a virtual host of that name merged in, even by a patch listed after it', () => {
    const patches = [remove('9080', 'allow_any'), merge('9080', [vhost('allow_any', ['x.example.com']), vhost('kept', ['k.example.com'])])];
    const rc = applyEnvoyFilters(base(), [filter('f', patches)], pod);
    expect(names(rc)).toEqual(['reviews.default.svc.cluster.local:9080', 'kept']);
  });

  it('patches only the route configuration named in the match', () => {
    const rc = applyEnvoyFilters(base(), [filter('f', [remove('80', 'allow_any'), merge('80', [vhost('mine', ['m'])])])], pod);
    expect(rc).toEqual(base());
  });

  it('a filter whose workload selector the pod does not match does nothing', () => {
    const rc = applyEnvoyFilters(base(), [filter('f', [remove('9080', 'allow_any')], { labels: { app: 'reviews' } })], pod);
    expect(rc).toEqual(base());
  });

  it('a filter whose selector is a subset of the pod’s labels applies', () => {
    const rc = applyEnvoyFilters(base(), [filter('f', [remove('9080', 'allow_any')], { labels: { app: 'productpage' } })], pod);
    expect(names(rc)).not.toContain('allow_any');
  });

  it('a filter of another namespace does nothing; one of the root namespace applies', () => {
    const other = filter('f', [remove('9080', 'allow_any')], { namespace: 'shop' });
    const root = filter('f', [remove('9080', 'allow_any')], { namespace: 'istio-system' });
    expect(applyEnvoyFilters(base(), [other], pod)).toEqual(base());
    expect(names(applyEnvoyFilters(base(), [root], pod))).not.toContain('allow_any');
  });

  it('an inbound patch does not touch the outbound route configuration', () => {
    const inbound = { ...remove('9080', 'allow_any'), match: { context: 'SIDECAR_INBOUND', routeConfiguration: { name: '9080', vhost: { name: 'allow_any' } } } };
    expect(applyEnvoyFilters(base(), [filter('f', [inbound])], pod)).toEqual(base());
  });

  it('a patch with a proxyVersion applies only to a proxy whose Istio version it matches', () => {
    const versioned = merge('9080', [vhost('mine', ['m'])], { proxy: { proxyVersion: '^1\\.2[0-9].*' } });
    const f = [filter('f', [versioned])];
    expect(names(applyEnvoyFilters(base(), f, { ...pod, istioVersion: '1.24.2' }))).toContain('mine');
    expect(applyEnvoyFilters(base(), f, { ...pod, istioVersion: '1.19.0' })).toEqual(base());
    expect(applyEnvoyFilters(base(), f, pod)).toEqual(base());
  });

  it('applies filters by name when nothing else orders them', () => {
    const rc = applyEnvoyFilters(base(), [filter('b', [merge('9080', [vhost('from-b', ['b'])])]), filter('a', [merge('9080', [vhost('from-a', ['a'])])])], pod);
    expect(names(rc).slice(-2)).toEqual(['from-a', 'from-b']);
  });

  it('two filters on one pod each add allow_all: two "*" domains, which the checker reports', () => {
    const ours = (name: string) => filter(name, [remove('9080', 'allow_any'), merge('9080', [vhost('allow_all', ['*'])])], { labels: { app: 'productpage' } });
    const rc = applyEnvoyFilters(base(), [ours('productpage-to-global-sidecar'), ours('frontend-to-global-sidecar')], pod);
    expect(catchAllHolders(rc)).toEqual(['allow_all', 'allow_all']);
    expect(envoyRouteConfigurationProblems(rc)).toEqual([
      'route configuration "9080": 2 virtual hosts match "*" (virtual host "allow_all", virtual host "allow_all"); Envoy allows one',
      'route configuration "9080": virtual host name "allow_all" appears 2 times',
    ]);
  });
});

describe("Envoy's rules", () => {
  const rc = (...vhosts: Json[]) => ({ name: '9080', virtual_hosts: vhosts }) as never;
  const regexRoute = (safe_regex: Json) => ({ match: { prefix: '/', headers: [{ name: ':authority', string_match: { safe_regex } }] }, route: { cluster: 'c' } });

  it('accept distinct names and domains, one "*", both kinds of wildcard', () => {
    expect(envoyRouteConfigurationProblems(rc(vhost('a', ['a.example.com', '*.b.example.com', 'c.*']), vhost('all', ['*'])))).toEqual([]);
  });

  it('reject a domain on two virtual hosts, compared without case', () => {
    expect(envoyRouteConfigurationProblems(rc(vhost('a', ['Reviews']), vhost('b', ['reviews'])))).toEqual([
      'route configuration "9080": domain "reviews" is on virtual host "a" and virtual host "b"',
    ]);
  });

  it('reject a dispatch domain equal to an Istio ClusterIP domain', () => {
    const istio = istioRouteConfiguration(9080, { catchAll: 'allow_any', services: [reviews] });
    istio.virtual_hosts.push(vhost('by-ip', ['10.96.0.20']));
    expect(envoyRouteConfigurationProblems(istio)).toHaveLength(1);
  });

  it('report a wildcard in the middle or twice, which Envoy reads literally', () => {
    expect(envoyRouteConfigurationProblems(rc(vhost('a', ['a*b.example.com', '**', '*.*'])))).toHaveLength(3);
  });

  it('reject a virtual host without domains', () => {
    expect(envoyRouteConfigurationProblems(rc(vhost('a', [])))).toEqual(['route configuration "9080": virtual host "a" has no domains']);
  });

  it('report the deprecated google_re2 engine', () => {
    const problems = envoyRouteConfigurationProblems(rc({ ...vhost('all', ['*']), routes: [regexRoute({ google_re2: {}, regex: '^a$' })] }));
    expect(problems).toEqual(['route configuration "9080": virtual host "all".routes[0].match.headers[0].string_match.safe_regex uses the deprecated google_re2']);
  });

  it('reject a regex RE2 cannot compile', () => {
    const problems = envoyRouteConfigurationProblems(rc({ ...vhost('all', ['*']), routes: [regexRoute({ regex: '(?=a)' })] }));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/regex "\(\?=a\)" is not RE2/);
  });
});
