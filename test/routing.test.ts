// Where a fence's unknown calls go (docs/design.md §5.3): the EnvoyFilter only while a global sidecar can
// take them, and dispatch clusters rendered for this fence and this config.
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../src/core/config.js';
import { routeUnknownCalls, withoutSidecarCollisions } from '../src/core/routing.js';

const fence = { name: 'web', namespace: 'shop' };
const ready = () => true;
const notReady = () => false;

describe('routing unknown calls', () => {
  it('routes through the cluster-mode global sidecar once it is ready', () => {
    const r = routeUnknownCalls(parseConfig({ wormholePort: [9080] }).config, fence, ready);
    expect(r.globalSidecar?.cluster).toBe('outbound|80||global-sidecar.mesh-operator.svc.cluster.local');
    expect(r.ports).toEqual([9080, 80]);
    expect(r.condition).toMatchObject({ type: 'GlobalSidecarReady', status: 'True', reason: 'Ready' });
  });

  it('gives no EnvoyFilter while the global sidecar has no ready endpoint', () => {
    const r = routeUnknownCalls(parseConfig({}).config, fence, notReady);
    expect(r.globalSidecar).toBeUndefined();
    expect(r.condition).toMatchObject({ status: 'False', reason: 'NoReadyEndpoint' });
  });

  it('asks about the global sidecar of the fence namespace in namespace mode', () => {
    const asked: string[] = [];
    routeUnknownCalls(parseConfig({ globalSidecar: { mode: 'namespace', namespaces: ['shop'] } }).config, fence, (gs) => (asked.push(gs.namespace), true));
    expect(asked).toEqual(['shop']);
  });

  it('gives no EnvoyFilter in a namespace namespace mode does not list', () => {
    const r = routeUnknownCalls(parseConfig({ globalSidecar: { mode: 'namespace', namespaces: ['other'] } }).config, fence, ready);
    expect(r.globalSidecar).toBeUndefined();
    expect(r.condition).toMatchObject({ status: 'False', reason: 'NotInNamespaces' });
  });

  it('does not wait for a global sidecar no route goes to', () => {
    const config = parseConfig({ passthroughByDefault: true, dispatches: [{ name: 'gw', domains: ['a.com'], cluster: 'PassthroughCluster' }] }).config;
    const r = routeUnknownCalls(config, fence, notReady);
    expect(r.globalSidecar).toBeDefined();
    expect(r.condition).toMatchObject({ status: 'True', reason: 'NotUsed' });
  });

  it('waits when a dispatch goes to the global sidecar, even with passthroughByDefault', () => {
    const config = parseConfig({ passthroughByDefault: true, dispatches: [{ name: 'gw', domains: ['a.com'], cluster: '_GLOBAL_SIDECAR' }] }).config;
    expect(routeUnknownCalls(config, fence, notReady).globalSidecar).toBeUndefined();
  });

  it('has nothing to say in mode none', () => {
    expect(routeUnknownCalls(parseConfig({ globalSidecar: { mode: 'none' } }).config, fence, ready)).toEqual({ ports: [], dispatches: [], issues: [] });
  });

  it('renders dispatch templates for each config on its own, though results are remembered', () => {
    const clusterFor = (egress: string) => {
      const config = parseConfig({ values: { egress }, dispatches: [{ name: 'gw', domains: ['a.com'], cluster: '{{values.egress}}.{{fence.namespace}}' }] }).config;
      return routeUnknownCalls(config, fence, ready).dispatches[0].clusters[0];
    };
    expect(clusterFor('one')).toEqual({ kind: 'cluster', name: 'one.shop' });
    expect(clusterFor('two')).toEqual({ kind: 'cluster', name: 'two.shop' });
  });
});

describe('dispatches colliding with what the Sidecar shows', () => {
  const config = parseConfig({
    wormholePort: [9080],
    dispatches: [
      { name: 'ratings', domains: ['ext.example.com', 'ratings.books'], cluster: 'PassthroughCluster' },
      { name: 'ext', domains: ['www.163.com'], cluster: 'PassthroughCluster' },
      { domainRegex: '^ratings$', cluster: 'PassthroughCluster' },
    ],
  }).config;
  const routing = routeUnknownCalls(config, fence, ready);

  it('leaves out a dispatch one of whose domains Istio may write for a shown host, on every port', () => {
    const r = withoutSidecarCollisions(routing, ['*/ratings.books.svc.cluster.local', 'istio-system/*'], fence.namespace);
    expect(r.dispatches.map((d) => d.dispatch.name || d.dispatch.domainRegex)).toEqual(['ext', '^ratings$']);
    expect(r.issues).toEqual([
      {
        field: 'spec.dispatches[0].domains',
        message:
          'dispatch "ratings" left out: domain "ratings.books" may be one Istio writes for ratings.books.svc.cluster.local, which this fence\'s Sidecar shows (*/ratings.books.svc.cluster.local); Envoy would reject the whole route configuration',
      },
    ]);
  });

  it('keeps the routing as it is when nothing collides', () => {
    expect(withoutSidecarCollisions(routing, ['istio-system/*'], fence.namespace)).toBe(routing);
  });
});
