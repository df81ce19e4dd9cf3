// Sync throughput over HTTP for a realistic request, against a floor measured in the same run: an
// endpoint on the same stack that only parses the same body and returns an equally large JSON.

import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { silentLogger } from '../src/log.js';
import { startServer } from '../src/cli/serve.js';
import { load } from './load.js';
import { fixed, median } from './stats.js';

const managedFields = (manager: string) =>
  Array.from({ length: 3 }, (_, i) => ({
    manager: `${manager}-${i}`,
    operation: 'Update',
    apiVersion: 'v1',
    time: '2026-11-30T10:00:00Z',
    fieldsType: 'FieldsV1',
    fieldsV1: { 'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } }, 'f:spec': { 'f:enable': {}, 'f:host': { '.': {} } } },
  }));

/**
 * A fence with 50 learned dependencies, managedFields, the Sidecar and EnvoyFilter it already has, and
 * a config with two wormhole ports and four dispatches (two of them templates), and a ready global sidecar.
 */
export function realisticRequest(): string {
  const hosts = Array.from({ length: 50 }, (_, i) => `svc-${String(i).padStart(2, '0')}.ns-${i % 7}.svc.cluster.local`);
  const metricStatus = Object.fromEntries(hosts.map((h) => [`{destination_service="${h}"}`, '1']));
  const domains = Object.fromEntries(hosts.map((h) => [h, { hosts: [h], status: 'ACTIVE' }]));
  const conditions = [{ type: 'ConfigValid', status: 'True', reason: 'Valid', message: 'spec is valid; settings from LazyloadConfig default', lastTransitionTime: '2026-11-30T10:00:00Z' }];
  const meta = { name: 'productpage', namespace: 'shop', uid: '0d7f1f9e-0000-4000-8000-000000000001', resourceVersion: '918273', generation: 4, creationTimestamp: '2026-11-01T00:00:00Z', labels: { app: 'productpage' }, managedFields: managedFields('kubectl') };
  const sidecarHosts = ['istio-system/*', 'mesh-operator/*', ...hosts.map((h) => `*/${h}`)].sort();
  const sidecar = {
    apiVersion: 'networking.istio.io/v1',
    kind: 'Sidecar',
    metadata: { name: 'productpage', namespace: 'shop', uid: '0d7f1f9e-0000-4000-8000-000000000002', resourceVersion: '918274', labels: { 'controller-uid': meta.uid }, annotations: { 'metacontroller.k8s.io/last-applied-configuration': JSON.stringify({ spec: { egress: [{ hosts: sidecarHosts }] } }) }, ownerReferences: [{ apiVersion: 'microservice.slime.io/v1alpha1', kind: 'ServiceFence', name: 'productpage', uid: meta.uid, controller: true, blockOwnerDeletion: true }], managedFields: managedFields('metacontroller') },
    spec: { workloadSelector: { labels: { app: 'productpage' } }, egress: [{ hosts: sidecarHosts }] },
  };
  const envoyFilter = { apiVersion: 'networking.istio.io/v1alpha3', kind: 'EnvoyFilter', metadata: { ...sidecar.metadata, name: 'productpage-to-global-sidecar', uid: '0d7f1f9e-0000-4000-8000-000000000003' }, spec: { workloadSelector: { labels: { app: 'productpage' } }, configPatches: [] } };
  const endpoints = {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: 'global-sidecar-7xk2p', namespace: 'mesh-operator', labels: { 'kubernetes.io/service-name': 'global-sidecar' } },
    addressType: 'IPv4',
    endpoints: [{ addresses: ['10.0.0.9'], conditions: { ready: true } }, { addresses: ['10.0.0.10'], conditions: { ready: true } }],
  };
  const service = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'productpage', namespace: 'shop', labels: { app: 'productpage' }, managedFields: managedFields('helm') }, spec: { selector: { app: 'productpage' }, ports: [{ name: 'http', port: 9080, targetPort: 9080, protocol: 'TCP' }] } };
  const dispatches = [
    { name: 'egress', domains: ['*.example.com', 'api.partner.net'], cluster: 'outbound|{{port}}||egress.{{values.egressNamespace}}.svc.cluster.local' },
    { name: 'by-namespace', domains: ['legacy.internal'], cluster: '{{#if (eq fence.namespace "shop")}}outbound|80||legacy.shop.svc.cluster.local{{else}}{{globalSidecar.cluster}}{{/if}}' },
    { domainRegex: '^(?:[0-9]{1,3}\\.){3}[0-9]{1,3}(?::[0-9]+)?$', cluster: 'PassthroughCluster' },
    { domainRegex: '^(?:[^.])+$', cluster: '_GLOBAL_SIDECAR' },
  ];
  const config = {
    apiVersion: 'microservice.slime.io/v1alpha1',
    kind: 'LazyloadConfig',
    metadata: { name: 'default' },
    spec: {
      wormholePort: ['9080', '15014'],
      dispatches,
      values: { egressNamespace: 'egress' },
      domainAliases: [{ pattern: '(?P<service>[^\\.]+)\\.(?P<namespace>[^\\.]+)\\.svc\\.cluster\\.local$', templates: ['$service.$namespace'] }],
    },
  };
  return JSON.stringify({
    controller: { apiVersion: 'metacontroller.k8s.io/v1alpha1', kind: 'CompositeController', metadata: { name: 'lazyload-servicefence' }, spec: { childResources: [{ apiVersion: 'networking.istio.io/v1', resource: 'sidecars' }] } },
    parent: { apiVersion: 'microservice.slime.io/v1alpha1', kind: 'ServiceFence', metadata: meta, spec: { enable: true, workloadSelector: { fromService: true } }, status: { domains, metricStatus, conditions, observedGeneration: 4 } },
    children: { 'Sidecar.networking.istio.io/v1': { 'shop/productpage': sidecar }, 'EnvoyFilter.networking.istio.io/v1alpha3': { 'shop/productpage-to-global-sidecar': envoyFilter } },
    related: {
      'Service.v1': { 'shop/productpage': service },
      'EndpointSlice.discovery.k8s.io/v1': { 'mesh-operator/global-sidecar-7xk2p': endpoints },
      'LazyloadConfig.microservice.slime.io/v1alpha1': { default: config },
    },
    finalizing: false,
  });
}

