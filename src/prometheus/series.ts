// From series to learned hosts. The batched answer is indexed once per refresh, so each of the
// thousands of syncs that share it takes its slice with two map lookups.

import { type FenceSource, stripPort } from '../core/dependency.js';
import { type Answer, type Failure, failure } from './answer.js';
import { FORWARDER_LABELS, HOST_LABELS, ISTIO_LABELS } from './promql.js';

/** The host a series names, without its port; undefined when it names none. */
export function hostOf(labels: Record<string, string>): string | undefined {
  for (const name of HOST_LABELS) {
    const v = labels[name];
    if (v) return stripPort(v);
  }
  return undefined;
}

/** Only a positive count is a call: `increase` over a quiet window answers 0. */
const called = (value: number): boolean => value > 0;

/** Hosts the batched answer holds, by `namespace\0app` (Istio) and `namespace\0fence` (forwarder). */
export interface BatchIndex {
  byApp: Map<string, Set<string>>;
  byFence: Map<string, Set<string>>;
  /** How many series the answer held, usable or not. */
  series: number;
}

const keyOf = (namespace: string, name: string): string => `${namespace}\0${name}`;

function add(index: Map<string, Set<string>>, key: string, host: string): void {
  const hosts = index.get(key);
  if (hosts) hosts.add(host);
  else index.set(key, new Set([host]));
}

/** Series without the labels we read mean a query we misread: never take that as "no calls". */
const unlabelled = (series: number, needs: string): Failure => failure('BadResponse', `${series} series lack the labels read: ${needs}`);

export function indexBatch(answer: Answer): BatchIndex | Failure {
  if (!answer.ok) return answer;
  const index: BatchIndex = { byApp: new Map(), byFence: new Map(), series: answer.series.length };
  let istio = 0;
  let forwarder = 0;
  for (const { labels, value } of answer.series) {
    const host = hostOf(labels);
    const [ns, app] = [labels[ISTIO_LABELS.namespace], labels[ISTIO_LABELS.app]];
    const [fns, fence] = [labels[FORWARDER_LABELS.namespace], labels[FORWARDER_LABELS.fence]];
    if (host !== undefined && ns !== undefined && app !== undefined) {
      istio++;
      if (called(value)) add(index.byApp, keyOf(ns, app), host);
    } else if (host !== undefined && fns !== undefined && fence !== undefined) {
      forwarder++;
      if (called(value)) add(index.byFence, keyOf(fns, fence), host);
    }
  }
  // A few rows without some label are normal (Prometheus omits empty labels). But when no row has
  // Istio's shape while some row has no shape at all, the query is not what we read (a custom query
  // that groups the labels away): taking that as "no Istio calls" would expire every fence's set.
  const unusable = index.series - istio - forwarder;
  if (istio === 0 && unusable > 0) return unlabelled(unusable, 'source_workload_namespace and source_app (or source_namespace and source_fence) with destination_service (or request_host)');
  return index;
}

/** The hosts a fence's workload called, according to the batched answer. */
export function sliceOf(index: BatchIndex, source: FenceSource): Set<string> {
  const hosts = new Set(index.byApp.get(keyOf(source.namespace, source.app)));
  for (const h of index.byFence.get(keyOf(source.namespace, source.fence)) ?? []) hosts.add(h);
  return hosts;
}

/** Hosts of a per-fence (handler) answer: every series that names a host and was called. */
export function hostsOf(answer: Answer): Set<string> | Failure {
  if (!answer.ok) return answer;
  const hosts = new Set<string>();
  let usable = 0;
  for (const s of answer.series) {
    const host = hostOf(s.labels);
    if (host === undefined) continue;
    usable++;
    if (called(s.value)) hosts.add(host);
  }
  // No series at all is judged by the caller, across every handler and the forwarder's slice.
  if (answer.series.length > 0 && usable === 0) return unlabelled(answer.series.length, 'destination_service (or request_host)');
  return hosts;
}
