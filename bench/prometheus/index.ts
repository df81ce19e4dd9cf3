// The Prometheus dependency source against a real Prometheus (test/support/prometheus.ts) and the real
// hook server over HTTP: queries per refresh window and sync latency (windows.ts), and how soon a new
// dependency reaches a fence's Sidecar (freshness.ts). Prints tables to paste into BENCHMARKS.md.

import { startExporter, startPrometheus, waitFor } from '../../test/support/prometheus.js';
import { LoadClient } from '../load.js';
import { fixed, median } from '../stats.js';
import { type Freshness, type MeshFreshness, freshness, meshFreshness } from './freshness.js';
import { REFRESH_SECONDS, fences, istioSeries } from './mesh.js';
import { type WindowResult, windows } from './windows.js';

export interface PrometheusBench {
  prometheusVersion: string;
  series: number;
  concurrency: number;
  windows: WindowResult[];
  freshness: Freshness;
  mesh: MeshFreshness;
  setupSeconds: number;
}

export async function benchPrometheus(opts: { concurrency: number; freshnessReps: number; meshWatched: number; meshReps: number }): Promise<PrometheusBench> {
  const t0 = performance.now();
  const all = fences();
  const base = istioSeries(all);
  const exporter = await startExporter();
  exporter.set('istio_requests_total', base);
  const prom = await startPrometheus({ targets: [exporter.target] });
  const client = new LoadClient();
  try {
    const buildInfo: any = await (await fetch(`${prom.url}/api/v1/status/buildinfo`)).json();
    await waitFor(
      `Prometheus to scrape ${base.length} series`,
      async () => {
        const r: any = await (await fetch(`${prom.url}/api/v1/query?query=count(istio_requests_total)`)).json();
        return Number(r.data.result[0]?.value[1]) === base.length ? true : undefined;
      },
      60_000,
      200,
    );
    const setupSeconds = (performance.now() - t0) / 1000;

    // Warm-up (not reported): JIT for both code paths, connection pools, Prometheus's caches.
    await windows(prom, client, all, 'batched', all.length, 1, opts.concurrency);
    await windows(prom, client, all, 'handler', 200, 1, opts.concurrency);

    const results: WindowResult[] = [];
    results.push(await windows(prom, client, all, 'batched', 200, 2, opts.concurrency));
    results.push(await windows(prom, client, all, 'batched', all.length, 2, opts.concurrency));
    results.push(await windows(prom, client, all, 'handler', all.length, 2, opts.concurrency));

    const telemetry = { prom, exporter, base };
    return {
      prometheusVersion: buildInfo.data.version,
      series: base.length,
      concurrency: opts.concurrency,
      windows: results,
      freshness: await freshness(telemetry, all[0], opts.freshnessReps),
      mesh: await meshFreshness(telemetry, all, opts.meshWatched, opts.meshReps),
      setupSeconds,
    };
  } finally {
    await client.close();
    await prom.dispose();
    await exporter.close();
  }
}

const spread = (xs: number[]) => `${fixed(Math.min(...xs), 2)} / ${fixed(median(xs), 2)} / ${fixed(Math.max(...xs), 2)}`;