/**
 * The realistic request in a namespace of `size` fences and their Services (docs/design.md §5.4: every
 * sync carries the namespace's), each fence with 20 learned domains; productpage shares its pods with
 * productpage-headless, so it writes the Sidecar with that fence's hosts too.
 */
export function namespaceRequest(size: number): string {
  const req = JSON.parse(realisticRequest());
  const fences: Record<string, unknown> = {};
  const services: Record<string, unknown> = { ...req.related['Service.v1'] };
  for (let i = 0; i < size; i++) {
    const name = i === 0 ? 'productpage-headless' : `svc-${String(i).padStart(4, '0')}`;
    const app = i === 0 ? 'productpage' : name;
    const hosts = Array.from({ length: 20 }, (_, j) => `dep-${(i + j) % 500}.ns-${j % 7}.svc.cluster.local`);
    const status = { domains: Object.fromEntries(hosts.map((h) => [h, { hosts: [h], status: 'ACTIVE' }])), metricStatus: Object.fromEntries(hosts.map((h) => [`{destination_service="${h}"}`, '1'])) };
    fences[`shop/${name}`] = { apiVersion: 'microservice.slime.io/v1alpha1', kind: 'ServiceFence', metadata: { name, namespace: 'shop', uid: `u-${i}`, resourceVersion: String(1000 + i), labels: { 'app.kubernetes.io/created-by': 'fence-controller' } }, spec: { enable: true, workloadSelector: { fromService: true } }, status };
    services[`shop/${name}`] = { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'shop', labels: { app } }, spec: { selector: { app }, ports: [{ name: 'http', port: 9080, targetPort: 9080, protocol: 'TCP' }] } };
  }
  fences['shop/productpage'] = req.parent;
  req.related['Service.v1'] = services;
  req.related['ServiceFence.microservice.slime.io/v1alpha1'] = fences;
  return JSON.stringify(req);
}

