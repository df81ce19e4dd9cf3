// Prometheus answers recorded in a fixture, served in place of a live Prometheus so a replay runs
// the real decoding, indexing and failure handling without a server.

import { isObject } from '../protocol/metacontroller.js';
import type { HttpAnswer } from './answer.js';
import { type PrometheusClient, TransportError } from './client.js';

export type RecordedAnswer = { query: string } & ({ status: number; body: string } | { error: 'unreachable' | 'timeout' });

/** Reads a fixture's `prometheus` list; returns a message for the first malformed entry. */
export function parseRecordedAnswers(value: unknown): RecordedAnswer[] | string {
  if (!Array.isArray(value)) return '"prometheus" must be a list of {query, body} or {query, error}';
  const out: RecordedAnswer[] = [];
  for (const [i, item] of value.entries()) {
    if (!isObject(item) || typeof item.query !== 'string') return `prometheus[${i}] needs "query", the exact PromQL the hook sends`;
    if (item.error === 'unreachable' || item.error === 'timeout') out.push({ query: item.query, error: item.error });
    else if ('body' in item) {
      const status = typeof item.status === 'number' ? item.status : 200;
      out.push({ query: item.query, status, body: typeof item.body === 'string' ? item.body : JSON.stringify(item.body) });
    } else return `prometheus[${i}] needs "body" (the answer) or "error" (unreachable or timeout)`;
  }
  return out;
}

export interface RecordedClient extends Pick<PrometheusClient, 'query'> {
  /** Queries the hook sent that the fixture has no answer for. */
  readonly unanswered: string[];
}

export function recordedClient(answers: RecordedAnswer[]): RecordedClient {
  const unanswered: string[] = [];
  return {
    unanswered,
    async query(promql: string, timeoutMs: number): Promise<HttpAnswer> {
      const a = answers.find((r) => r.query === promql);
      if (!a) {
        unanswered.push(promql);
        throw new TransportError('Unreachable', 'no recorded answer for this query');
      }
      if ('error' in a) throw a.error === 'timeout' ? new TransportError('Timeout', `no answer within ${timeoutMs / 1000} s`) : new TransportError('Unreachable', 'connect ECONNREFUSED 127.0.0.1:9090');
      return { status: a.status, body: a.body };
    },
  };
}
