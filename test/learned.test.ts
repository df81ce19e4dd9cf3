// Learned dependencies through the core (docs/design.md §5.1): they replace metricStatus when every source
// answers, survive a failing source, and expire through a grace period that only a change moves on.
import { describe, expect, it } from 'vitest';
import type { Learned } from '../src/core/dependency.js';
import type { KObject } from '../src/protocol/metacontroller.js';
import { planFence, renderFence } from '../src/core/servicefence.js';

const NOW = new Date('2026-01-01T00:00:00Z');
const key = (h: string) => `{destination_service="${h}"}`;
const A = 'a.default.svc.cluster.local';
const B = 'b.default.svc.cluster.local';
const C = 'c.default.svc.cluster.local';

type Status = Record<string, any>;
function sync(status: Status, learned: Learned, spec: Record<string, unknown> = { enable: true }) {
  const fence: KObject = { apiVersion: 'microservice.slime.io/v1alpha1', kind: 'ServiceFence', metadata: { name: 'web', namespace: 'default' }, spec, status };
  const plan = planFence({ fence, services: [], sidecarApiVersion: 'networking.istio.io/v1', envoyFilterApiVersion: 'networking.istio.io/v1alpha3', isGlobalSidecarReady: () => true });
  const out = renderFence(plan, learned, NOW);
  return { status: out.status as Status, hosts: (out.children[0]?.spec as any)?.egress[0].hosts as string[], resync: out.resyncAfterSeconds };
}
const answered = (...hosts: string[]): Learned => ({ kind: 'answered', hosts });
const state = (s: Status) => Object.fromEntries(Object.entries<any>(s.domains ?? {}).map(([k, d]) => [k, d.status]));

describe('learned dependencies', () => {
  it('replace metricStatus with exactly the answered set, presence only', () => {
    const { status } = sync({ metricStatus: { [key(A)]: '12' } }, answered(B, C));
    expect(status.metricStatus).toEqual({ [key(B)]: '1', [key(C)]: '1' });
    expect(state(status)).toEqual({ [B]: 'ACTIVE', [C]: 'ACTIVE' });
  });

  it('turn a vanished ACTIVE domain EXPIREWAIT and keep it in the Sidecar when the set changes', () => {
    const first = sync({}, answered(A, B));
    const second = sync(first.status, answered(A));
    expect(state(second.status)).toEqual({ [A]: 'ACTIVE', [B]: 'EXPIREWAIT' });
    expect(second.hosts).toContain(`*/${B}`);
  });

  it('keep EXPIREWAIT domains while the learned set stays the same', () => {
    const waiting = sync(sync({}, answered(A, B)).status, answered(A));
    const again = sync(waiting.status, answered(A));
    expect(state(again.status)).toEqual({ [A]: 'ACTIVE', [B]: 'EXPIREWAIT' });
  });

  it('drop EXPIREWAIT domains on the next change of the learned set', () => {
    const waiting = sync(sync({}, answered(A, B)).status, answered(A));
    const changed = sync(waiting.status, answered(A, C));
    expect(state(changed.status)).toEqual({ [A]: 'ACTIVE', [C]: 'ACTIVE' });
    expect(changed.hosts).not.toContain(`*/${B}`);
  });

  it('revive an EXPIREWAIT domain that is called again', () => {
    const waiting = sync(sync({}, answered(A, B)).status, answered(A));
    expect(state(sync(waiting.status, answered(A, B)).status)).toEqual({ [A]: 'ACTIVE', [B]: 'ACTIVE' });
  });

  it('keep metricStatus and the Sidecar exactly as they were when a source fails', () => {
    const before = sync({}, answered(A, B));
    const failed = sync(before.status, { kind: 'failed', reason: 'PrometheusUnreachable', message: 'connect ECONNREFUSED' });
    expect(failed.status.metricStatus).toEqual(before.status.metricStatus);
    expect(failed.status.domains).toEqual(before.status.domains);
    expect(failed.hosts).toEqual(before.hosts);
    expect(failed.status.conditions.find((c: any) => c.type === 'DependencySourceAvailable')).toMatchObject({ status: 'False', reason: 'PrometheusUnreachable' });
  });

  it('report the source available again once it answers', () => {
    const failed = sync({}, { kind: 'failed', reason: 'Timeout', message: 'no answer in 2 s' });
    const recovered = sync(failed.status, answered(A));
    expect(recovered.status.conditions.find((c: any) => c.type === 'DependencySourceAvailable')).toMatchObject({ status: 'True', lastTransitionTime: '2026-01-01T00:00:00Z' });
  });

  it('resync every refresh interval while a source is configured', () => {
    expect(sync({}, answered(A)).resync).toBe(15);
    expect(sync({}, { kind: 'unconfigured' }).resync).toBeUndefined();
  });

  it('resync when the answer the source used expires, when the source says', () => {
    expect(sync({}, { kind: 'answered', hosts: [A], refreshInSeconds: 7 }).resync).toBe(7);
    expect(sync({}, { kind: 'failed', reason: 'PrometheusTimeout', message: 'no answer', refreshInSeconds: 3 }).resync).toBe(3);
  });

  it('resync at the next deadline when it comes before the refresh', () => {
    const spec = { enable: true, host: { [C]: { deadline: { expire: { seconds: NOW.getTime() / 1000 + 4 } } } } };
    expect(sync({}, answered(A), spec).resync).toBe(5);
    expect(sync({}, { kind: 'unconfigured' }, spec).resync).toBe(5);
  });

  it('drop a spec domain at once when the spec drops it', () => {
    const withSpec = sync({}, { kind: 'unconfigured' }, { enable: true, host: { [C]: {} } });
    expect(state(sync(withSpec.status, { kind: 'unconfigured' }).status)).toEqual({});
  });
});
