// The Prometheus source's policy, over an in-memory Prometheus: how many queries it sends, what it
// caches, and how every failure keeps what was learned.
import client from 'prom-client';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../src/core/config.js';
import type { FenceSource } from '../src/core/dependency.js';
import { createLogger } from '../src/log.js';
import { createPrometheusMetrics } from '../src/metrics.js';
import type { HttpAnswer } from '../src/prometheus/answer.js';
import { TransportError } from '../src/prometheus/client.js';
import { PrometheusSource } from '../src/prometheus/source.js';

const vector = (...rows: Record<string, string>[]): HttpAnswer => ({
  status: 200,
  body: JSON.stringify({ status: 'success', data: { resultType: 'vector', result: rows.map((metric) => ({ metric, value: [0, '4'] })) } }),
});
const call = (ns: string, app: string, host: string) => ({ source_workload_namespace: ns, source_app: app, destination_service: host });
const fence = (app: string, namespace = 'default'): FenceSource => ({ namespace, app, fence: app });
const HANDLER = 'sum(istio_requests_total{source_app="$source_app",source_workload_namespace="$namespace"})by(destination_service)';

const isForwarderOnly = (q: string) => q.startsWith('sum by (source_namespace');

/**
 * An in-memory Prometheus: answers by query (the forwarder-only query of handler mode with nothing,
 * unless `answer` says otherwise), counts what it was sent, and has a clock the test moves.
 */
function harness(answer: (q: string) => HttpAnswer | Promise<HttpAnswer> | undefined, prometheus: Record<string, unknown> = {}) {
  const sent: string[] = [];
  let now = 0;
  const registry = new client.Registry();
  const logs: Record<string, unknown>[] = [];
  const source = new PrometheusSource({
    client: {
      query: async (q) => {
        sent.push(q);
        return (await answer(q)) ?? (isForwarderOnly(q) ? vector() : { status: 404, body: 'unexpected query' });
      },
    },
    metrics: createPrometheusMetrics(registry),
    logger: createLogger('info', (l) => logs.push(JSON.parse(l))),
    clock: () => now,
  });
  const config = parseConfig({ metric: { prometheus: { refreshSeconds: 15, ...prometheus } } }).config;
  return {
    sent,
    logs,
    learn: (f: FenceSource) => source.learn(f, config),
    advance: (seconds: number) => void (now += seconds * 1000),
    metric: async (name: string) => (await registry.getSingleMetricAsString(name)).split('\n').filter((l) => !l.startsWith('#')),
  };
}

describe('batched mode', () => {
  it('answers 200 concurrent syncs with one query', async () => {
    const h = harness(() => vector(call('default', 'web', 'a')));
    const fences = Array.from({ length: 200 }, (_, i) => fence(`app-${i}`));
    await Promise.all(fences.map(h.learn));
    expect(h.sent).toHaveLength(1);
  });

  it('serves every sync within refreshSeconds from the same answer, then asks again', async () => {
    const h = harness(() => vector(call('default', 'web', 'a')));
    await h.learn(fence('web'));
    h.advance(14.9);
    await h.learn(fence('api'));
    expect(h.sent).toHaveLength(1);
    h.advance(0.1);
    await h.learn(fence('web'));
    expect(h.sent).toHaveLength(2);
  });

  it('asks each fence to sync again just after the answer it used expires', async () => {
    const h = harness(() => vector(call('default', 'web', 'a')));
    expect(await h.learn(fence('web'))).toMatchObject({ refreshInSeconds: 15 });
    h.advance(4.5);
    expect(await h.learn(fence('api'))).toMatchObject({ refreshInSeconds: 11 });
    h.advance(10.6);
    expect(await h.learn(fence('api'))).toMatchObject({ refreshInSeconds: 15 });
  });

  it("gives each fence its own workload's hosts, sorted", async () => {
    const h = harness(() => vector(call('default', 'web', 'b'), call('default', 'web', 'a'), call('default', 'api', 'c')));
    expect(await h.learn(fence('web'))).toMatchObject({ kind: 'answered', hosts: ['a', 'b'] });
    expect(await h.learn(fence('idle'))).toMatchObject({ kind: 'answered', hosts: [] });
  });

  it('treats an answer without any series as a failure, not as "nobody calls anything"', async () => {
    const h = harness(() => vector());
    expect(await h.learn(fence('web'))).toMatchObject({ kind: 'failed', reason: 'PrometheusNoSeries', message: 'batched query: no series at all (a new Prometheus, or no telemetry yet)' });
  });

  it('names the failing query and the transport error', async () => {
    const h = harness(() => Promise.reject(new TransportError('Unreachable', 'connect ECONNREFUSED 10.0.0.1:9090')));
    expect(await h.learn(fence('web'))).toMatchObject({ kind: 'failed', reason: 'PrometheusUnreachable', message: 'batched query: connect ECONNREFUSED 10.0.0.1:9090' });
  });

  it('keeps a failure for the refresh interval too, so an outage is not hammered by every sync', async () => {
    let down = true;
    const h = harness(() => (down ? Promise.reject(new TransportError('Timeout', 'no answer within 2 s')) : vector(call('default', 'web', 'a'))));
    await h.learn(fence('web'));
    down = false;
    expect(await h.learn(fence('web'))).toMatchObject({ kind: 'failed', reason: 'PrometheusTimeout' });
    h.advance(15);
    expect(await h.learn(fence('web'))).toMatchObject({ kind: 'answered', hosts: ['a'] });
    expect(h.sent).toHaveLength(2);
  });

  it('never throws, whatever the client does', async () => {
    const h = harness(() => {
      throw new TypeError('boom');
    });
    expect(await h.learn(fence('web'))).toMatchObject({ kind: 'failed', reason: 'PrometheusUnreachable', message: 'batched query: boom' });
  });
});

