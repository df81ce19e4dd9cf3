// From series to learned hosts. The batched answer is indexed once per refresh, so each of the
// thousands of syncs that share it takes its slice with two map lookups.

import { stripPort } from '../dependency.js';
import type { FenceSource } from '../dependency.js';
import { type Answer, type Failure, type Series, failure } from './answer.js';
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
const called = (s: Series): boolean => s.value > 0;

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

/** Series that all lack the labels we read mean a query we misread: never take that as "no calls". */
const unlabelled = (series: number, needs: string): Failure => failure('BadResponse', `none of the ${series} series carries ${needs}`);

export function indexBatch(answer: Answer): BatchIndex | Failure {
  if (!answer.ok) return answer;
  const index: BatchIndex = { byApp: new Map(), byFence: new Map(), series: answer.series.length };
  let usable = 0;
  for (const s of answer.series) {
    const host = hostOf(s.labels);
    const ns = s.labels[ISTIO_LABELS.namespace] ?? s.labels[FORWARDER_LABELS.namespace];
    const app = s.labels[ISTIO_LABELS.app];
    const fence = s.labels[FORWARDER_LABELS.fence];
    if (host === undefined || ns === undefined || (app === undefined && fence === undefined)) continue;
    usable++;
    if (!called(s)) continue;
    if (app !== undefined) add(index.byApp, keyOf(ns, app), host);
    else add(index.byFence, keyOf(ns, fence!), host);
  }
  if (index.series > 0 && usable === 0) return unlabelled(index.series, 'a source namespace, a source app or fence, and destination_service or request_host');
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
    if (called(s)) hosts.add(host);
  }
  // No series at all is judged by the caller, across every handler and the forwarder's slice.
  if (answer.series.length > 0 && usable === 0) return unlabelled(answer.series.length, 'destination_service or request_host');
  return hosts;
}