export async function benchSync(opts: { requests: number; concurrency: number; rounds: number; body?: string }) {
  const body = opts.body ?? realisticRequest();
  const hook = await startServer({ port: 0, host: '127.0.0.1', logger: silentLogger });
  const sample = await (await fetch(`${hook.url}/servicefence/sync`, { method: 'POST', body })).text();
  const answer = JSON.parse(sample);
  // Measure the work we mean to: both children, every dispatch rendered, nothing rejected.
  if (answer.children?.length !== 2 || answer.status.conditions.some((c: any) => c.status !== 'True')) throw new Error(`unexpected sync answer: ${sample.slice(0, 500)}`);

  // The floor: same HTTP stack, parse the body, answer a JSON as large and as detailed as the sync's
  // (the fence's status and the observed Sidecar's spec, padded to the same byte count).
  const floorAnswer = (parsed: any) => {
    const sidecar = Object.values<any>(parsed.children['Sidecar.networking.istio.io/v1'])[0];
    const answer = { status: parsed.parent.status, children: [{ apiVersion: sidecar.apiVersion, kind: sidecar.kind, spec: sidecar.spec }], pad: '' };
    answer.pad = 'x'.repeat(Math.max(0, sample.length - JSON.stringify(answer).length));
    return answer;
  };
  const floorBytes = JSON.stringify(floorAnswer(JSON.parse(body))).length;
  const floorApp = new Hono().post('/floor', async (c) => {
    return c.body(JSON.stringify(floorAnswer(JSON.parse(await c.req.text()))), 200, { 'content-type': 'application/json' });
  });
  const floorServer = await new Promise<{ url: string; close: () => void }>((resolve) => {
    const s = serve({ fetch: floorApp.fetch, port: 0, hostname: '127.0.0.1' }, (info: AddressInfo) => resolve({ url: `http://127.0.0.1:${info.port}`, close: () => s.close() }));
  });

  const run = (url: string, path: string, requests: number) => load({ url, path, body, requests, concurrency: opts.concurrency });
  await run(hook.url, '/servicefence/sync', 500); // warm-up: JIT, connection pools
  await run(floorServer.url, '/floor', 500);
  const sync = [];
  const floor = [];
  for (let r = 0; r < opts.rounds; r++) {
    // Interleaved so that noise from the shared machine hits both alike.
    sync.push(await run(hook.url, '/servicefence/sync', opts.requests));
    floor.push(await run(floorServer.url, '/floor', opts.requests));
  }
  await hook.close();
  floorServer.close();
  const syncRate = median(sync.map((s) => s.perSecond));
  const floorRate = median(floor.map((s) => s.perSecond));
  return {
    requestBytes: body.length,
    responseBytes: sample.length,
    floorBytes,
    sync: { perSecond: syncRate, p50ms: median(sync.map((s) => s.p50ms)), p99ms: median(sync.map((s) => s.p99ms)) },
    floor: { perSecond: floorRate, p50ms: median(floor.map((s) => s.p50ms)), p99ms: median(floor.map((s) => s.p99ms)) },
    ratio: syncRate / floorRate,
  };
}

export async function printSync(): Promise<void> {
  const requests = Number(process.env.BENCH_REQUESTS ?? 3000);
  const s = await benchSync({ requests, concurrency: 8, rounds: 5 });
  console.log(`servicefence sync over HTTP (request ${s.requestBytes} B, response ${s.responseBytes} B, floor response ${s.floorBytes} B; ${requests} requests x 5 interleaved rounds, 8 connections, medians)`);
  console.log('| endpoint | req/s | p50 ms | p99 ms |');
  console.log('|---|---|---|---|');
  console.log(`| /servicefence/sync | ${fixed(s.sync.perSecond, 0)} | ${fixed(s.sync.p50ms, 2)} | ${fixed(s.sync.p99ms, 2)} |`);
  console.log(`| floor (parse + equal-size JSON) | ${fixed(s.floor.perSecond, 0)} | ${fixed(s.floor.p50ms, 2)} | ${fixed(s.floor.p99ms, 2)} |`);
  console.log(`ratio sync/floor: ${fixed(s.ratio, 2)} (target >= 0.6) ${s.ratio >= 0.6 ? 'OK' : 'BELOW TARGET'}`);

  const size = Number(process.env.BENCH_NAMESPACE_FENCES ?? 1000);
  const n = await benchSync({ requests: Math.max(100, Math.round(requests / 20)), concurrency: 8, rounds: 5, body: namespaceRequest(size) });
  console.log(`\nthe same sync in a namespace of ${size} fences and Services (request ${n.requestBytes} B, response ${n.responseBytes} B)`);
  console.log('| endpoint | req/s | p50 ms | p99 ms |');
  console.log('|---|---|---|---|');
  console.log(`| /servicefence/sync | ${fixed(n.sync.perSecond, 0)} | ${fixed(n.sync.p50ms, 2)} | ${fixed(n.sync.p99ms, 2)} |`);
  console.log(`| floor (parse + equal-size JSON) | ${fixed(n.floor.perSecond, 0)} | ${fixed(n.floor.p50ms, 2)} | ${fixed(n.floor.p99ms, 2)} |`);
  console.log(`ratio sync/floor: ${fixed(n.ratio, 2)} (target >= 0.6) ${n.ratio >= 0.6 ? 'OK' : 'BELOW TARGET'}`);
}
