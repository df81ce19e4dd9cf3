// A model of the outbound route configuration istiod sends a sidecar for one port (`"<port>"`), before
// any EnvoyFilter: a virtual host per visible Service on that port and the catch-all. Small on purpose:
// only what decides the virtual host names and domains Envoy checks. Read from Istio's
// pilot/pkg/networking/core/httproute.go (buildSidecarOutboundHTTPRouteConfig,
// BuildSidecarOutboundVirtualHosts, generateVirtualHostDomains, buildCatchAllVirtualHost).

// biome-ignore lint: route configuration pieces are untyped JSON past the fields we read
export type Json = Record<string, any>;

export interface VirtualHost extends Json {
  name: string;
  domains: string[];
  routes: Json[];
}

export interface RouteConfiguration extends Json {
  name: string;
  virtual_hosts: VirtualHost[];
}

/** A Service (or ServiceEntry host) of the mesh, as a sidecar may see it. */
export interface MeshService {
  /** `<name>.<namespace>.svc.cluster.local` for a Kubernetes Service; any host for a ServiceEntry. */
  host: string;
  /** Where it is defined: what a Sidecar's `<namespace>/*` selects. */
  namespace: string;
  ports: number[];
  clusterIP?: string;
}

/** Istio's `outboundTrafficPolicy.mode`, by the name of the catch-all virtual host it writes. */
export type CatchAll = 'allow_any' | 'block_all';

const KUBE_SUFFIX = '.svc.cluster.local';

/**
 * The services a Sidecar's egress hosts (`<namespace>/<host>`) let its workloads see: namespace `*`
 * is any, `.` the Sidecar's own, `~` none; host `*` is any, `*.suffix` a wildcard, else exact.
 */
export function visibleServices(egressHosts: string[], sidecarNamespace: string, services: MeshService[]): MeshService[] {
  const rules = egressHosts.map((h) => {
    const slash = h.indexOf('/');
    const ns = h.slice(0, slash);
    return { namespace: ns === '.' ? sidecarNamespace : ns, host: h.slice(slash + 1) };
  });
  const hostMatches = (pattern: string, host: string) =>
    pattern === '*' || pattern === host || (pattern.startsWith('*.') && host.endsWith(pattern.slice(1)));
  return services.filter((s) => rules.some((r) => r.namespace !== '~' && (r.namespace === '*' || r.namespace === s.namespace) && hostMatches(r.host, s.host)));
}

/**
 * The domains Istio writes for a service seen from a proxy in `proxyNamespace`. For a Kubernetes
 * Service the short forms: from its own namespace `name`, `name.ns.svc`, `name.ns`; from another
 * `name.ns`, `name.ns.svc`. No host shares the proxy's DNS suffix otherwise, so a ServiceEntry host
 * gets none. Since Istio 1.15 (istio/istio#40475) a sidecar's domains carry no `:port` forms: the
 * route configuration sets `ignore_port_in_host_matching` instead. Headless Services (which add a
 * `*.` form of each) and Service aliases are not modelled.
 */
export function istioDomains(service: MeshService, proxyNamespace: string): string[] {
  const domains = [service.host];
  // As Istio reads a Kubernetes host: the name up to the first dot, the namespace up to `.svc.`.
  const svc = service.host.indexOf('.svc.');
  const dot = service.host.indexOf('.');
  if (service.host.endsWith(KUBE_SUFFIX) && svc > dot + 1) {
    const name = service.host.slice(0, dot);
    const short = service.host.slice(0, svc);
    const sameNamespace = service.host.slice(dot + 1, svc) === proxyNamespace;
    domains.push(...(sameNamespace ? [name, `${short}.svc`, short] : [short, `${short}.svc`]));
  }
  if (service.clusterIP) domains.push(service.clusterIP);
  return domains;
}

/** Istio's catch-all: `allow_any` to PassthroughCluster (ALLOW_ANY) or `block_all` answering 502 (REGISTRY_ONLY). */
export function catchAllVirtualHost(catchAll: CatchAll): VirtualHost {
  const match = { prefix: '/' };
  const action = catchAll === 'allow_any' ? { route: { cluster: 'PassthroughCluster', timeout: '0s', max_grpc_timeout: '0s' } } : { direct_response: { status: 502 } };
  return { name: catchAll, domains: ['*'], routes: [{ name: catchAll, match, ...action }], include_request_attempt_count: true };
}

export interface IstioRouteOptions {
  catchAll: CatchAll;
  /** The services the proxy sees (see `visibleServices`); those without this port get no virtual host. */
  services?: MeshService[];
  /** The proxy's namespace: which short names its domains get. */
  proxyNamespace?: string;
}

/**
 * Route configuration `"<port>"` as istiod builds it for a sidecar: a virtual host `<host>:<port>` per
 * service on that port, sorted by name, then the catch-all. Istio drops a domain another virtual host
 * already has (compared lowercase), so its own output never repeats one.
 */
export function istioRouteConfiguration(port: number, options: IstioRouteOptions): RouteConfiguration {
  const proxyNamespace = options.proxyNamespace ?? 'default';
  const taken = new Set<string>();
  const vhosts: VirtualHost[] = [];
  for (const service of options.services ?? []) {
    if (!service.ports.includes(port)) continue;
    const domains = istioDomains(service, proxyNamespace).filter((d) => !taken.has(d.toLowerCase()));
    for (const d of domains) taken.add(d.toLowerCase());
    const cluster = `outbound|${port}||${service.host}`;
    if (domains.length > 0) vhosts.push({ name: `${service.host}:${port}`, domains, routes: [{ name: 'default', match: { prefix: '/' }, route: { cluster, timeout: '0s' } }] });
  }
  vhosts.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return {
    name: String(port),
    virtual_hosts: [...vhosts, catchAllVirtualHost(options.catchAll)],
    validate_clusters: false,
    ignore_port_in_host_matching: true,
  };
}
