// Freshness: from a new dependency's first appearance in Prometheus to the first sync answer whose
// Sidecar carries it, with fences resynced as Metacontroller does. Target: refreshSeconds + 1 s. For
// one fence alone, and in a mesh where every fence shares the hook's one cached batched answer, so
// that when a fence resyncs relative to the answer's refresh decides how stale its answer is.

import { setTimeout as sleep } from 'node:timers/promises';
import { type FakeExporter, type RunningPrometheus, type Sample, waitFor } from '../../test/support/prometheus.js';
import { median, quantile } from '../stats.js';
import { answerFrom, startHook } from './hook.js';
import { type Fence, NAMESPACES, REFRESH_SECONDS, callSample, pad } from './mesh.js';
import { ResyncLoops, type Sync } from './resync.js';

export interface Telemetry {
  prom: RunningPrometheus;
  exporter: FakeExporter;
  /** What the exporter serves when no new dependency is being added. */
  base: Sample[];
}

/**
 * Gives each fence `watched` (indexes into the loops' fences) a call to a new host named after
 * `tag`, and waits until Prometheus answers with all of them. `added` keeps the earlier runs' calls,
 * since a workload that made a call keeps its series.
 */
async function newDependencies(t: Telemetry, loops: ResyncLoops, added: Sample[], tag: string, watched: number[]): Promise<{ addedAt: number; inPrometheus: number }> {
  watched.forEach((i, k) => {
    const host = `fresh-${tag}-${k}.ns-${pad((k + 5) % NAMESPACES)}.svc.cluster.local`;
    loops.watch(i, host);
    added.push(callSample(loops.fences[i], host, 1));
  });
  const addedAt = performance.now();
  t.exporter.set('istio_requests_total', [...t.base, ...added]);
  const query = encodeURIComponent(`istio_requests_total{destination_service=~"fresh-${tag}-.*"}`);
  const inPrometheus = await loops.until(
    waitFor(
      `${tag}'s hosts in Prometheus`,
      async () => {
        const r: any = await (await fetch(`${t.prom.url}/api/v1/query?query=${query}`)).json();
        return r.data.result.length === watched.length ? performance.now() : undefined;
      },
      20_000,
      50,
    ),
  );
  return { addedAt, inPrometheus };
}

export interface FreshnessRun {
  /** When the series was added, seconds after a sync answer of the resync loop. */
  phaseSeconds: number;
  /** From adding the series to the exporter to Prometheus answering with it. */
  ingestSeconds: number;
  /** From Prometheus answering with it to the first sync answer whose Sidecar carries it. */
  delaySeconds: number;
}

/** Over every run: the syncs the loops sent, and the delay from Prometheus to the answer. */
interface Delays {
  syncs: number;
  failedSyncs: number;
  maxSeconds: number;
  medianSeconds: number;
}

export interface Freshness extends Delays {
  runs: FreshnessRun[];
}

/** One fence; its new dependencies appear at phases spread over its resync loop. */
export async function freshness(t: Telemetry, fence: Fence, reps: number): Promise<Freshness> {
  const hook = await startHook(t.prom.url);
  const loops = new ResyncLoops(hook.server.url, [fence]);
  const added: Sample[] = [];
  const runs: FreshnessRun[] = [];
  try {
    await loops.started();
    let lastAnswer = loops.lastAnswerAt;
    for (let i = 0; i < reps; i++) {
      // Phases 0, 1, … s after an answer: the new series lands at every point of the refresh window.
      // Each run ends on an answer (the one that carried the new host), the next starts from it.
      const phaseSeconds = (i * REFRESH_SECONDS) / reps;
      await sleep(Math.max(0, lastAnswer + phaseSeconds * 1000 - performance.now()));
      const { addedAt, inPrometheus } = await newDependencies(t, loops, added, `one-${i}`, [0]);
      const [seen] = await loops.seen([0]);
      runs.push({ phaseSeconds, ingestSeconds: (inPrometheus - addedAt) / 1000, delaySeconds: (seen.answeredAt - inPrometheus) / 1000 });
      lastAnswer = seen.answeredAt;
    }
  } finally {
    await loops.stop();
    await hook.close();
    t.exporter.set('istio_requests_total', t.base);
  }
  const delays = runs.map((r) => r.delaySeconds);
  return { runs, syncs: loops.syncs.length, failedSyncs: loops.failedSyncs, maxSeconds: Math.max(...delays), medianSeconds: median(delays) };
}

export interface MeshFreshness extends Delays {
  fences: number;
  watched: number;
  /** Per run and watched fence: from Prometheus answering with the new host to the fence's answer with it. */
  delays: number[][];
  /** Per run and watched fence: how old the answer that first carried the new host was (since its query was sent). */
  staleness: number[][];
  /** The worst case, which the watched fences may not have hit: see worstCase(). */
  worst: Worst;
  /** Syncs after every fence's first: how they bunch around refreshes, and what that costs. */
  steady: { syncs: number; busiestSecond: number; p50ms: number; p99ms: number; maxMs: number; resyncAfterSeconds: Map<number, number> };
}

