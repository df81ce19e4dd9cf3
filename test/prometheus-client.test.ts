// The HTTP side of the Prometheus source, against fake Prometheus servers on loopback: the failure
// modes a real Prometheus does not produce on demand (hangs, resets, garbage).
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { TransportError, parsePrometheusUrl, prometheusClient } from '../src/prometheus/client.js';
import client from 'prom-client';
import { silentLogger } from '../src/log.js';
import { connectPrometheus } from '../src/prometheus/index.js';
import { startServer } from '../src/cli/serve.js';
import { condition, fenceSyncRequest, sidecarHosts } from './support/fence-request.js';
import { freePort } from './support/prometheus.js';

const servers: Server[] = [];
const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

async function fakePrometheus(handle: (req: IncomingMessage, res: ServerResponse, body: string) => void): Promise<string> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => handle(req, res, body));
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const failureOf = async (p: Promise<unknown>) => {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(TransportError);
  return { reason: (e as TransportError).reason, message: (e as TransportError).message };
};

describe('the Prometheus client', () => {
  it('POSTs the query as a form to the API under the URL path, with basic auth from the URL', async () => {
    let seen: { url?: string; auth?: string; type?: string; body: string } = { body: '' };
    const base = await fakePrometheus((req, res, body) => {
      seen = { url: req.url, auth: req.headers.authorization, type: req.headers['content-type'], body };
      res.end('{}');
    });
    const c = prometheusClient(parsePrometheusUrl(`${base.replace('//', '//lazy:s%40cret@')}/prometheus/`));
    closers.push(() => c.close());
    await c.query('up{job="a b"}', 2000);
    expect(seen.url).toBe('/prometheus/api/v1/query');
    expect(seen.auth).toBe(`Basic ${Buffer.from('lazy:s@cret').toString('base64')}`);
    expect(seen.type).toBe('application/x-www-form-urlencoded');
    expect(Object.fromEntries(new URLSearchParams(seen.body))).toEqual({ query: 'up{job="a b"}', timeout: '2s' });
    expect(c.address).toBe(`${base}/prometheus`);
  });

  it('gives up on a Prometheus that never answers after the timeout', async () => {
    const base = await fakePrometheus(() => {});
    const c = prometheusClient(parsePrometheusUrl(base));
    closers.push(() => c.close());
    expect(await failureOf(c.query('up', 200))).toEqual({ reason: 'Timeout', message: 'no answer within 0.2 s' });
  });

  it('gives up on an answer whose body stalls', async () => {
    const base = await fakePrometheus((_, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"status":"success","data":');
    });
    const c = prometheusClient(parsePrometheusUrl(base));
    closers.push(() => c.close());
    expect(await failureOf(c.query('up', 200))).toMatchObject({ reason: 'Timeout' });
  });

  it('reports a connection the server resets as unreachable', async () => {
    const base = await fakePrometheus((req) => req.socket.destroy());
    const c = prometheusClient(parsePrometheusUrl(base));
    closers.push(() => c.close());
    expect(await failureOf(c.query('up', 2000))).toMatchObject({ reason: 'Unreachable' });
  });

  it('reports a refused connection with its address', async () => {
    const port = await freePort();
    const c = prometheusClient(parsePrometheusUrl(`http://127.0.0.1:${port}`));
    closers.push(() => c.close());
    expect(await failureOf(c.query('up', 2000))).toEqual({ reason: 'Unreachable', message: `connect ECONNREFUSED 127.0.0.1:${port}` });
  });

  it('refuses a PROMETHEUS_URL it cannot use, saying why', () => {
    expect(() => parsePrometheusUrl('prometheus:9090')).toThrow(/http:\/\/ or https:\/\//);
    expect(() => parsePrometheusUrl('not a url')).toThrow(/not a URL/);
    expect(() => parsePrometheusUrl('http://p:9090/?x=1')).toThrow(/query or fragment/);
  });
});

describe('a sync while Prometheus hangs', () => {
  it('answers within the timeout with the learned dependencies and the Sidecar as they were', async () => {
    const base = await fakePrometheus(() => {});
    const registry = new client.Registry();
    const prometheus = connectPrometheus(base, registry, silentLogger);
    const hooks = await startServer({ port: 0, host: '127.0.0.1', logger: silentLogger, registry, dependencies: prometheus.source });
    closers.push(() => hooks.close(), () => prometheus.close());
    const learned = 'reviews.default.svc.cluster.local';
    const status = { metricStatus: { [`{destination_service="${learned}"}`]: '1' }, domains: { [learned]: { hosts: [learned], status: 'ACTIVE' } } };
    const request = fenceSyncRequest({ name: 'web', status, prometheus: { timeoutSeconds: 1 } });
    const res = await fetch(`${hooks.url}/servicefence/sync`, { method: 'POST', body: JSON.stringify(request) });
    const answer: any = await res.json();
    expect(res.status).toBe(200);
    expect(answer.status.metricStatus).toEqual(status.metricStatus);
    expect(answer.status.domains).toEqual(status.domains);
    expect(sidecarHosts(answer)).toContain(`*/${learned}`);
    expect(condition(answer, 'DependencySourceAvailable')).toMatchObject({ status: 'False', reason: 'PrometheusTimeout', message: expect.stringContaining('no answer within 1 s') });
  });
});
