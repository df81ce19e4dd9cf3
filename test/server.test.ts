// The hook server over a real loopback socket: what Metacontroller gets for good, bad and broken input.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DependencySource } from '../src/core/dependency.js';
import { createLogger } from '../src/log.js';
import { KEEP_ALIVE_TIMEOUT_MS, type RunningServer, startServer } from '../src/cli/serve.js';

const fence = (spec: Record<string, unknown> = { enable: true }) => ({
  apiVersion: 'microservice.slime.io/v1alpha1',
  kind: 'ServiceFence',
  metadata: { name: 'productpage', namespace: 'default' },
  spec,
});
const syncRequest = (spec?: Record<string, unknown>) => ({ parent: fence(spec), children: {}, related: {}, finalizing: false });

const logs: string[] = [];
let server: RunningServer;
let failingServer: RunningServer;

beforeAll(async () => {
  const logger = createLogger('info', (l) => logs.push(l));
  server = await startServer({ port: 0, host: '127.0.0.1', logger, bodyLimit: 64 * 1024 });
  const broken: DependencySource = { learn: async () => Promise.reject(new Error('boom in a dependency source')) };
  failingServer = await startServer({ port: 0, host: '127.0.0.1', logger, dependencies: broken });
});
afterAll(async () => {
  await server.close();
  await failingServer.close();
});