/** The most syncs sent within any one second. */
function busiestSecond(syncs: Sync[]): number {
  const at = syncs.map((s) => s.sentAt).sort((a, b) => a - b);
  let most = 0;
  for (let i = 0, j = 0; j < at.length; j++) {
    while (at[j] - at[i] >= 1000) i++;
    most = Math.max(most, j - i + 1);
  }
  return most;
}

export interface Worst {
  seconds: number;
  /** Between successive refreshes' queries, s. */
  minIntervalSeconds: number;
  maxIntervalSeconds: number;
  /** From a refresh's query to the last fence's first answer from it (or a later one), s. */
  maxCoverageSeconds: number;
}

/**
 * A series that reaches Prometheus just after a refresh's query waits for the next refresh, then for
 * the last fence to sync on it: per refresh after the first, the interval from the one before plus
 * that refresh's coverage. Computed over every refresh of the run, not only when a series was added.
 */
function worstCase(refreshes: number[], syncs: Sync[], fences: number, answerOf: (s: Sync) => number): Worst {
  const byFence = Array.from({ length: fences }, (): { answeredAt: number; from: number }[] => []);
  for (const s of syncs) byFence[s.fence].push({ answeredAt: s.answeredAt, from: answerOf(s) });
  const coverage = (q: number) => {
    const firsts = byFence.map((own) => own.find((s) => s.from >= q));
    return firsts.every((s) => s !== undefined) ? Math.max(...firsts.map((s) => s!.answeredAt)) - q : undefined;
  };
  const intervals: number[] = [];
  const covered: number[] = [];
  for (let k = 1; k < refreshes.length; k++) {
    const c = coverage(refreshes[k]);
    if (c === undefined) break; // the loops stopped before every fence synced on it
    intervals.push(refreshes[k] - refreshes[k - 1]);
    covered.push(c);
  }
  return {
    seconds: Math.max(...intervals.map((d, k) => d + covered[k])) / 1000,
    minIntervalSeconds: Math.min(...intervals) / 1000,
    maxIntervalSeconds: Math.max(...intervals) / 1000,
    maxCoverageSeconds: Math.max(...covered) / 1000,
  };
}

/**
 * Every fence in its own resync loop; `watched` fences, spread over the loops, each get a new
 * dependency at once, at moments unrelated to the loops.
 */
export async function meshFreshness(t: Telemetry, all: Fence[], watched: number, reps: number): Promise<MeshFreshness> {
  const hook = await startHook(t.prom.url);
  const loops = new ResyncLoops(hook.server.url, all);
  const step = all.length / watched;
  const watchedIdx = Array.from({ length: watched }, (_, k) => Math.round(k * step + step / 2));
  const added: Sample[] = [];
  const delays: number[][] = [];
  const staleness: number[][] = [];
  let steadyFrom = Infinity;
  const answerOf = (s: Sync) => answerFrom(hook, `${all[s.fence].namespace}/${all[s.fence].app}`, s.n);
  try {
    await loops.started();
    steadyFrom = performance.now();
    // Moments unrelated to the loops' phases: fractions of a window after the last run ended.
    const offsets = [0.37, 0.81, 0.13, 0.59, 0.96];
    for (let r = 0; r < reps; r++) {
      await sleep(offsets[r % offsets.length] * REFRESH_SECONDS * 1000);
      const { inPrometheus } = await newDependencies(t, loops, added, `mesh-${r}`, watchedIdx);
      const seen = await loops.seen(watchedIdx);
      delays.push(seen.map((s) => (s.answeredAt - inPrometheus) / 1000));
      staleness.push(seen.map((s) => (s.answeredAt - answerOf(s)) / 1000));
    }
  } finally {
    await loops.stop();
    await hook.close();
    t.exporter.set('istio_requests_total', t.base);
  }
  const flat = delays.flat();
  const steady = loops.syncs.filter((s) => s.sentAt >= steadyFrom);
  const ms = steady.map((s) => s.answeredAt - s.sentAt);
  const resyncAfterSeconds = new Map<number, number>();
  for (const s of steady) resyncAfterSeconds.set(s.resyncAfterSeconds, (resyncAfterSeconds.get(s.resyncAfterSeconds) ?? 0) + 1);
  return {
    fences: all.length,
    watched,
    delays,
    staleness,
    syncs: loops.syncs.length,
    failedSyncs: loops.failedSyncs,
    maxSeconds: Math.max(...flat),
    medianSeconds: median(flat),
    worst: worstCase(hook.queriesSent.filter((q) => q >= steadyFrom), steady, all.length, answerOf),
    steady: { syncs: steady.length, busiestSecond: busiestSecond(steady), p50ms: quantile(ms, 0.5), p99ms: quantile(ms, 0.99), maxMs: Math.max(...ms), resyncAfterSeconds },
  };
}
