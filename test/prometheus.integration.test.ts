// The learning loop against a real Prometheus (Debian's package): a fake Istio exporter on loopback
// is scraped every second, and the hook server answers /servicefence/sync over HTTP, carrying each
// answer's status into the next request as Metacontroller does.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../src/cli/serve.js';
import { type FenceRequestOptions, condition, fenceSyncRequest, sidecarHosts } from './support/fence-request.js';
import {
  type FakeExporter,
  type LearningHooks,
  type RunningPrometheus,
  type Sample,
  startExporter,
  startLearningHooks,
  startPrometheus,
  waitFor,
} from './support/prometheus.js';

const svc = (name: string) => `${name}.default.svc.cluster.local`;
const calls = (app: string, to: string, perScrape = 1): Sample => ({
  labels: { reporter: 'destination', source_workload_namespace: 'default', source_app: app, destination_service: svc(to) },
  value: 1,
  perScrape,
});

let exporter: FakeExporter;
let prometheus: RunningPrometheus;
let learning: LearningHooks;
let hooks: RunningServer;
const series: Sample[] = [];
const publish = () => exporter.set('istio_requests_total', series);

beforeAll(async () => {
  exporter = await startExporter();
  series.push(calls('web', 'reviews'));
  publish();
  prometheus = await startPrometheus({ targets: [exporter.target] });
  learning = await startLearningHooks(prometheus.url);
  hooks = learning.hooks;
}, 30_000);

afterAll(async () => {
  await learning?.close();
  await prometheus?.dispose();
  await exporter?.close();
});

async function sync(opts: FenceRequestOptions): Promise<any> {
  const res = await fetch(`${hooks.url}/servicefence/sync`, { method: 'POST', body: JSON.stringify(fenceSyncRequest(opts)) });
  expect(res.status).toBe(200);
  return res.json();
}

/** A fence Metacontroller keeps syncing: each answer's status goes into the next request. */
function fence(name: string, prometheusConfig: Record<string, unknown>) {
  let status: Record<string, unknown> | undefined;
  const once = async () => {
    const answer = await sync({ name, status, prometheus: prometheusConfig });
    status = answer.status;
    return answer;
  };
  return {
    once,
    until: (what: string, ok: (answer: any) => boolean, timeoutMs = 25_000) =>
      waitFor(what, async () => {
        const answer = await once();
        return ok(answer) ? answer : undefined;
      }, timeoutMs, 200),
  };
}

const domainState = (answer: any, name: string) => answer.status.domains?.[svc(name)]?.status;
const ourQueries = async () => {
  const text = await (await fetch(`${hooks.url}/metrics`)).text();
  return [...text.matchAll(/^lazyload_prometheus_queries_total\{mode="batched",outcome="ok"\} (\d+)$/gm)].reduce((n, m) => n + Number(m[1]), 0);
};

describe('learning from a real Prometheus', () => {
  const web = fence('web', { refreshSeconds: 1 });

  it('puts a dependency the exporter reports into the Sidecar', async () => {
    const answer = await web.until('web to learn reviews', (a) => sidecarHosts(a)?.includes(`*/${svc('reviews')}`) ?? false);
    expect(answer.status.metricStatus).toEqual({ [`{destination_service="${svc('reviews')}"}`]: '1' });
    expect(condition(answer, 'DependencySourceAvailable')).toMatchObject({ status: 'True' });
    expect(answer.resyncAfterSeconds).toBe(1);
  });

  it('moves a dependency no longer called within the window to EXPIREWAIT, then drops it on the next change', async () => {
    const shop = fence('shop', { refreshSeconds: 1, window: '4s' });
    const pay = calls('shop', 'pay');
    series.push(calls('shop', 'cart'), pay);
    publish();
    await shop.until('shop to learn cart and pay', (a) => domainState(a, 'cart') === 'ACTIVE' && domainState(a, 'pay') === 'ACTIVE');

    series.splice(series.indexOf(pay), 1); // the exporter stops reporting it
    publish();
    const waiting = await shop.until('pay to go EXPIREWAIT', (a) => domainState(a, 'pay') === 'EXPIREWAIT');
    expect(sidecarHosts(waiting)).toContain(`*/${svc('pay')}`);
    expect(waiting.status.metricStatus).toEqual({ [`{destination_service="${svc('cart')}"}`]: '1' });
    await new Promise((r) => setTimeout(r, 1_100)); // past the refresh interval: a fresh answer, same set
    expect(domainState(await shop.once(), 'pay')).toBe('EXPIREWAIT');

    series.push(calls('shop', 'ship'));
    publish();
    const changed = await shop.until('shop to learn ship', (a) => domainState(a, 'ship') === 'ACTIVE');
    expect(domainState(changed, 'pay')).toBeUndefined();
    expect(sidecarHosts(changed)).not.toContain(`*/${svc('pay')}`);
  });

  it('sends one query for 200 fences syncing together', async () => {
    // A refresh interval of its own (window 1m: a query no other test sends), long enough for both rounds.
    const config = { refreshSeconds: 60, window: '1m' };
    const before = { ours: await ourQueries(), prometheus: await prometheus.evaluatedQueries() };
    const round = () => Promise.all(Array.from({ length: 200 }, (_, i) => sync({ name: `fence-${i}`, labels: { app: i === 0 ? 'web' : `app-${i}` }, prometheus: config })));
    const first = await round();
    await round();
    expect((await ourQueries()) - before.ours).toBe(1);
    expect((await prometheus.evaluatedQueries()) - before.prometheus).toBe(1);
    expect(sidecarHosts(first[0])).toContain(`*/${svc('reviews')}`);
  });

  it('keeps the Sidecar unchanged while Prometheus is down, and says so until it is back', async () => {
    const before = await web.once();
    await prometheus.stop();
    const down = await web.until('the source to be reported unavailable', (a) => condition(a, 'DependencySourceAvailable')?.status === 'False');
    expect(condition(down, 'DependencySourceAvailable')).toMatchObject({ reason: 'PrometheusUnreachable', message: expect.stringContaining('ECONNREFUSED') });
    expect(sidecarHosts(down)).toEqual(sidecarHosts(before));
    expect(down.status.metricStatus).toEqual(before.status.metricStatus);
    expect(down.status.domains).toEqual(before.status.domains);

    await prometheus.restart();
    const back = await web.until('the source to be available again', (a) => condition(a, 'DependencySourceAvailable')?.status === 'True');
    expect(sidecarHosts(back)).toEqual(sidecarHosts(before));
  });
});
