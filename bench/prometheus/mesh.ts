// The simulated mesh: 1,000 fences, the istio_requests_total series their calls leave in Prometheus,
// and the sync request Metacontroller sends for each fence in its steady state.

import type { Sample } from '../../test/support/prometheus.js';

export const REFRESH_SECONDS = 5;
export const NAMESPACES = 20;
const APPS_PER_NAMESPACE = 50;
const DEPENDENCIES_PER_APP = 5;
/** Slime's per-fence handler, as its docs write it. */
const HANDLER_QUERY = 'sum(istio_requests_total{source_app="$source_app",source_workload_namespace="$namespace",reporter="destination"})by(destination_service)';

export type Mode = 'batched' | 'handler';

export interface Fence {
  namespace: string;
  app: string;
  dependencies: string[];
}

export const pad = (n: number) => String(n).padStart(2, '0');

/** 20 namespaces × 50 apps, each calling 5 services elsewhere in the mesh. */
export function fences(): Fence[] {
  const out: Fence[] = [];
  for (let a = 0; a < APPS_PER_NAMESPACE; a++) {
    for (let n = 0; n < NAMESPACES; n++) {
      const dependencies = Array.from({ length: DEPENDENCIES_PER_APP }, (_, k) => `app-${pad((a + 7 * k + 1) % APPS_PER_NAMESPACE)}.ns-${pad((n + k) % NAMESPACES)}.svc.cluster.local`);
      out.push({ namespace: `ns-${pad(n)}`, app: `app-${pad(a)}`, dependencies });
    }
  }
  return out; // interleaved by namespace, so the first 200 span every namespace
}

/** What Istio's destination sidecar reports for calls from `f` to `host` (response codes summed away by the query). */
export const callSample = (f: Fence, host: string, value: number): Sample => ({
  labels: { reporter: 'destination', source_workload_namespace: f.namespace, source_app: f.app, destination_service: host, response_code: '200' },
  value,
});

export const istioSeries = (all: Fence[]): Sample[] => all.flatMap((f, i) => f.dependencies.map((host, k) => callSample(f, host, 10 + ((i * 7 + k * 13) % 1000))));

const managedFields = (manager: string) => [
  { manager, operation: 'Update', apiVersion: 'v1', time: '2026-11-30T10:00:00Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } }, 'f:spec': { 'f:enable': {} } } },
];

function lazyloadConfig(mode: Mode) {
  const prometheus: Record<string, unknown> = { refreshSeconds: REFRESH_SECONDS };
  if (mode === 'handler') prometheus.handlers = { destination: { query: HANDLER_QUERY, type: 'Group' } };
  return {
    apiVersion: 'microservice.slime.io/v1alpha1',
    kind: 'LazyloadConfig',
    metadata: { name: 'default', resourceVersion: '1000' },
    spec: {
      wormholePort: ['9080'],
      metric: { prometheus },
      domainAliases: [{ pattern: '(?P<service>[^\\.]+)\\.(?P<namespace>[^\\.]+)\\.svc\\.cluster\\.local$', templates: ['$service.$namespace'] }],
    },
  };
}

/**
 * A fence as it has been since its dependencies were learned: them in the status, its Sidecar, its
 * Service and the LazyloadConfig, as `related` carries them.
 */
export function syncRequest(f: Fence, mode: Mode, index: number): Record<string, any> {
  const uid = `0d7f1f9e-0000-4000-8000-${String(index).padStart(12, '0')}`;
  const alias = (h: string) => h.split('.').slice(0, 2).join('.');
  const meta = { name: f.app, namespace: f.namespace, uid, resourceVersion: String(100_000 + index), generation: 2, creationTimestamp: '2026-11-01T00:00:00Z', labels: { app: f.app }, managedFields: managedFields('kubectl') };
  const sidecarHosts = ['istio-system/*', 'mesh-operator/*', ...f.dependencies.map((h) => `*/${h}`)].sort();
  const condition = (type: string, reason: string, message: string) => ({ type, status: 'True', reason, message, lastTransitionTime: '2026-11-30T10:00:00Z' });
  const status = {
    conditions: [
      condition('ConfigValid', 'Valid', 'spec is valid; settings from LazyloadConfig default'),
      condition('DependencySourceAvailable', 'Answered', 'every dependency source answered'),
      condition('ServiceFound', 'Found', `Service ${f.namespace}/${f.app}`),
    ],
    domains: Object.fromEntries(f.dependencies.map((h) => [h, { hosts: [h, alias(h)], status: 'ACTIVE' }])),
    metricStatus: Object.fromEntries(f.dependencies.map((h) => [`{destination_service="${h}"}`, '1'])),
    observedGeneration: 2,
  };
  const sidecar = {
    apiVersion: 'networking.istio.io/v1',
    kind: 'Sidecar',
    metadata: { name: f.app, namespace: f.namespace, uid: `${uid.slice(0, -1)}f`, resourceVersion: String(200_000 + index), labels: { 'controller-uid': uid }, ownerReferences: [{ apiVersion: 'microservice.slime.io/v1alpha1', kind: 'ServiceFence', name: f.app, uid, controller: true, blockOwnerDeletion: true }], managedFields: managedFields('metacontroller') },
    spec: { workloadSelector: { labels: { app: f.app } }, egress: [{ hosts: sidecarHosts }] },
  };
  const service = { apiVersion: 'v1', kind: 'Service', metadata: { name: f.app, namespace: f.namespace, labels: { app: f.app }, managedFields: managedFields('helm') }, spec: { selector: { app: f.app }, ports: [{ name: 'http', port: 9080, targetPort: 9080, protocol: 'TCP' }] } };
  return {
    controller: { apiVersion: 'metacontroller.k8s.io/v1alpha1', kind: 'CompositeController', metadata: { name: 'lazyload-servicefence' }, spec: { childResources: [{ apiVersion: 'networking.istio.io/v1', resource: 'sidecars' }] } },
    parent: { apiVersion: 'microservice.slime.io/v1alpha1', kind: 'ServiceFence', metadata: meta, spec: { enable: true, workloadSelector: { fromService: true } }, status },
    children: { 'Sidecar.networking.istio.io/v1': { [`${f.namespace}/${f.app}`]: sidecar }, 'EnvoyFilter.networking.istio.io/v1alpha3': {} },
    related: { 'Service.v1': { [`${f.namespace}/${f.app}`]: service }, 'LazyloadConfig.microservice.slime.io/v1alpha1': { default: lazyloadConfig(mode) } },
    finalizing: false,
  };
}
