// The Prometheus client and source over HTTP, through the real undici pool. What a Prometheus (or a
// proxy in front of it) answers — status codes, error envelopes, warnings, malformed and short
// bodies, redirects, slow and silent servers — comes from msw handlers, intercepted beneath the pool
// (support/msw.ts). What happens below HTTP needs a real socket, so a few loopback servers remain: a
// reset, a refused connection, and a body cut off mid-stream (msw ends a body stream that errors as
// a clean, short body, where a server that closes mid-body makes the client fail).
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpResponse, delay, http, passthrough } from 'msw';
import client from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { startServer } from '../src/cli/serve.js';
import { parseConfig } from '../src/core/config.js';
import { silentLogger } from '../src/log.js';
import { TransportError, parsePrometheusUrl, prometheusClient } from '../src/prometheus/client.js';
import { connectPrometheus } from '../src/prometheus/index.js';
import { condition, fenceSyncRequest, sidecarHosts } from './support/fence-request.js';
import { interceptNetwork } from './support/msw.js';
import { freePort } from './support/prometheus.js';

const network = interceptNetwork();
const PROMETHEUS = 'http://prometheus.test:9090';
const QUERY = `${PROMETHEUS}/api/v1/query`;

const servers: Server[] = [];
const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

/** A loopback server for what msw cannot do faithfully: it runs `handle` once the request is read. */
async function loopbackPrometheus(handle: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => handle(req, res));
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  // The file's msw network sees this connection too; it must reach the real server.
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  network.use(http.all(`${base}/*`, () => passthrough()));
  return base;
}

function connect(base = PROMETHEUS) {
  const c = prometheusClient(parsePrometheusUrl(base));
  closers.push(() => c.close());
  return c;
}

const failureOf = async (p: Promise<unknown>) => {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(TransportError);
  return { reason: (e as TransportError).reason, message: (e as TransportError).message };
};

const vector = (...metrics: Record<string, string>[]) => ({ status: 'success', data: { resultType: 'vector', result: metrics.map((metric) => ({ metric, value: [1767225600, '3'] })) } });
const webCalls = (host: string) => ({ source_workload_namespace: 'default', source_app: 'web', destination_service: host });