export async function printPrometheus(): Promise<void> {
  const p = await benchPrometheus({ concurrency: 32, freshnessReps: 5, meshWatched: 10, meshReps: 3 });
  console.log(
    `Prometheus dependency source (Prometheus ${p.prometheusVersion}, ${p.series} istio_requests_total series; refreshSeconds ${REFRESH_SECONDS}; ` +
      `${p.concurrency} syncs in flight; 2 passes over the fences, one per refresh window; setup ${fixed(p.setupSeconds)} s)`,
  );
  console.log('| mode | fences | pass s | queries/window (ours, by mode) | Prometheus evaluated | mean query ms | syncs/s | p50 ms | p99 ms | max ms | syncs that waited for a query | their wait in the source median / max ms | their p50 ms | p50 / p99 ms of the others |');
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const w of p.windows) {
    const byMode = [...w.queries].map(([k, v]) => `${k} ${v / w.passes}`).join(', ');
    console.log(
      `| ${w.mode} | ${w.fences} | ${w.passSeconds.map((s) => fixed(s, 2)).join(', ')} | **${w.queriesPerWindow}** (${byMode}) | ${w.prometheusEvaluated / w.passes} | ${fixed(w.meanQueryMs)} | ${fixed(w.syncsPerSecond, 0)} | ${fixed(w.p50ms, 2)} | ${fixed(w.p99ms, 2)} | ${fixed(w.maxMs, 1)} | ${w.waited} of ${w.syncs} | ${fixed(w.waitedMedianMs, 1)} / ${fixed(w.waitedMaxMs, 1)} | ${fixed(w.waitedP50ms, 1)} | ${w.cachedP50ms === undefined ? '–' : `${fixed(w.cachedP50ms, 2)} / ${fixed(w.cachedP99ms!, 2)}`} |`,
    );
  }
  const batched = p.windows.filter((w) => w.mode === 'batched');
  const okQueries = batched.every((w) => w.queriesPerWindow <= 2);
  const inWindow = p.windows.every((w) => w.passSeconds.every((s) => s < REFRESH_SECONDS));
  console.log(`batched queries per refresh window: ${batched.map((w) => `${w.queriesPerWindow} for ${w.fences} fences`).join(', ')} (target <= 2 whatever the number of fences) ${okQueries ? 'OK' : 'ABOVE TARGET'}`);
  if (!inWindow) console.log(`note: a pass took longer than one refresh window (${REFRESH_SECONDS} s)`);

  const target = REFRESH_SECONDS + 1;
  const fr = p.freshness;
  console.log(`\nfreshness: one fence resynced resyncAfterSeconds after each answer, with the status it was given; a new dependency added to the exporter at spread phases of that loop`);
  console.log('| run | added s after a sync answer | exporter → Prometheus s | Prometheus → sync answer with it s |');
  console.log('|---|---|---|---|');
  for (const [i, r] of fr.runs.entries()) console.log(`| ${i + 1} | ${fixed(r.phaseSeconds)} | ${fixed(r.ingestSeconds, 2)} | ${fixed(r.delaySeconds, 2)} |`);
  console.log(`max ${fixed(fr.maxSeconds, 2)} s, median ${fixed(fr.medianSeconds, 2)} s over ${fr.runs.length} runs (${fr.syncs} syncs, ${fr.failedSyncs} with the source failing); target <= refreshSeconds + 1 = ${target} s ${fr.maxSeconds <= target ? 'OK' : 'ABOVE TARGET'}`);

  const m = p.mesh;
  console.log(`\nfreshness in a mesh: all ${m.fences} fences resynced by their own loops, started spread over the window, one shared cached answer; ${m.watched} fences spread over the loops get a new dependency at once`);
  console.log('| run | Prometheus → sync answer with it, s (min / median / max over the fences) | age of the answer that carried it (since its query was sent), s (min / median / max) |');
  console.log('|---|---|---|');
  for (const [i, d] of m.delays.entries()) console.log(`| ${i + 1} | ${spread(d)} | ${spread(m.staleness[i])} |`);
  console.log(`max ${fixed(m.maxSeconds, 2)} s, median ${fixed(m.medianSeconds, 2)} s over ${m.delays.flat().length} (run, fence) pairs (${m.syncs} syncs, ${m.failedSyncs} with the source failing); against refreshSeconds + 1 = ${target} s: ${m.maxSeconds <= target ? 'OK' : 'ABOVE'}`);
  const w = m.worst;
  console.log(
    `worst case over every refresh of the run (a series just missing a refresh): ${fixed(w.seconds, 2)} s = refresh interval (${fixed(w.minIntervalSeconds, 2)}–${fixed(w.maxIntervalSeconds, 2)} s) ` +
      `+ until the last fence synced on the refresh (at most ${fixed(w.maxCoverageSeconds, 2)} s); against ${target} s: ${w.seconds <= target ? 'OK' : 'ABOVE'}`,
  );
  const s = m.steady;
  const resyncs = [...s.resyncAfterSeconds].sort(([a], [b]) => a - b).map(([k, v]) => `${k} s ×${v}`).join(', ');
  console.log(`after every fence's first sync: ${s.syncs} syncs, at most ${s.busiestSecond} within one second; latency p50 ${fixed(s.p50ms, 2)} ms, p99 ${fixed(s.p99ms, 2)} ms, max ${fixed(s.maxMs, 1)} ms; resyncAfterSeconds given: ${resyncs}`);
}
