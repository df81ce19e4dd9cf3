// The domains istiod itself writes into a fenced proxy's outbound route configuration
// (docs/design.md §5.3). Each service the fence's Sidecar shows gets a virtual host whose domains are
// its host and, for a Kubernetes service, its short forms; a dispatch vhost listing one of them makes
// Envoy reject the whole route configuration, so such a dispatch must stay out of that fence's filter.
//
// What istiod writes for a service host H, seen from a proxy in namespace N (its DNS domain
// N.svc.cluster.local): H itself; when H is `name.ns.svc.cluster.local`, also `name.ns` and
// `name.ns.svc`, and `name` when ns is N; for a headless Kubernetes service every one of those again
// with `*.` in front; the service's VIPs. Since Istio 1.16 sidecars match hosts without the port by
// default, so no `:port` forms; before, each domain also came with `:<port>`, which is why a
// dispatch domain is compared without its port.

const CLUSTER_SUFFIX = '.svc.cluster.local';

/** A host the Sidecar shows whose vhost may carry a domain, and the egress entry that shows it. */
export interface DomainOwner {
  host: string;
  egress: string;
}

interface Visibility {
  all?: string;
  exact: Map<string, string>;
  /** `*.example.com` entries, as `.example.com`. */
  suffixes: [string, string][];
  /** `ns/*` entries: the Kubernetes services of ns (its ServiceEntries cannot be known here). */
  namespaces: Map<string, string>;
}

function visibility(egressHosts: string[], fenceNamespace: string): Visibility {
  const v: Visibility = { exact: new Map(), suffixes: [], namespaces: new Map() };
  for (const entry of egressHosts) {
    const slash = entry.indexOf('/');
    const ns = slash < 0 ? '*' : entry.slice(0, slash) === '.' ? fenceNamespace : entry.slice(0, slash);
    const host = entry.slice(slash + 1).toLowerCase();
    if (ns === '~') continue;
    if (host === '*') {
      if (ns === '*') v.all ??= entry;
      else if (!v.namespaces.has(ns)) v.namespaces.set(ns, entry);
    } else if (host.startsWith('*.')) v.suffixes.push([host.slice(1), entry]);
    else if (!v.exact.has(host)) v.exact.set(host, entry);
  }
  return v;
}

// A fence's Sidecar rarely changes between its syncs (every refresh), and reading its entries again
// costs more than comparing them: each answer is kept under a cheap key, and reused only when the
// entries are the same. Bounded, as fences come and go.
const known = new Map<string, { namespace: string; hosts: string[]; v: Visibility }>();
const MAX_KNOWN = 10_000;

const sameEntries = (a: string[], b: string[]): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

function visibilityCached(egressHosts: string[], fenceNamespace: string): Visibility {
  const key = `${fenceNamespace}\n${egressHosts.length}\n${egressHosts[0]}\n${egressHosts[egressHosts.length >> 1]}`;
  const hit = known.get(key);
  if (hit && hit.namespace === fenceNamespace && sameEntries(hit.hosts, egressHosts)) return hit.v;
  const v = visibility(egressHosts, fenceNamespace);
  if (known.size >= MAX_KNOWN) known.clear();
  known.set(key, { namespace: fenceNamespace, hosts: egressHosts, v });
  return v;
}

/** The namespace of a Kubernetes service host `name.ns.svc.cluster.local`. */
function kubernetesNamespace(host: string): string | undefined {
  if (!host.endsWith(CLUSTER_SUFFIX)) return undefined;
  const labels = host.slice(0, -CLUSTER_SUFFIX.length).split('.');
  return labels.length === 2 ? labels[1] : undefined;
}

/** The service hosts whose vhost istiod may give this domain (lower case, no port). */
function hostsBehind(domain: string, fenceNamespace: string): string[] {
  const base = domain.startsWith('*.') ? domain.slice(2) : domain;
  const labels = base.split('.');
  let service: string | undefined;
  if (labels.length === 1) service = `${base}.${fenceNamespace}${CLUSTER_SUFFIX}`;
  else if (labels.length === 2) service = `${base}${CLUSTER_SUFFIX}`;
  else if (labels.length === 3 && labels[2] === 'svc') service = `${base}.cluster.local`;
  // The domain itself as a host (a wildcard one is a ServiceEntry's), the host a headless service's
  // `*.` domain repeats, and the Kubernetes service a short form stands for.
  return [...new Set([domain, base, ...(service ? [service] : [])])];
}

function ownerIn(v: Visibility, host: string): string | undefined {
  if (v.all) return v.all;
  const exact = v.exact.get(host);
  if (exact) return exact;
  const bare = host.startsWith('*') ? host.slice(1) : host;
  const suffix = v.suffixes.find(([s]) => bare.endsWith(s));
  if (suffix) return suffix[1];
  const ns = kubernetesNamespace(host);
  return ns === undefined ? undefined : v.namespaces.get(ns);
}

/**
 * For a fence's Sidecar egress hosts (as emitted: a host in any namespace, or `ns/*`) and its
 * namespace, a function telling, for a dispatch domain, which visible host's vhost may already carry
 * it; undefined when none can. Conservative: an exact entry counts as a service whether or not one
 * exists, a wildcard or `ns/*` entry as showing every host it could match. Not known here, so not
 * checked: ServiceEntry hosts reached through `ns/*`, VIPs, and VirtualService hosts that match no
 * service.
 */
export function istioDomainOwners(egressHosts: string[], fenceNamespace: string): (domain: string) => DomainOwner | undefined {
  const v = visibilityCached(egressHosts, fenceNamespace);
  return (domain) => {
    let d = domain.toLowerCase();
    if (!d.startsWith('[')) d = d.replace(/:\d+$/, '');
    // istiod never writes a prefix wildcard (`example.*`) nor an IPv6 literal we could match.
    if (d === '' || d.endsWith('*') || d.startsWith('[')) return undefined;
    for (const host of hostsBehind(d, fenceNamespace)) {
      const egress = ownerIn(v, host);
      if (egress) return { host, egress };
    }
    return undefined;
  };
}
