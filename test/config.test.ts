// LazyloadConfig (docs/design.md §3): defaults when absent, Slime spellings accepted, and every bad field
// reported by path while the rest still applies.
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../src/core/config.js';

describe('LazyloadConfig', () => {
  it('applies the built-in defaults when there is no config', () => {
    const { config, errors, warnings } = parseConfig(undefined);
    expect(errors).toEqual([]);
    expect(warnings).toEqual([]);
    expect(config).toMatchObject({
      istioNamespace: 'istio-system',
      controllerNamespace: 'mesh-operator',
      serviceLabel: 'app',
      wormholePort: [],
      globalSidecar: { mode: 'cluster', namespace: 'mesh-operator', namespaces: [], port: 80, probePort: 18181, replicas: 2 },
      passthroughByDefault: false,
      supportH2: false,
      stableHost: [],
      autoFence: false,
      defaultFence: false,
      prometheus: { refreshSeconds: 15, timeoutSeconds: 2, handlers: [] },
    });
  });

  it('accepts the Slime spellings of the global-sidecar settings', () => {
    const { config, errors } = parseConfig({ globalSidecarMode: 'no', clusterGsNamespace: 'gs', namespace: ['a', 'b'] });
    expect(errors).toEqual([]);
    expect(config.globalSidecar).toMatchObject({ mode: 'none', namespace: 'gs', namespaces: ['a', 'b'] });
  });

  it('lets the globalSidecar block win over the Slime spellings', () => {
    const { config } = parseConfig({ globalSidecarMode: 'namespace', globalSidecar: { mode: 'cluster' } });
    expect(config.globalSidecar.mode).toBe('cluster');
  });

  it('takes wormhole ports as strings or numbers, once each', () => {
    expect(parseConfig({ wormholePort: ['9080', 80, '9080'] }).config.wormholePort).toEqual([9080, 80]);
  });

  it("refuses ports Istio's proxy listens on itself, for wormhole ports and the global sidecar's", () => {
    const { config, errors } = parseConfig({ wormholePort: [9080, 15001, '15090'], globalSidecar: { port: 15006, probePort: 15020 } });
    expect(config.wormholePort).toEqual([9080]);
    expect(config.globalSidecar).toMatchObject({ port: 80, probePort: 18181 });
    expect(errors.map((e) => e.field)).toEqual(['spec.wormholePort[1]', 'spec.wormholePort[2]', 'spec.globalSidecar.port', 'spec.globalSidecar.probePort']);
    expect(errors[0].message).toBe("15001 is a port Istio's proxy listens on itself; ignored");
  });

  it('moves a probe port that is also a wormhole port to the default', () => {
    const { config, errors } = parseConfig({ wormholePort: [9080], globalSidecar: { probePort: 9080 } });
    expect(config.globalSidecar.probePort).toBe(18181);
    expect(errors).toEqual([{ field: 'spec.globalSidecar.probePort', message: '9080 is also a wormhole port; the default 18181 is used' }]);
  });

  it('names the namespaces field in the spelling the user wrote when namespace mode lists none', () => {
    expect(parseConfig({ globalSidecar: { mode: 'namespace' } }).errors[0].field).toBe('spec.globalSidecar.namespaces');
    expect(parseConfig({ globalSidecarMode: 'namespace' }).errors[0].field).toBe('spec.namespace');
  });

  it('warns that autoPort discovers nothing here, and lists warnings in field order', () => {
    const { warnings } = parseConfig({ zeta: 1, autoPort: true, alpha: 2 });
    expect(warnings).toEqual([
      { field: 'spec.alpha', message: 'unknown field, ignored' },
      { field: 'spec.autoPort', message: 'ports are not discovered from Services here: list every port your workloads call in wormholePort' },
      { field: 'spec.zeta', message: 'unknown field, ignored' },
    ]);
  });

  it('reports each wrong field by path and keeps its default, applying the rest', () => {
    const { config, errors } = parseConfig({
      serviceLabel: 5,
      globalSidecar: { mode: 'sometimes', port: 'eighty' },
      wormholePort: ['http'],
      stableHost: ['ok.example.com', 7],
      istioNamespace: 'istio',
    });
    expect(errors).toEqual([
      { field: 'spec.serviceLabel', message: 'must be a string, got number 5' },
      { field: 'spec.wormholePort[0]', message: 'must be a port number from 1 to 65535, got "http"' },
      { field: 'spec.globalSidecar.mode', message: 'must be one of cluster, namespace, none (got "sometimes")' },
      { field: 'spec.globalSidecar.port', message: 'must be a whole number from 1 to 65535, got string "eighty"' },
      { field: 'spec.stableHost[1]', message: 'must be a non-empty string, got number 7' },
    ]);
    expect(config.serviceLabel).toBe('app');
    expect(config.globalSidecar.mode).toBe('cluster');
    expect(config.stableHost).toEqual(['ok.example.com']);
    expect(config.istioNamespace).toBe('istio');
  });

  it('warns about unknown fields without failing', () => {
    const { errors, warnings } = parseConfig({ colour: 'blue', metricSourceType: 'prometheus' });
    expect(errors).toEqual([]);
    expect(warnings).toEqual([{ field: 'spec.colour', message: 'unknown field, ignored' }]);
  });

  it("warns that Slime's workload fences (fenceLabelKeyAlias) are not made here", () => {
    const { errors, warnings } = parseConfig({ fenceLabelKeyAlias: 'app:app' });
    expect(errors).toEqual([]);
    expect(warnings).toEqual([{ field: 'spec.fenceLabelKeyAlias', message: 'workload fences are not made here: auto-fence makes one fence per Service; ignored' }]);
  });

  it('checks managementSelectors as the API server checks a label selector', () => {
    const { config, errors } = parseConfig({
      managementSelectors: [
        { matchLabels: { team: 'payments' } },
        { matchExpressions: [{ key: 'env', operator: 'In', values: ['prod'] }, { key: 'tier', operator: 'Exists' }] },
        { matchExpressions: [{ key: 'a', operator: 'Equals', values: ['x'] }, { key: 'b', operator: 'NotIn' }, { key: 'c', operator: 'DoesNotExist', values: ['y'] }, { operator: 'Exists' }] },
      ],
    });
    expect(config.managementSelectors.slice(0, 2)).toEqual([
      { matchLabels: { team: 'payments' } },
      { matchExpressions: [{ key: 'env', operator: 'In', values: ['prod'] }, { key: 'tier', operator: 'Exists', values: [] }] },
    ]);
    expect(errors).toEqual([
      { field: 'spec.managementSelectors[2].matchExpressions[0].operator', message: 'must be In, NotIn, Exists or DoesNotExist (got "Equals")' },
      { field: 'spec.managementSelectors[2].matchExpressions[1].values', message: 'NotIn needs at least one value' },
      { field: 'spec.managementSelectors[2].matchExpressions[2].values', message: 'DoesNotExist takes no values' },
      { field: 'spec.managementSelectors[2].matchExpressions[3].key', message: 'must be a non-empty label key' },
    ]);
  });

  it('reads a namespace list as a comma-separated string without the white space, or as a list', () => {
    expect(parseConfig({ blackNamespaceList: 'kube-system, istio-system,' }).config.blackNamespaceList).toEqual(['kube-system', 'istio-system']);
    expect(parseConfig({ whiteNamespaceList: ['shop', 'web'] }).config.whiteNamespaceList).toEqual(['shop', 'web']);
  });

  it('leaves out and reports a namespace-list entry that is not a namespace name', () => {
    const { config, errors } = parseConfig({ whiteNamespaceList: 'shop,Web_1' });
    expect(config.whiteNamespaceList).toEqual(['shop']);
    expect(errors).toEqual([{ field: 'spec.whiteNamespaceList', message: '"Web_1" is not a namespace name; ignored' }]);
  });

  it('refuses a selfResourceRev that cannot be a label value', () => {
    expect(parseConfig({ selfResourceRev: '1-22-canary' }).config.selfResourceRev).toBe('1-22-canary');
    const { config, errors } = parseConfig({ selfResourceRev: 'canary/blue' });
    expect(config.selfResourceRev).toBeUndefined();
    expect(errors.map((e) => e.field)).toEqual(['spec.selfResourceRev']);
  });

  it('reads Slime-style Prometheus handlers as a map and a window as a Prometheus duration', () => {
    const { config, errors } = parseConfig({
      metric: { prometheus: { window: '1h', handlers: { destination: { query: 'sum(x{source_app="$source_app"})', type: 'Group' } } } },
    });
    expect(errors).toEqual([]);
    expect(config.prometheus).toMatchObject({ window: '1h', handlers: [{ name: 'destination', query: 'sum(x{source_app="$source_app"})' }] });
    expect(parseConfig({ metric: { prometheus: { window: 'an hour' } } }).errors[0].field).toBe('spec.metric.prometheus.window');
    expect(parseConfig({ metric: { prometheus: { window: '' } } }).config.prometheus.window).toBeUndefined();
  });
});
