// What a fenced pod's proxy ends up with (issue 14): Istio's route configuration for each wormhole
// port, in an ALLOW_ANY mesh (catch-all allow_any) and a REGISTRY_ONLY one (block_all), with every
// EnvoyFilter lazyload emits applied as istiod applies them. Envoy must accept the result, and the
// one "*" must be our allow_all, whatever Istio wrote before. Over every fixture, and over random
// configs and fences rendered by the real core.
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fixtureFiles, loadFixture } from '../src/cli/replay.js';
import { catchAllHolders, envoyRouteConfigurationProblems } from './support/envoy-routes.js';
import { renderNamespace } from './support/fence-namespace.js';
import { MESH, lazyloadConfig, namespaceOfFences } from './support/random-mesh.js';
import type { Proxy } from './support/istio-envoyfilter.js';
import type { CatchAll, Json, MeshService } from './support/istio-routes.js';
import { patchedPorts, proxyRouteConfiguration, proxyRouteFailures, sidecarOf } from './support/proxy-routes.js';
import { repoRoot } from './support/schemas.js';

const CATCH_ALLS: CatchAll[] = ['allow_any', 'block_all'];
const KUBE = /^[^.]+\.([^.]+)\.svc\.cluster\.local$/;
const serviceNames = (rc: { virtual_hosts: { name: string }[] }) => rc.virtual_hosts.map((v) => v.name).filter((n) => n.includes(':'));

// Versions a proxy may run; a fixture's proxyVersion regex picks the first it matches.
const ISTIO_VERSIONS = ['1.26.2', '1.24.0', '1.22.1', '1.20.3', '1.18.0'];
function istioVersionFor(filters: Json[]): string {
  const regexes = [...new Set(filters.flatMap((f) => f.spec.configPatches as Json[]).map((p) => p.match?.proxy?.proxyVersion).filter(Boolean))];
  const version = ISTIO_VERSIONS.find((v) => regexes.every((r) => new RegExp(r).test(v)));
  if (!version) throw new Error(`no proxy version in the test matches ${regexes.join(', ')}`);
  return version;
}

/**
 * A mesh for a fixture: a Service behind each host its Sidecar lists, one in each namespace it lists,
 * and one it does not list, each on every port the filters patch, so that Istio writes vhosts whose
 * domains a dispatch could collide with.
 */
function meshFor(egressHosts: string[], ports: number[], namespace: string): MeshService[] {
  const services: MeshService[] = egressHosts.map((h, i) => {
    const [ns, host] = h.split('/');
    const owner = ns !== '*' ? ns : (KUBE.exec(host)?.[1] ?? namespace);
    return { host: host === '*' ? `echo.${owner}.svc.cluster.local` : host, namespace: owner, ports, clusterIP: `10.96.1.${i + 10}` };
  });
  return [...services, { host: `not-in-sidecar.${namespace}.svc.cluster.local`, namespace, ports, clusterIP: '10.96.1.250' }];
}

const fixturesDir = path.join(repoRoot, 'fixtures');
// Fixtures expecting a `<fence>-to-global-sidecar` filter; the global sidecar's own metadata-exchange
// filter (fixtures/lazyloadconfig) patches no route configuration.
const fixtureCases = fixtureFiles([fixturesDir])
  .map(loadFixture)
  .map((fixture) => {
    const children: Json[] = (fixture.expected.body as Json)?.children ?? [];
    const filters = children.filter((c) => c.kind === 'EnvoyFilter' && patchedPorts([c]).length > 0);
    return { name: path.relative(fixturesDir, fixture.file), children, filters };
  })
  .filter((c) => c.filters.length > 0);

/** Every key anywhere in a JSON value. */
function* keysOf(v: unknown): Generator<string> {
  if (Array.isArray(v)) for (const x of v) yield* keysOf(x);
  else if (v !== null && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      yield k;
      yield* keysOf(x);
    }
  }
}

// Envoy's v3 API deprecates both (issue 14): `append_action` and a bare `safe_regex.regex` replace them.
const DEPRECATED = ['append', 'google_re2'];

it('emits no deprecated Envoy field in any fixture answer', () => {
  const used = fixtureFiles([fixturesDir]).flatMap((file) => {
    const body = loadFixture(file).expected.body;
    return [...keysOf(body)].filter((k) => DEPRECATED.includes(k)).map((k) => `${path.relative(fixturesDir, file)}: ${k}`);
  });
  expect(used).toEqual([]);
});

describe('the proxy of a fixture’s fenced pod', () => {
  it('has fixtures whose EnvoyFilter patches route configurations', () => {
    expect(fixtureCases.length).toBeGreaterThanOrEqual(40);
  });

  describe.each(fixtureCases.map((c) => [c.name, c] as const))('%s', (_name, { children, filters }) => {
    const [filter] = filters;
    const pod: Proxy = { labels: filter.spec.workloadSelector.labels, namespace: filter.metadata.namespace, istioVersion: istioVersionFor(filters) };
    const egress: string[] = sidecarOf(children, pod)?.spec.egress[0].hosts ?? [];
    const ports = patchedPorts(filters);
    const services = meshFor(egress, ports, pod.namespace);
    const cases = ports.flatMap((port) => CATCH_ALLS.map((catchAll) => [port, catchAll] as const));

    it.each(cases)('route configuration "%s", Istio catch-all %s: Envoy accepts it and allow_all alone holds "*"', (port, catchAll) => {
      const rc = proxyRouteConfiguration(port, { catchAll, objects: children, services, pod });
      expect(envoyRouteConfigurationProblems(rc)).toEqual([]);
      expect(catchAllHolders(rc)).toEqual(['allow_all']);
    });

    it.each(cases)('route configuration "%s", Istio catch-all %s: keeps every service virtual host Istio wrote', (port, catchAll) => {
      const istio = proxyRouteConfiguration(port, { catchAll, objects: children.filter((c) => c.kind !== 'EnvoyFilter'), services, pod });
      const patched = proxyRouteConfiguration(port, { catchAll, objects: children, services, pod });
      expect(serviceNames(istio).length).toBeGreaterThan(0);
      expect(serviceNames(patched)).toEqual(serviceNames(istio));
    });
  });
});

describe('the proxies of a namespace fenced with a random config', () => {
  it('get route configurations Envoy accepts on every wormhole port, each with one "*": allow_all where a filter reaches', () => {
    fc.assert(
      fc.property(lazyloadConfig, namespaceOfFences({ shareWorkloads: false }), fc.constantFrom(...CATCH_ALLS), (config, { namespace, fences }, catchAll) => {
        const objects = renderNamespace(namespace, fences, config);
        const ports = config.wormholePort.map(Number);
        const failures = fences.flatMap((f) => proxyRouteFailures(ports, { catchAll, objects, services: MESH, pod: { labels: f.labels, namespace } }));
        expect(failures).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });
});
