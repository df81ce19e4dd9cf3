// Metacontroller sync requests for a ServiceFence, as the hook server receives them.

export interface FenceRequestOptions {
  name: string;
  namespace?: string;
  /** The fence's workload labels; the `app` label is what Istio reports as source_app. */
  labels?: Record<string, string>;
  status?: Record<string, unknown>;
  /** `spec.metric.prometheus` of the LazyloadConfig `default`. */
  prometheus?: Record<string, unknown>;
}

export function fenceSyncRequest(o: FenceRequestOptions) {
  const namespace = o.namespace ?? 'default';
  return {
    controller: { apiVersion: 'metacontroller.k8s.io/v1alpha1', kind: 'CompositeController', metadata: { name: 'lazyload-servicefence' }, spec: {} },
    parent: {
      apiVersion: 'microservice.slime.io/v1alpha1',
      kind: 'ServiceFence',
      metadata: { name: o.name, namespace },
      spec: { enable: true, workloadSelector: { labels: o.labels ?? { app: o.name } } },
      ...(o.status ? { status: o.status } : {}),
    },
    children: {},
    related: {
      'LazyloadConfig.microservice.slime.io/v1alpha1': {
        default: { apiVersion: 'microservice.slime.io/v1alpha1', kind: 'LazyloadConfig', metadata: { name: 'default' }, spec: { metric: { prometheus: o.prometheus ?? {} } } },
      },
    },
    finalizing: false,
  };
}

/** The egress hosts of the Sidecar in a sync answer (undefined when there is none). */
export const sidecarHosts = (answer: any): string[] | undefined => answer.children?.find((c: any) => c.kind === 'Sidecar')?.spec.egress[0].hosts;

export const condition = (answer: any, type: string) => answer.status?.conditions?.find((c: any) => c.type === type);
