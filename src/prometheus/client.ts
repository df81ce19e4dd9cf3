// Prometheus's HTTP API over a keep-alive connection pool (undici). Only the transport lives here:
// what the answer means is decided in answer.ts, the same for live and recorded answers.

import { type Dispatcher, Pool } from 'undici';
import type { HttpAnswer } from './answer.js';

export class TransportError extends Error {
  constructor(
    readonly reason: 'Unreachable' | 'Timeout',
    message: string,
  ) {
    super(message);
  }
}

export interface PrometheusClient {
  /** The address, without credentials, for logs. */
  readonly address: string;
  /** POSTs an instant query; rejects with a TransportError. */
  query(promql: string, timeoutMs: number): Promise<HttpAnswer>;
  close(): Promise<void>;
}

const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT']);

function transportError(e: unknown, timeoutMs: number): TransportError {
  const err = e as { name?: string; code?: string; message?: string; errors?: { message?: string }[]; cause?: { message?: string } };
  if (err?.name === 'TimeoutError' || err?.name === 'AbortError' || TIMEOUT_CODES.has(err?.code ?? '')) {
    return new TransportError('Timeout', `no answer within ${timeoutMs / 1000} s`);
  }
  // Dual-stack connects fail with an AggregateError whose own message is empty.
  const message = err?.message || err?.errors?.[0]?.message || err?.cause?.message || String(e);
  return new TransportError('Unreachable', message);
}

/** Reads `PROMETHEUS_URL`: http(s), an optional path prefix, optional user:password (basic auth). */
export function parsePrometheusUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error(`PROMETHEUS_URL is not a URL: ${JSON.stringify(text)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`PROMETHEUS_URL must be http:// or https://, got ${JSON.stringify(url.protocol)}`);
  if (url.search || url.hash) throw new Error('PROMETHEUS_URL must not carry a query or fragment');
  return url;
}

export function prometheusClient(url: URL, dispatcher?: Dispatcher): PrometheusClient {
  const path = `${url.pathname.replace(/\/+$/, '')}/api/v1/query`;
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (url.username) headers.authorization = `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64')}`;
  // A handful of connections serve thousands of fences: queries are few and answers cached.
  const pool = dispatcher ?? new Pool(url.origin, { connections: 8, keepAliveTimeout: 30_000, connect: { timeout: 5_000 } });
  return {
    address: `${url.origin}${url.pathname.replace(/\/+$/, '')}`,
    async query(promql, timeoutMs) {
      try {
        const res = await pool.request({
          origin: url.origin,
          path,
          method: 'POST',
          headers,
          // Prometheus stops evaluating at its own timeout too, so an abandoned query costs it nothing.
          body: new URLSearchParams({ query: promql, timeout: `${timeoutMs / 1000}s` }).toString(),
          signal: AbortSignal.timeout(timeoutMs),
          headersTimeout: timeoutMs,
          bodyTimeout: timeoutMs,
        });
        const location = res.headers.location;
        return { status: res.statusCode, body: await res.body.text(), ...(typeof location === 'string' && { location }) };
      } catch (e) {
        throw transportError(e, timeoutMs);
      }
    },
    close: () => pool.close(),
  };
}
