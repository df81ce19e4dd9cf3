// A namespace of ServiceFences rendered through the real core (planFence, renderFence), as the hook
// would answer each one with no dependency source and a ready global sidecar: the children they
// all ask for, which together are what istiod sees for the namespace.

import { type KObject } from '../../src/protocol/metacontroller.js';
import { planFence, renderFence } from '../../src/core/servicefence.js';

export interface FenceInput {
  name: string;
  /** The workload selector; fences of one namespace may share one. */
  labels: Record<string, string>;
  /** `spec.host` keys (stable hosts, or `<ns>/*`). */
  hosts: string[];
}

export const NOW = new Date('2026-01-01T00:00:00Z');

export function fenceObject(namespace: string, f: FenceInput): KObject {
  const host = Object.fromEntries(f.hosts.map((h) => [h, { stable: {} }]));
  return {
    apiVersion: 'microservice.slime.io/v1alpha1',
    kind: 'ServiceFence',
    metadata: { name: f.name, namespace },
    spec: { enable: true, host, workloadSelector: { labels: f.labels } },
  };
}

/** The children every fence of the namespace asks for, fence by fence in the order given. */
export function renderNamespace(namespace: string, fences: FenceInput[], lazyloadConfigSpec: Record<string, unknown>): KObject[] {
  const lazyloadConfig: KObject = { apiVersion: 'microservice.slime.io/v1alpha1', kind: 'LazyloadConfig', metadata: { name: 'default' }, spec: lazyloadConfigSpec };
  return fences.flatMap((f) => {
    const plan = planFence({
      fence: fenceObject(namespace, f),
      services: [],
      lazyloadConfig,
      isGlobalSidecarReady: () => true,
      sidecarApiVersion: 'networking.istio.io/v1',
      envoyFilterApiVersion: 'networking.istio.io/v1alpha3',
    });
    return renderFence(plan, { kind: 'unconfigured' }, NOW).children;
  });
}
