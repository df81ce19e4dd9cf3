// What Prometheus answered to an instant query, decoded once: a vector of series, or the reason it
// is not one. Anything but a clean vector is a failure, so a half-broken answer never replaces
// learned dependencies.

import { isObject } from '../protocol/metacontroller.js';

export interface Series {
  labels: Record<string, string>;
  value: number;
}

/** Why a dependency source could not answer; the condition's reason is `Prometheus<reason>`. */
export type FailureReason = 'Unreachable' | 'Timeout' | 'HTTPError' | 'QueryError' | 'Warnings' | 'BadResponse' | 'NoSeries' | 'InvalidSource';

export interface Failure {
  ok: false;
  reason: FailureReason;
  message: string;
}

export type Answer = { ok: true; series: Series[] } | Failure;

/** An HTTP response as the transport read it. */
export interface HttpAnswer {
  status: number;
  body: string;
  /** The Location header of a redirect. */
  location?: string;
}

export const failure = (reason: FailureReason, message: string): Failure => ({ ok: false, reason, message });

// Messages end up in a fence's status: keep them short and free of anything that changes per call.
const excerpt = (text: string): string => {
  const line = text.trim().split('\n')[0] ?? '';
  return line.length > 200 ? `${line.slice(0, 197)}...` : line;
};

// Go's float formatting, which Number() does not read.
const SPECIAL: Record<string, number> = { '+Inf': Infinity, '-Inf': -Infinity };

function sample(item: unknown): Series | undefined {
  if (!isObject(item) || !isObject(item.metric) || !Array.isArray(item.value) || item.value.length !== 2) return undefined;
  const [, text] = item.value;
  if (typeof text !== 'string') return undefined;
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(item.metric)) {
    if (typeof v !== 'string') return undefined;
    labels[k] = v;
  }
  return { labels, value: SPECIAL[text] ?? Number(text) };
}

export function decodeAnswer({ status, body, location }: HttpAnswer): Answer {
  // Following a redirect would send the query, and the URL's credentials, to another address.
  if (status >= 300 && status < 400) {
    return failure('HTTPError', `HTTP ${status}: a redirect${location ? ` to ${excerpt(location)}` : ''}, not followed: set PROMETHEUS_URL to the address it points to`);
  }
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return status >= 400
      ? failure('HTTPError', `HTTP ${status}: ${excerpt(body) || '(empty body)'}`)
      : failure('BadResponse', `the answer is not JSON: ${excerpt(body) || '(empty body)'}`);
  }
  if (!isObject(json)) return failure('BadResponse', 'the answer is not a JSON object');
  if (json.status === 'error') {
    return failure('QueryError', `${typeof json.errorType === 'string' ? `${json.errorType}: ` : ''}${excerpt(String(json.error ?? 'unknown error'))}`);
  }
  if (status >= 400) return failure('HTTPError', `HTTP ${status}: ${excerpt(body)}`);
  if (json.status !== 'success') return failure('BadResponse', `the answer's status is ${JSON.stringify(json.status)}, not "success"`);
  // A partial answer (a shard or a remote read missing) would silently forget dependencies.
  if (Array.isArray(json.warnings) && json.warnings.length > 0) return failure('Warnings', `the answer carries warnings: ${excerpt(json.warnings.map(String).join('; '))}`);
  const data = json.data;
  if (!isObject(data) || data.resultType !== 'vector' || !Array.isArray(data.result)) {
    const type = isObject(data) ? JSON.stringify(data.resultType) : 'none';
    return failure('BadResponse', `expected an instant vector, got result type ${type}`);
  }
  const series: Series[] = [];
  for (const [i, item] of data.result.entries()) {
    const s = sample(item);
    if (!s) return failure('BadResponse', `result[${i}] is not a sample with string labels and a [time, "value"] pair`);
    series.push(s);
  }
  return { ok: true, series };
}