describe('the Prometheus client', () => {
  it('POSTs the query as a form to the API under the URL path, with basic auth from the URL', async () => {
    let seen: { path: string; auth: string | null; type: string | null; body: string } | undefined;
    network.use(
      http.post(`${PROMETHEUS}/prometheus/api/v1/query`, async ({ request }) => {
        seen = { path: new URL(request.url).pathname, auth: request.headers.get('authorization'), type: request.headers.get('content-type'), body: await request.text() };
        return HttpResponse.json(vector());
      }),
    );
    const c = connect(`http://lazy:s%40cret@prometheus.test:9090/prometheus/`);
    await c.query('up{job="a b"}', 2000);
    expect(seen?.path).toBe('/prometheus/api/v1/query');
    expect(seen?.auth).toBe(`Basic ${Buffer.from('lazy:s@cret').toString('base64')}`);
    expect(seen?.type).toBe('application/x-www-form-urlencoded');
    expect(Object.fromEntries(new URLSearchParams(seen?.body))).toEqual({ query: 'up{job="a b"}', timeout: '2s' });
    expect(c.address).toBe(`${PROMETHEUS}/prometheus`);
  });

  it('gives up on a Prometheus that never answers after the timeout', async () => {
    network.use(
      http.post(QUERY, async () => {
        await delay('infinite');
        return HttpResponse.json(vector());
      }),
    );
    expect(await failureOf(connect().query('up', 200))).toEqual({ reason: 'Timeout', message: 'no answer within 0.2 s' });
  });

  it('gives up on an answer that comes after the timeout', async () => {
    network.use(
      http.post(QUERY, async () => {
        await delay(1000);
        return HttpResponse.json(vector());
      }),
    );
    expect(await failureOf(connect().query('up', 200))).toEqual({ reason: 'Timeout', message: 'no answer within 0.2 s' });
  });

  it('reads a slow answer whole when its pieces arrive within the timeout', async () => {
    const text = JSON.stringify(vector(webCalls('a')));
    const pieces = [text.slice(0, 10), text.slice(10, 40), text.slice(40)];
    network.use(
      http.post(QUERY, () => {
        const body = new ReadableStream({
          async start(stream) {
            for (const piece of pieces) {
              await delay(50);
              stream.enqueue(new TextEncoder().encode(piece));
            }
            stream.close();
          },
        });
        return new HttpResponse(body, { headers: { 'content-type': 'application/json' } });
      }),
    );
    expect(await connect().query('up', 2000)).toEqual({ status: 200, body: text });
  });

  it('gives up on an answer whose body stops short of its Content-Length', async () => {
    const partial = '{"status":"success","data":';
    network.use(http.post(QUERY, () => new HttpResponse(partial, { headers: { 'content-type': 'application/json', 'content-length': String(partial.length + 100) } })));
    expect(await failureOf(connect().query('up', 200))).toEqual({ reason: 'Timeout', message: 'no answer within 0.2 s' });
  });

  it('reports a connection the server resets as unreachable', async () => {
    const base = await loopbackPrometheus((req) => req.socket.destroy());
    expect(await failureOf(connect(base).query('up', 2000))).toMatchObject({ reason: 'Unreachable' });
  });

  it('reports an answer cut off mid-body as unreachable', async () => {
    const base = await loopbackPrometheus((_, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"status":"success","data":', () => res.socket?.destroy());
    });
    expect(await failureOf(connect(base).query('up', 2000))).toEqual({ reason: 'Unreachable', message: 'other side closed' });
  });

  it('reports a refused connection with its address', async () => {
    const address = `127.0.0.1:${await freePort()}`;
    network.use(http.all(`http://${address}/*`, () => passthrough()));
    expect(await failureOf(connect(`http://${address}`).query('up', 2000))).toEqual({ reason: 'Unreachable', message: `connect ECONNREFUSED ${address}` });
  });

  it('refuses a PROMETHEUS_URL it cannot use, saying why', () => {
    expect(() => parsePrometheusUrl('prometheus:9090')).toThrow(/http:\/\/ or https:\/\//);
    expect(() => parsePrometheusUrl('not a url')).toThrow(/not a URL/);
    expect(() => parsePrometheusUrl('http://p:9090/?x=1')).toThrow(/query or fragment/);
  });
});

describe("what a fence learns from Prometheus's answer", () => {
  const web = { namespace: 'default', app: 'web', fence: 'web' };
  const config = parseConfig({}).config;

  /** One batched query through the client and source `lazyload serve` wires up. */
  async function learnOnce() {
    const prometheus = connectPrometheus(PROMETHEUS, new client.Registry(), silentLogger);
    closers.push(() => prometheus.close());
    return prometheus.source.learn(web, config);
  }

  it('a vector gives the fence the hosts its workload called', async () => {
    network.use(http.post(QUERY, () => HttpResponse.json(vector(webCalls('b'), webCalls('a')))));
    expect(await learnOnce()).toMatchObject({ kind: 'answered', hosts: ['a', 'b'] });
  });

  it("an HTTP error status fails as PrometheusHTTPError, quoting the body's first line", async () => {
    network.use(http.post(QUERY, () => new HttpResponse('Bad Gateway\n<html><body>upstream unavailable</body></html>', { status: 502, headers: { 'content-type': 'text/plain' } })));
    expect(await learnOnce()).toMatchObject({ kind: 'failed', reason: 'PrometheusHTTPError', message: 'batched query: HTTP 502: Bad Gateway' });
  });

  it("Prometheus's error envelope fails as PrometheusQueryError with its type and message", async () => {
    const envelope = { status: 'error', errorType: 'execution', error: 'query processing would load too many samples into memory in query execution' };
    network.use(http.post(QUERY, () => HttpResponse.json(envelope, { status: 422 })));
    expect(await learnOnce()).toMatchObject({ kind: 'failed', reason: 'PrometheusQueryError', message: `batched query: execution: ${envelope.error}` });
  });

  it('a 200 that is not JSON (a login page from a proxy) fails as PrometheusBadResponse', async () => {
    network.use(http.post(QUERY, () => HttpResponse.html('<!DOCTYPE html>\n<title>Sign in</title>')));
    expect(await learnOnce()).toMatchObject({ kind: 'failed', reason: 'PrometheusBadResponse', message: 'batched query: the answer is not JSON: <!DOCTYPE html>' });
  });

  it('an answer carrying warnings fails as PrometheusWarnings, since it may be partial', async () => {
    network.use(http.post(QUERY, () => HttpResponse.json({ ...vector(webCalls('a')), warnings: ['remote read of store eu-1 failed'] })));
    expect(await learnOnce()).toMatchObject({ kind: 'failed', reason: 'PrometheusWarnings', message: 'batched query: the answer carries warnings: remote read of store eu-1 failed' });
  });

  it('a redirect is not followed, so the query and its credentials stay at the configured address', async () => {
    let redirectedTo = 0;
    network.use(
      http.post(QUERY, () => HttpResponse.redirect('http://elsewhere.test:9090/api/v1/query', 307)),
      http.post('http://elsewhere.test:9090/api/v1/query', () => {
        redirectedTo++;
        return HttpResponse.json(vector(webCalls('a')));
      }),
    );
    expect(await learnOnce()).toMatchObject({ kind: 'failed', reason: 'PrometheusHTTPError', message: 'batched query: HTTP 307: a redirect to http://elsewhere.test:9090/api/v1/query, not followed: set PROMETHEUS_URL to the address it points to' });
    expect(redirectedTo).toBe(0);
  });
});

describe('a sync while Prometheus hangs', () => {
  it('answers within the timeout with the learned dependencies and the Sidecar as they were', async () => {
    network.use(
      http.post(QUERY, async () => {
        await delay('infinite');
        return HttpResponse.json(vector());
      }),
    );
    const registry = new client.Registry();
    const prometheus = connectPrometheus(PROMETHEUS, registry, silentLogger);
    const hooks = await startServer({ port: 0, host: '127.0.0.1', logger: silentLogger, registry, dependencies: prometheus.source });
    closers.push(() => hooks.close(), () => prometheus.close());
    // The test's own call to the hooks goes through the intercepted network as well.
    network.use(http.all(`${hooks.url}/*`, () => passthrough()));
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
