// What the forwarder counts on its probe port after real calls through it: the dependency counter
// the hook server learns from (docs/design.md §5.2, §11) and the upstream error counter, and its liveness.
import { beforeAll, describe, expect, it } from 'vitest';
import {
  fileClosers,
  type TestForwarder,
  type Upstream,
  freePort,
  metricValue,
  probe,
  scrape,
  send,
  startTcpUpstream,
  startTestForwarder,
  startUpstream,
  waitFor,
} from './support/forwarder.js';

const { perFile, perTest } = fileClosers();

const DEPENDENCIES = 'lazyload_dependency_requests_total';
const UPSTREAM_ERRORS = 'lazyload_forwarder_upstream_errors_total';

// Cluster DNS, faked: these FQDNs are Services.
const SERVICES = new Set(['ratings.prod.svc.cluster.local']);
const asked: string[] = [];

let f: TestForwarder;
let u: Upstream;
beforeAll(async () => {
  f = await startTestForwarder(perFile, {
    upstreamTimeoutMs: 1_000,
    resolve: async (fqdn) => {
      asked.push(fqdn);
      return SERVICES.has(fqdn);
    },
  });
  u = await startUpstream(perFile);
});

/** A call from the productpage fence in `default` (unless told otherwise) to `host`, sent to the upstream. */
async function call(host: string, o: { ns?: string; fence?: string | null } = {}): Promise<number> {
  const headers: [string, string][] = [['Host', host], ['Slime-Orig-Dest', u.address], ['Slime-Source-Ns', o.ns ?? 'default']];
  if (o.fence !== null) headers.push(['Slime-Source-Fence', o.fence ?? 'productpage']);
  return (await send(f.port, { headers })).status;
}

const dependency = (destination: string, fence = 'productpage', ns = 'default') =>
  metricValue(f, DEPENDENCIES, { source_namespace: ns, source_fence: fence, destination_service: destination });
const destinations = async () => (await scrape(f)).filter((s) => s.name === DEPENDENCIES).map((s) => s.labels.destination_service);
const count = (destination: string, n: number) =>
  waitFor(`${destination} counted ${n} times`, async () => ((await dependency(destination)) === n ? true : undefined), 10_000, 25);

describe('the dependency counter', () => {
  it('counts a dot-less host as a Service of the caller namespace', async () => {
    for (let i = 0; i < 3; i++) expect(await call('reviews:9080')).toBe(200);
    expect(await dependency('reviews.default.svc.cluster.local')).toBe(3);
  });

  it('keeps the calling fence and namespace apart', async () => {
    expect(await call('details', { ns: 'shop', fence: 'cart' })).toBe(200);
    expect(await metricValue(f, DEPENDENCIES, { source_namespace: 'shop', source_fence: 'cart', destination_service: 'details.shop.svc.cluster.local' })).toBe(1);
  });

  it('counts name.ns as the Service name.ns.svc.cluster.local when cluster DNS knows it', async () => {
    expect(await call('ratings.prod:9080')).toBe(200);
    expect(await call('ratings.prod')).toBe(200);
    await count('ratings.prod.svc.cluster.local', 2);
    expect(await destinations()).not.toContain('ratings.prod');
  });

  it('counts name.ns as called when cluster DNS does not know it', async () => {
    expect(await call('details.nowhere')).toBe(200);
    await count('details.nowhere', 1);
    expect(await destinations()).not.toContain('details.nowhere.svc.cluster.local');
  });

  it('asks cluster DNS once for a name.ns called again and again', async () => {
    for (let i = 0; i < 5; i++) expect(await call('payments.billing')).toBe(200);
    await count('payments.billing', 5);
    expect(asked.filter((n) => n === 'payments.billing.svc.cluster.local')).toEqual(['payments.billing.svc.cluster.local']);
  });

  it('counts an external name as called, without its port', async () => {
    expect(await call('api.example.com:8443')).toBe(200);
    expect(await dependency('api.example.com')).toBe(1);
    expect((await destinations()).filter((d) => d.includes('8443'))).toEqual([]);
  });

  it('counts name.ns.svc as the Service it names', async () => {
    expect(await call('productpage.shop.svc:9080')).toBe(200);
    expect(await dependency('productpage.shop.svc.cluster.local')).toBe(1);
  });

  it('does not count a call to an IP literal', async () => {
    expect(await call(`127.0.0.1:${u.port}`)).toBe(200);
    expect(await call('[::1]:9080')).toBe(200);
    expect((await destinations()).filter((d) => d.includes('127.0.0.1') || d.includes('::1'))).toEqual([]);
  });

  it('does not count a call without Slime-Source-Fence', async () => {
    expect(await call('unfenced', { fence: null })).toBe(200);
    expect((await destinations()).filter((d) => d.includes('unfenced'))).toEqual([]);
  });
});

describe('the upstream error counter', () => {
  it('counts an unreachable upstream', async () => {
    const before = await metricValue(f, UPSTREAM_ERRORS, { reason: 'unreachable' });
    const closed = await freePort();
    expect((await send(f.port, { headers: [['Host', 'reviews'], ['Slime-Orig-Dest', `127.0.0.1:${closed}`]] })).status).toBe(502);
    expect(await metricValue(f, UPSTREAM_ERRORS, { reason: 'unreachable' })).toBe(before + 1);
  });

  it('counts an upstream that does not answer in time', async () => {
    const before = await metricValue(f, UPSTREAM_ERRORS, { reason: 'timeout' });
    const silent = await startTcpUpstream(perTest, () => {});
    expect((await send(f.port, { headers: [['Host', 'reviews'], ['Slime-Orig-Dest', silent.address]] })).status).toBe(504);
    expect(await metricValue(f, UPSTREAM_ERRORS, { reason: 'timeout' })).toBe(before + 1);
  });
});

describe('the probe port', () => {
  it('answers /healthz/live with 200', async () => {
    expect(await probe(f, '/healthz/live')).toEqual({ status: 200, text: 'ok\n' });
  });

  it('serves /metrics in the Prometheus text format', async () => {
    const res = await fetch(`${f.probeUrl}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(await res.text()).toContain(`# TYPE ${DEPENDENCIES} counter`);
  });
});
