// The PromQL we build: names only ever inside escaped string literals, one query per refresh.
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../src/core/config.js';
import { batchedQuery, escapeLabelValue, forwarderQuery, handlerQuery, isLabelValue } from '../src/prometheus/promql.js';

const prom = (p: Record<string, unknown> = {}) => parseConfig({ metric: { prometheus: p } }).config.prometheus;

describe('queries', () => {
  it('batch Istio telemetry and the forwarder metric into one query', () => {
    expect(batchedQuery(prom())).toBe(
      'sum by (source_workload_namespace, source_app, destination_service) (istio_requests_total{reporter="destination"})' +
        ' or sum by (source_namespace, source_fence, destination_service) (lazyload_dependency_requests_total)',
    );
  });

  it('count only the calls within the window when one is set', () => {
    const q = batchedQuery(prom({ window: '1h' }));
    expect(q).toContain('(increase(istio_requests_total{reporter="destination"}[1h]))');
    expect(q).toContain('(increase(lazyload_dependency_requests_total[1h]))');
    expect(forwarderQuery(prom({ window: '1h' }))).toBe('sum by (source_namespace, source_fence, destination_service) (increase(lazyload_dependency_requests_total[1h]))');
  });

  it('send a configured query verbatim, parenthesised, beside the forwarder metric', () => {
    expect(batchedQuery(prom({ query: 'sum by (a) (x)\n' }))).toBe('(sum by (a) (x)) or sum by (source_namespace, source_fence, destination_service) (lazyload_dependency_requests_total)');
  });

  it('fill a Slime handler template with the workload namespace and app', () => {
    const t = 'sum(istio_requests_total{source_app="$source_app",destination_workload_namespace="$namespace"})by(destination_service)';
    expect(handlerQuery(t, 'shop', 'web')).toBe('sum(istio_requests_total{source_app="web",destination_workload_namespace="shop"})by(destination_service)');
  });

  it('never substitute inside a substituted value', () => {
    expect(handlerQuery('{a="$source_app",n="$namespace"}', 'ns', '$namespace')).toBe('{a="$namespace",n="ns"}');
  });

  it('escape quotes, backslashes and control characters so a value cannot end its string', () => {
    expect(escapeLabelValue('a"} or vector(1) #\\\n')).toBe('a\\"} or vector(1) #\\\\\\n');
    expect(handlerQuery('x{a="$source_app"}', 'ns', 'a"}or{b="')).toBe('x{a="a\\"}or{b=\\""}');
  });
});

describe('label values', () => {
  it('accept what Kubernetes accepts as a label value', () => {
    for (const v of ['web', 'a', 'v1.2_beta-3', 'A'.repeat(63)]) expect(isLabelValue(v)).toBe(true);
  });

  it('reject anything that could not be a pod label', () => {
    for (const v of ['', '-web', 'web-', 'we"b', 'a b', 'A'.repeat(64), 'x\n']) expect(isLabelValue(v)).toBe(false);
  });
});
