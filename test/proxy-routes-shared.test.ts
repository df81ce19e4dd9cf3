// Fences of one namespace that share pods (docs/design.md §5.4), rendered through the real core and
// converged as Metacontroller would converge them: every pod gets ALL the EnvoyFilters and Sidecars
// of its namespace that select it, as istiod hands them out. Without grouping, two filters would reach
// one pod and each add allow_all: a second "*", and Envoy would reject the route configuration.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isNamespaceKey, isValidHost } from '../src/core/fence.js';
import type { KObject } from '../src/protocol/metacontroller.js';
import { renderNamespace } from './support/fence-namespace.js';
import { proxyRouteFailures } from './support/proxy-routes.js';
import { MESH, lazyloadConfig, namespaceOfFences } from './support/random-mesh.js';

const selects = (o: KObject, pod: Record<string, string>): boolean =>
  Object.entries((o.spec as any).workloadSelector.labels as Record<string, string>).every(([k, v]) => pod[k] === v);

/** Every pod the fences select: each fence's selector, taken as a pod's whole label set. */
const podsOf = (fences: { labels: Record<string, string> }[]) => [...new Map(fences.map((f) => [JSON.stringify(f.labels), f.labels])).values()];

describe('the proxies of a namespace whose fences share pods', () => {
  it('get route configurations Envoy accepts on every wormhole port, each with one "*": allow_all where a filter reaches', () => {
    fc.assert(
      fc.property(lazyloadConfig, namespaceOfFences({ shareWorkloads: true }), fc.constantFrom('allow_any', 'block_all'), (config, { namespace, fences }, catchAll) => {
        const objects = renderNamespace(namespace, fences, config);
        const ports = config.wormholePort.map(Number);
        const failures = podsOf(fences).flatMap((labels) => proxyRouteFailures(ports, { catchAll, objects, services: MESH, pod: { labels, namespace } }));
        expect(failures).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });

  it('get one Sidecar each, holding the hosts of every fence that selects them', () => {
    fc.assert(
      fc.property(lazyloadConfig, namespaceOfFences({ shareWorkloads: true }), (config, { namespace, fences }) => {
        const sidecars = renderNamespace(namespace, fences, config).filter((o) => o.kind === 'Sidecar');
        for (const pod of podsOf(fences)) {
          const mine = sidecars.filter((s) => selects(s, pod));
          expect(mine).toHaveLength(1);
          const hosts: string[] = (mine[0].spec as any).egress[0].hosts;
          for (const f of fences.filter((f) => Object.entries(f.labels).every(([k, v]) => pod[k] === v))) {
            // A host Slime's rule refuses (`unknown…`) is no dependency of anybody's.
            for (const h of f.hosts.filter((x) => isNamespaceKey(x) || isValidHost(x))) expect(hosts).toContain(isNamespaceKey(h) ? h : `*/${h}`);
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});
