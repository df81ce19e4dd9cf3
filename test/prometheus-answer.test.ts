// Decoding Prometheus's answers and slicing them per fence: only a clean vector counts as an answer.
import { describe, expect, it } from 'vitest';
import { decodeAnswer } from '../src/prometheus/answer.js';
import { hostsOf, indexBatch, sliceOf } from '../src/prometheus/series.js';

const vector = (result: unknown[], extra: Record<string, unknown> = {}) => ({ status: 200, body: JSON.stringify({ status: 'success', data: { resultType: 'vector', result }, ...extra }) });
const row = (metric: Record<string, string>, value = '3') => ({ metric, value: [1767225600, value] });
const istio = (ns: string, app: string, host: string, value?: string) => row({ source_workload_namespace: ns, source_app: app, destination_service: host }, value);
const web = { namespace: 'default', app: 'web', fence: 'web-fence' };

describe('decoding an instant query answer', () => {
  it('reads every sample of a vector with its labels and numeric value', () => {
    expect(decodeAnswer(vector([row({ destination_service: 'a' }, '2.5'), row({ destination_service: 'b' }, '+Inf')]))).toEqual({
      ok: true,
      series: [
        { labels: { destination_service: 'a' }, value: 2.5 },
        { labels: { destination_service: 'b' }, value: Infinity },
      ],
    });
  });

  it('report Prometheus query errors with their type and message', () => {
    const body = JSON.stringify({ status: 'error', errorType: 'bad_data', error: 'invalid parameter "query": 1:5: parse error' });
    expect(decodeAnswer({ status: 400, body })).toEqual({ ok: false, reason: 'QueryError', message: 'bad_data: invalid parameter "query": 1:5: parse error' });
  });

  it('report an HTTP error with the first line of a non-JSON body', () => {
    expect(decodeAnswer({ status: 503, body: 'Service Unavailable\n<html>…' })).toEqual({ ok: false, reason: 'HTTPError', message: 'HTTP 503: Service Unavailable' });
  });

  it('report a redirect, whatever its body, as not followed', () => {
    expect(decodeAnswer({ status: 302, body: '{"status":"success"}', location: '/graph' })).toEqual({
      ok: false,
      reason: 'HTTPError',
      message: 'HTTP 302: a redirect to /graph, not followed: set PROMETHEUS_URL to the address it points to',
    });
  });

  it('treat a 2xx that is not JSON as a bad response', () => {
    expect(decodeAnswer({ status: 200, body: '{"status":"succ' })).toMatchObject({ ok: false, reason: 'BadResponse' });
  });

  it('refuse an answer with warnings, which may be partial', () => {
    expect(decodeAnswer(vector([], { warnings: ['remote read of store x failed'] }))).toEqual({ ok: false, reason: 'Warnings', message: 'the answer carries warnings: remote read of store x failed' });
  });

  it('refuse any result type but an instant vector', () => {
    const matrix = { status: 200, body: JSON.stringify({ status: 'success', data: { resultType: 'matrix', result: [] } }) };
    expect(decodeAnswer(matrix)).toEqual({ ok: false, reason: 'BadResponse', message: 'expected an instant vector, got result type "matrix"' });
  });

  it('refuse a vector with a malformed sample, naming it', () => {
    expect(decodeAnswer(vector([row({ a: 'b' }), { metric: { a: 1 }, value: [0, '1'] }]))).toMatchObject({ reason: 'BadResponse', message: expect.stringContaining('result[1]') });
  });
});

describe('the batched answer, sliced per fence', () => {
  it('gives a fence the hosts its workload called, by namespace and app', () => {
    const index = indexBatch(decodeAnswer(vector([istio('default', 'web', 'a'), istio('other', 'web', 'b'), istio('default', 'api', 'c')])));
    expect(sliceOf(index as any, web)).toEqual(new Set(['a']));
  });

  it('adds what the forwarder saw the fence call', () => {
    const fwd = row({ source_namespace: 'default', source_fence: 'web-fence', destination_service: 'd' });
    const index = indexBatch(decodeAnswer(vector([istio('default', 'web', 'a'), fwd])));
    expect(sliceOf(index as any, web)).toEqual(new Set(['a', 'd']));
  });

  it('strips ports and reads request_host when destination_service is absent', () => {
    const rh = row({ source_workload_namespace: 'default', source_app: 'web', request_host: 'b.example.com:8443' });
    const index = indexBatch(decodeAnswer(vector([istio('default', 'web', 'a.default.svc.cluster.local:9080'), rh])));
    expect(sliceOf(index as any, web)).toEqual(new Set(['a.default.svc.cluster.local', 'b.example.com']));
  });

  it('does not count a series whose count is zero or NaN as a call', () => {
    const index = indexBatch(decodeAnswer(vector([istio('default', 'web', 'a', '0'), istio('default', 'web', 'b', 'NaN'), istio('default', 'web', 'c', '0.3')])));
    expect(sliceOf(index as any, web)).toEqual(new Set(['c']));
  });

  it('refuses an answer none of whose series carries the labels we slice by', () => {
    expect(indexBatch(decodeAnswer(vector([row({ destination_service: 'a' })])))).toMatchObject({ ok: false, reason: 'BadResponse' });
  });

  it("refuses a query that grouped Istio's labels away, even beside the forwarder's series", () => {
    const fwd = row({ source_namespace: 'default', source_fence: 'web-fence', destination_service: 'd' });
    expect(indexBatch(decodeAnswer(vector([row({ destination_service: 'a' }), fwd])))).toEqual({
      ok: false,
      reason: 'BadResponse',
      message: '1 series lack the labels read: source_workload_namespace and source_app (or source_namespace and source_fence) with destination_service (or request_host)',
    });
  });

  it('tolerates a few rows without some label beside well-formed ones', () => {
    const index = indexBatch(decodeAnswer(vector([istio('default', 'web', 'a'), row({ source_app: 'web', destination_service: 'b' })])));
    expect(sliceOf(index as any, web)).toEqual(new Set(['a']));
  });

  it('accepts an answer holding only forwarder series (a mesh without Istio telemetry)', () => {
    const fwd = row({ source_namespace: 'default', source_fence: 'web-fence', destination_service: 'd' });
    expect(sliceOf(indexBatch(decodeAnswer(vector([fwd]))) as any, web)).toEqual(new Set(['d']));
  });

  it('passes a failed answer through unchanged', () => {
    const failed = { ok: false as const, reason: 'Timeout' as const, message: 'no answer within 2 s' };
    expect(indexBatch(failed)).toBe(failed);
  });
});

describe('a handler answer', () => {
  it('gives the hosts of every called series', () => {
    expect(hostsOf(decodeAnswer(vector([row({ destination_service: 'a:80' }), row({ destination_service: 'b' }, '0')])))).toEqual(new Set(['a']));
  });

  it('refuses series that name no host', () => {
    expect(hostsOf(decodeAnswer(vector([row({ source_app: 'x' })])))).toMatchObject({ ok: false, reason: 'BadResponse' });
  });
});