describe('handler mode', () => {
  it("sends each handler for the workload and unites their hosts with the forwarder's slice", async () => {
    const h = harness(
      (q) => {
        if (isForwarderOnly(q)) return vector({ source_namespace: 'shop', source_fence: 'web', destination_service: 'f' });
        return q.includes('second') ? vector({ destination_service: 'b' }) : vector({ destination_service: 'a' });
      },
      { handlers: { destination: { query: HANDLER }, second: { query: `${HANDLER} # second` } } },
    );
    expect(await h.learn(fence('web', 'shop'))).toMatchObject({ kind: 'answered', hosts: ['a', 'b', 'f'] });
    expect(h.sent).toContain('sum(istio_requests_total{source_app="web",source_workload_namespace="shop"})by(destination_service)');
    expect(h.sent).toHaveLength(3);
  });

  it('caches each workload query for the refresh interval', async () => {
    const h = harness((q) => (isForwarderOnly(q) ? undefined : vector({ destination_service: 'a' })), { handlers: { d: { query: HANDLER } } });
    expect(await h.learn(fence('web'))).toMatchObject({ kind: 'answered', hosts: ['a'] });
    await h.learn(fence('web'));
    await h.learn(fence('api'));
    expect(h.sent.filter((q) => q.startsWith('sum(')).length).toBe(2);
    expect(await h.metric('lazyload_prometheus_cache_hits_total')).toEqual(['lazyload_prometheus_cache_hits_total{mode="batched"} 2', 'lazyload_prometheus_cache_hits_total{mode="handler"} 1']);
  });

  it('keeps what was learned when no handler returns any series, as Slime does', async () => {
    const h = harness(() => vector(), { handlers: { d: { query: HANDLER } } });
    expect(await h.learn(fence('web'))).toMatchObject({ kind: 'failed', reason: 'PrometheusNoSeries' });
  });

  it('fails the fence when one handler fails, naming the handler', async () => {
    const h = harness((q) => (q.includes('broken') ? { status: 400, body: '{"status":"error","errorType":"bad_data","error":"parse error"}' } : isForwarderOnly(q) ? undefined : vector({ destination_service: 'a' })), {
      handlers: { good: { query: HANDLER }, bad: { query: `${HANDLER} broken` } },
    });
    expect(await h.learn(fence('web'))).toMatchObject({ kind: 'failed', reason: 'PrometheusQueryError', message: 'handler "bad": bad_data: parse error' });
  });

  it('builds no query for a workload whose app is not a label value', async () => {
    const h = harness(() => vector({ destination_service: 'a' }), { handlers: { d: { query: HANDLER } } });
    expect(await h.learn(fence('web"} or vector(1)'))).toMatchObject({ kind: 'failed', reason: 'PrometheusInvalidSource' });
    expect(h.sent).toEqual([]);
  });
});

describe('what the source reports about itself', () => {
  it('counts queries by mode and outcome', async () => {
    const h = harness(() => ({ status: 503, body: 'unavailable' }));
    await h.learn(fence('web'));
    h.advance(15);
    await h.learn(fence('web'));
    expect(await h.metric('lazyload_prometheus_queries_total')).toEqual(['lazyload_prometheus_queries_total{mode="batched",outcome="http_error"} 2']);
  });

  it('logs an outage once when it starts and once when it ends', async () => {
    let down = true;
    const h = harness(() => (down ? { status: 503, body: 'unavailable' } : vector(call('default', 'web', 'a'))));
    for (let i = 0; i < 3; i++, h.advance(15)) await h.learn(fence('web'));
    down = false;
    for (let i = 0; i < 3; i++, h.advance(15)) await h.learn(fence('web'));
    expect(h.logs.map((l) => `${l.level} ${l.msg}`)).toEqual(['warn Prometheus query failed; learned dependencies are kept', 'info Prometheus answers again']);
  });
});