const post = async (path: string, body: string, base = server.url) => {
  const res = await fetch(`${base}${path}`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
  return { status: res.status, type: res.headers.get('content-type'), json: (await res.json()) as Record<string, any> };
};

describe('hook answers', () => {
  it('answers a sync with exactly the keys strict v2 decoding allows: status object, children list', async () => {
    const { status, json } = await post('/servicefence/sync', JSON.stringify(syncRequest()));
    expect(status).toBe(200);
    expect(Object.keys(json).every((k) => ['status', 'children', 'resyncAfterSeconds', 'finalized'].includes(k))).toBe(true);
    expect(json.status).toBeTypeOf('object');
    expect(Array.isArray(json.children)).toBe(true);
  });

  it('answers customize with relatedResources only', async () => {
    const { status, json } = await post('/servicefence/customize', JSON.stringify({ parent: fence() }));
    expect(status).toBe(200);
    expect(Object.keys(json)).toEqual(['relatedResources']);
  });

  it('rejects malformed JSON with 400 and says why', async () => {
    const { status, type, json } = await post('/servicefence/sync', '{"parent": ');
    expect(status).toBe(400);
    expect(type).toContain('application/json');
    expect(json.error).toBe('BadJSON');
    expect(json.message).toMatch(/not valid JSON/);
  });

  it('rejects a body that is not a Metacontroller request with 422', async () => {
    const { status, json } = await post('/servicefence/sync', JSON.stringify({ hello: 'world' }));
    expect(status).toBe(422);
    expect(json).toEqual({ error: 'InvalidRequest', message: 'request has no "parent": not a Metacontroller hook request' });
  });

  it('rejects a parent that is not a ServiceFence with 422 naming what it got', async () => {
    const pod = { parent: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default' } } };
    const { status, json } = await post('/servicefence/sync', JSON.stringify(pod));
    expect(status).toBe(422);
    expect(json.message).toBe('parent must be a ServiceFence (microservice.slime.io), got Pod (v1)');
  });

  it('rejects a body over BODY_LIMIT with 413', async () => {
    const big = JSON.stringify({ ...syncRequest(), padding: 'x'.repeat(70 * 1024) });
    const { status, json } = await post('/servicefence/sync', big);
    expect(status).toBe(413);
    expect(json).toEqual({ error: 'PayloadTooLarge', message: 'request body exceeds 65536 bytes (BODY_LIMIT)' });
  });

  it('rejects a chunked body (no Content-Length) over BODY_LIMIT with 413 too', async () => {
    const chunk = new TextEncoder().encode('x'.repeat(16 * 1024));
    let sent = 0;
    const stream = new ReadableStream({
      pull(controller) {
        if (sent++ < 6) controller.enqueue(chunk);
        else controller.close();
      },
    });
    const res = await fetch(`${server.url}/servicefence/sync`, { method: 'POST', body: stream, duplex: 'half' } as RequestInit);
    expect(res.status).toBe(413);
    expect(((await res.json()) as Record<string, string>).error).toBe('PayloadTooLarge');
  });

  it('answers an internal failure with 500 and an error id that is also logged', async () => {
    const { status, json } = await post('/servicefence/sync', JSON.stringify(syncRequest()), failingServer.url);
    expect(status).toBe(500);
    expect(json.error).toBe('InternalError');
    expect(json.errorId).toMatch(/^[0-9a-f-]{36}$/);
    const logged = logs.map((l) => JSON.parse(l)).find((l) => l.errorId === json.errorId);
    expect(logged).toMatchObject({ level: 'error', msg: 'hook failed', hook: 'servicefence/sync', parent: 'default/productpage' });
    expect(logged.error).toContain('boom in a dependency source');
  });

  it('never answers 500, whatever JSON it is sent', async () => {
    const anyJson = fc.jsonValue({ maxDepth: 4 });
    // Valid requests with one field replaced by anything: the hardest inputs to survive.
    const mutated = fc
      .tuple(fc.constantFrom('spec', 'spec.host', 'spec.workloadSelector', 'spec.labelSelector', 'metadata', 'metadata.labels', 'status', 'status.domains', 'status.conditions', 'children', 'related'), anyJson)
      .map(([where, value]) => {
        const req: Record<string, any> = { ...syncRequest({ enable: true, host: { 'a.b.svc.cluster.local': { stable: {} } } }), parent: fence() };
        const [head, tail] = where.split('.');
        if (head === 'children' || head === 'related') req[head] = value;
        else if (tail === undefined) req.parent[head] = value;
        else req.parent[head] = { ...(req.parent[head] ?? {}), [tail]: value };
        return req;
      });
    await fc.assert(
      fc.asyncProperty(fc.oneof(anyJson, mutated), async (body) => {
        for (const hook of ['/servicefence/sync', '/servicefence/customize']) {
          const { status } = await post(hook, JSON.stringify(body));
          expect([200, 400, 422]).toContain(status);
        }
      }),
      { numRuns: 150 },
    );
  });

  it('never answers 500 for a LazyloadConfig of any shape, in either hook that reads it', async () => {
    const anyJson = fc.jsonValue({ maxDepth: 3 });
    // Template-like text, so Handlebars' parser and runtime see their share of odd input.
    const template = fc.stringMatching(/^[a-z{}|#/ ."()\-_.0-9]{0,30}$/);
    const dispatch = fc.record({ name: fc.oneof(fc.string(), anyJson), domains: fc.oneof(fc.array(fc.string()), anyJson), domainRegex: fc.oneof(fc.string(), anyJson), cluster: fc.oneof(template, anyJson) }, { requiredKeys: [] });
    const spec = fc.record(
      {
        dispatches: fc.oneof(fc.array(dispatch, { maxLength: 4 }), anyJson),
        values: anyJson,
        wormholePort: anyJson,
        globalSidecar: fc.oneof(fc.record({ mode: fc.constantFrom('cluster', 'namespace', 'none', 'x'), namespaces: anyJson, namespace: anyJson, port: anyJson, probePort: anyJson, resources: anyJson }, { requiredKeys: [] }), anyJson),
        passthroughByDefault: anyJson,
        proxyVersion: anyJson,
        supportH2: anyJson,
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(spec, async (configSpec) => {
        const config = { apiVersion: 'microservice.slime.io/v1alpha1', kind: 'LazyloadConfig', metadata: { name: 'default' }, spec: configSpec };
        const own = await post('/lazyloadconfig/sync', JSON.stringify({ parent: config, children: {}, related: {} }));
        expect(own.status).toBe(200);
        const related = { 'LazyloadConfig.microservice.slime.io/v1alpha1': { default: config } };
        const fenced = await post('/servicefence/sync', JSON.stringify({ ...syncRequest(), related }));
        expect(fenced.status).toBe(200);
      }),
      { numRuns: 200 },
    );
  });
});

describe('autofence hook answers', () => {
  const service = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'cart', namespace: 'shop' }, spec: { selector: { app: 'cart' } } };

  it('answers a decorator sync with attachments only: never labels, annotations or status of the Service', async () => {
    const { status, json } = await post('/autofence/sync', JSON.stringify({ object: service, attachments: {}, related: {} }));
    expect(status).toBe(200);
    expect(json).toEqual({ attachments: [] });
  });

  it('never answers 500 for a Service, Namespace, fence or auto-fence config of any shape', async () => {
    const anyJson = fc.jsonValue({ maxDepth: 3 });
    const labels = fc.oneof(fc.dictionary(fc.constantFrom('slime.io/serviceFenced', 'team', 'app.kubernetes.io/created-by'), fc.constantFrom('true', 'false', 'TRUE', '', 'fence-controller')), anyJson);
    const expression = fc.record({ key: fc.oneof(fc.constantFrom('team', ''), anyJson), operator: fc.oneof(fc.constantFrom('In', 'NotIn', 'Exists', 'DoesNotExist', 'Equals'), anyJson), values: fc.oneof(fc.array(fc.string()), anyJson) }, { requiredKeys: [] });
    const spec = fc.record(
      {
        autoFence: fc.oneof(fc.boolean(), anyJson),
        defaultFence: fc.oneof(fc.boolean(), anyJson),
        blackNamespaceList: fc.oneof(fc.string(), fc.array(fc.string()), anyJson),
        whiteNamespaceList: fc.oneof(fc.string(), fc.array(fc.string()), anyJson),
        managementSelectors: fc.oneof(fc.array(fc.record({ matchLabels: fc.oneof(labels, anyJson), matchExpressions: fc.oneof(fc.array(expression), anyJson) }, { requiredKeys: [] })), anyJson),
        selfResourceRev: anyJson,
      },
      { requiredKeys: [] },
    );
    const object = (kind: string, apiVersion: string, name: string, namespace?: string) =>
      fc.record({ labels, spec: fc.oneof(fc.record({ selector: anyJson }), anyJson) }).map(({ labels: l, spec: s }) => ({
        apiVersion, kind, metadata: { name, ...(namespace ? { namespace } : {}), labels: l }, spec: s,
      }));
    const request = fc.record({
      svc: object('Service', 'v1', 'cart', 'shop'),
      ns: object('Namespace', 'v1', 'shop'),
      fence: object('ServiceFence', 'microservice.slime.io/v1alpha1', 'cart', 'shop'),
      owned: fc.boolean(),
      config: spec,
    });
    await fc.assert(
      fc.asyncProperty(request, async ({ svc, ns, fence, owned, config }) => {
        const related = {
          'Namespace.v1': { shop: ns },
          'LazyloadConfig.microservice.slime.io/v1alpha1': { default: { apiVersion: 'microservice.slime.io/v1alpha1', kind: 'LazyloadConfig', metadata: { name: 'default' }, spec: config } },
          'ServiceFence.microservice.slime.io/v1alpha1': { 'shop/cart': fence },
        };
        const attachments = { 'ServiceFence.microservice.slime.io/v1alpha1': owned ? { 'shop/cart': fence } : {} };
        for (const [hook, body] of [['/autofence/sync', { object: svc, attachments, related }], ['/autofence/customize', { parent: svc }]] as const) {
          const { status } = await post(hook, JSON.stringify(body));
          expect([200, 422]).toContain(status);
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe('operational endpoints', () => {
  it('reports health and readiness', async () => {
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
  });

  it('exports hook latency histograms and outcome counters by hook', async () => {
    await post('/servicefence/sync', JSON.stringify(syncRequest()));
    await post('/servicefence/sync', 'nope');
    const text = await (await fetch(`${server.url}/metrics`)).text();
    expect(text).toMatch(/lazyload_hook_duration_seconds_bucket\{le="0.005",hook="servicefence\/sync"\} \d+/);
    expect(text).toMatch(/lazyload_hook_requests_total\{hook="servicefence\/sync",outcome="ok"\} [1-9]/);
    expect(text).toMatch(/lazyload_hook_requests_total\{hook="servicefence\/sync",outcome="bad_json"\} [1-9]/);
  });

  it('keeps idle connections open longer than Go clients do (90 s)', () => {
    expect(server.server.keepAliveTimeout).toBe(KEEP_ALIVE_TIMEOUT_MS);
    expect(KEEP_ALIVE_TIMEOUT_MS).toBeGreaterThan(90_000);
    expect(server.server.headersTimeout).toBeGreaterThan(KEEP_ALIVE_TIMEOUT_MS);
  });

  it('writes one JSON object per log line', () => {
    expect(logs.length).toBeGreaterThan(0);
    for (const line of logs) expect(() => JSON.parse(line)).not.toThrow();
  });
});

describe('draining', () => {
  it('turns unready but keeps answering during the grace period, then closes', async () => {
    const s = await startServer({ port: 0, host: '127.0.0.1', logger: createLogger('error', () => {}) });
    const closed = s.close(300);
    const ready = await fetch(`${s.url}/readyz`);
    expect(ready.status).toBe(503);
    const sync = await fetch(`${s.url}/servicefence/sync`, { method: 'POST', body: JSON.stringify(syncRequest()) });
    expect(sync.status).toBe(200);
    await closed;
    await expect(fetch(`${s.url}/healthz`)).rejects.toThrow();
  });
});
