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

/**
 * The children every fence of the namespace asks for, fence by fence in the order given, once the
 * namespace has converged: each fence sees the others (docs/design.md §5.4) with the status their
 * first sync wrote, as Metacontroller would hand them over on the next one.
 */
export function renderNamespace(namespace: string, fences: FenceInput[], lazyloadConfigSpec: Record<string, unknown>): KObject[] {
  const lazyloadConfig: KObject = { apiVersion: 'microservice.slime.io/v1alpha1', kind: 'LazyloadConfig', metadata: { name: 'default' }, spec: lazyloadConfigSpec };
  const objects = fences.map((f) => fenceObject(namespace, f));
  const sync = (fence: KObject, related: KObject[]) =>
    renderFence(
      planFence({
        fence,
        services: [],
        fences: related,
        lazyloadConfig,
        isGlobalSidecarReady: () => true,
        sidecarApiVersion: 'networking.istio.io/v1',
        envoyFilterApiVersion: 'networking.istio.io/v1alpha3',
      }),
      { kind: 'unconfigured' },
      NOW,
    );
  const written = objects.map((fence) => ({ ...fence, status: sync(fence, objects).status }));
  return written.flatMap((fence) => sync(fence, written).children);
}
