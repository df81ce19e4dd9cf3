// What the msw-based tests rely on: which msw network sees the Prometheus client's undici Pool,
// that a request no handler answers fails, and that interception ends when the network is disabled.
import { HttpResponse, http } from 'msw';
import { setupServer } from 'msw/node';
import { describe, expect, it, vi } from 'vitest';
import { TransportError, parsePrometheusUrl, prometheusClient } from '../src/prometheus/client.js';
import { socketNetwork } from './support/msw.js';
import { freePort } from './support/prometheus.js';

const answer = { status: 'success', data: { resultType: 'vector', result: [] } };

/** Queries `base` once with a fresh client; the TransportError if it failed. */
async function queryOnce(base: string) {
  const c = prometheusClient(parsePrometheusUrl(base));
  try {
    return await c.query('up', 2000);
  } catch (e) {
    expect(e).toBeInstanceOf(TransportError);
    return e as TransportError;
  } finally {
    await c.close();
  }
}

describe('msw and the Prometheus client', () => {
  it("msw's setupServer answers global fetch but lets undici's Pool through to the network", async () => {
    // Nothing listens on the port: a request that gets past msw is refused.
    const base = `http://127.0.0.1:${await freePort()}`;
    const server = setupServer(http.post(`${base}/api/v1/query`, () => HttpResponse.json(answer)));
    server.listen({ onUnhandledFrame: 'error' });
    try {
      expect(await (await fetch(`${base}/api/v1/query`, { method: 'POST' })).json()).toEqual(answer);
      expect(await queryOnce(base)).toMatchObject({ reason: 'Unreachable', message: expect.stringContaining('ECONNREFUSED') });
    } finally {
      server.close();
    }
  });

  it("the socket-level network answers undici's Pool from a handler", async () => {
    const network = socketNetwork(http.post('http://prometheus.test:9090/api/v1/query', () => HttpResponse.json(answer)));
    network.enable();
    try {
      expect(await queryOnce('http://prometheus.test:9090')).toEqual({ status: 200, body: JSON.stringify(answer) });
    } finally {
      await network.disable();
    }
  });

  it('a request no handler answers fails instead of reaching the network, naming the request', async () => {
    const network = socketNetwork(http.post('http://prometheus.test:9090/api/v1/query', () => HttpResponse.json(answer)));
    const printed = vi.spyOn(console, 'error').mockImplementation(() => {});
    network.enable();
    try {
      expect(await queryOnce('http://other.test:9090')).toMatchObject({ reason: 'Unreachable', message: expect.stringContaining('onUnhandledFrame') });
      expect(printed).toHaveBeenCalledWith(expect.stringContaining('POST http://other.test:9090/api/v1/query'));
    } finally {
      printed.mockRestore();
      await network.disable();
    }
  });

  it('once the network is disabled, the Pool reaches the real network again', async () => {
    const base = `http://127.0.0.1:${await freePort()}`;
    const network = socketNetwork(http.post(`${base}/api/v1/query`, () => HttpResponse.json(answer)));
    network.enable();
    await network.disable();
    expect(await queryOnce(base)).toMatchObject({ reason: 'Unreachable', message: `connect ECONNREFUSED ${base.slice('http://'.length)}` });
  });
});
