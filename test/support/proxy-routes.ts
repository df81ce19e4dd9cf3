// What one pod's proxy ends up with on a port: the services its Sidecar lets it see, Istio's route
// configuration for them, then every EnvoyFilter that reaches the pod (see istio-routes.ts and
// istio-envoyfilter.ts for where each rule comes from).

import { catchAllHolders, envoyRouteConfigurationProblems } from './envoy-routes.js';
import { type Proxy, applyEnvoyFilters, envoyFiltersFor } from './istio-envoyfilter.js';
import { type CatchAll, type Json, type MeshService, type RouteConfiguration, istioRouteConfiguration, visibleServices } from './istio-routes.js';

const subsetOf = (selector: Record<string, string>, labels: Record<string, string>) => Object.entries(selector).every(([k, v]) => labels[k] === v);

/**
 * The Sidecar Istio uses for a pod: of its namespace's Sidecars whose selector the pod matches, the
 * oldest, then the first by name (Istio's order); failing that, one without a selector.
 */
export function sidecarOf(objects: Json[], pod: Proxy): Json | undefined {
  const own = objects.filter((o) => o.kind === 'Sidecar' && o.metadata?.namespace === pod.namespace);
  const selecting = own.filter((s) => s.spec?.workloadSelector?.labels && subsetOf(s.spec.workloadSelector.labels, pod.labels));
  const byAge = (a: Json, b: Json) =>
    (Date.parse(a.metadata.creationTimestamp ?? '') || 0) - (Date.parse(b.metadata.creationTimestamp ?? '') || 0) ||
    (a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0);
  return selecting.sort(byAge)[0] ?? own.find((s) => !s.spec?.workloadSelector);
}

/** The ports whose route configuration some route patch of these EnvoyFilters names, in order of appearance. */
export function patchedPorts(filters: Json[]): number[] {
  const names = filters.flatMap((f) => (f.spec?.configPatches ?? []) as Json[]).map((p) => p.match?.routeConfiguration?.name);
  return [...new Set(names.filter((n): n is string => typeof n === 'string' && /^\d+$/.test(n)))].map(Number);
}

export interface ProxyRoutesInput {
  catchAll: CatchAll;
  /** Sidecars and EnvoyFilters in play (other kinds are ignored). */
  objects: Json[];
  /** Every service of the mesh; the pod's Sidecar decides which it sees (all, without one). */
  services: MeshService[];
  pod: Proxy;
}

/** Route configuration `"<port>"` as the pod's proxy receives it. */
export function proxyRouteConfiguration(port: number, input: ProxyRoutesInput): RouteConfiguration {
  const sidecar = sidecarOf(input.objects, input.pod);
  const egress: string[] | undefined = sidecar?.spec?.egress?.[0]?.hosts;
  const services = egress ? visibleServices(egress, input.pod.namespace, input.services) : input.services;
  const istio = istioRouteConfiguration(port, { catchAll: input.catchAll, services, proxyNamespace: input.pod.namespace });
  return applyEnvoyFilters(istio, input.objects.filter((o) => o.kind === 'EnvoyFilter'), input.pod);
}

/**
 * What is wrong with the pod's route configurations on these ports, one line each: Envoy's problems,
 * and a `"*"` held by anything but allow_all (Istio's own catch-all when no EnvoyFilter reaches the pod).
 */
export function proxyRouteFailures(ports: number[], input: ProxyRoutesInput): string[] {
  const filtered = envoyFiltersFor(input.objects.filter((o) => o.kind === 'EnvoyFilter'), input.pod).length > 0;
  const expected = filtered ? 'allow_all' : input.catchAll;
  const pod = `pod ${JSON.stringify(input.pod.labels)} (catch-all ${input.catchAll})`;
  return ports.flatMap((port) => {
    const rc = proxyRouteConfiguration(port, input);
    const holders = catchAllHolders(rc);
    const wrongHolder = holders.length === 1 && holders[0] === expected ? [] : [`route configuration "${port}": "*" is held by [${holders.join(', ')}], not ${expected}`];
    return [...envoyRouteConfigurationProblems(rc), ...wrongHolder].map((p) => `${pod}: ${p}`);
  });
}
