// Prometheus as a dependency source (docs/design.md §5.2). Batched mode: one query per refresh for every
// fence, indexed once and sliced per sync. Handler mode (Slime's per-fence templates): each
// workload's queries, cached per query. Every failure becomes a `failed` answer, which keeps the
// fence's learned dependencies as they were; nothing here throws.

import { sortBytewise } from '../protocol/canonical.js';
import type { PrometheusConfig } from '../core/config.js';
import type { DependencySource, FenceSource, Learned } from '../core/dependency.js';
import { type Logger, silentLogger } from '../log.js';
import type { PrometheusMetrics } from '../metrics.js';
import { type Answer, type Failure, decodeAnswer, failure } from './answer.js';
import { type Cached, RefreshCache } from './cache.js';
import { type PrometheusClient, TransportError } from './client.js';
import { batchedQuery, forwarderQuery, handlerQuery, isLabelValue } from './promql.js';
import { type BatchIndex, hostsOf, indexBatch, sliceOf } from './series.js';

type Mode = 'batched' | 'handler';

export interface PrometheusSourceOptions {
  client: Pick<PrometheusClient, 'query'>;
  metrics?: PrometheusMetrics;
  logger?: Logger;
  /** Monotonic milliseconds, for the cache. */
  clock?: () => number;
}

const OUTCOME: Record<Failure['reason'], string> = {
  Unreachable: 'unreachable',
  Timeout: 'timeout',
  HTTPError: 'http_error',
  QueryError: 'query_error',
  Warnings: 'warnings',
  BadResponse: 'bad_response',
  NoSeries: 'no_series',
  InvalidSource: 'invalid_source',
};

const isFailure = (x: unknown): x is Failure => (x as Failure).ok === false;
const within = (what: string, f: Failure): Failure => failure(f.reason, `${what}: ${f.message}`);

export class PrometheusSource implements DependencySource {
  private readonly client: PrometheusSourceOptions['client'];
  private readonly metrics?: PrometheusMetrics;
  private readonly logger: Logger;
  private readonly batches: RefreshCache<BatchIndex | Failure>;
  private readonly answers: RefreshCache<Answer>;
  /** The last outcome per mode, so an outage is logged once, not once per fence. */
  private readonly lastOutcome = new Map<Mode, string>();
  private readonly clock: () => number;

  constructor(opts: PrometheusSourceOptions) {
    this.client = opts.client;
    this.metrics = opts.metrics;
    this.logger = opts.logger ?? silentLogger;
    this.clock = opts.clock ?? (() => performance.now());
    this.batches = new RefreshCache(this.clock);
    this.answers = new RefreshCache(this.clock);
  }

  async learn(source: FenceSource, config: { prometheus: PrometheusConfig }): Promise<Learned> {
    const p = config.prometheus;
    const expiries: number[] = [];
    const hosts = p.handlers.length === 0 ? await this.batched(source, p, expiries) : await this.perFence(source, p, expiries);
    // Sync again just after the first answer used expires: that sync fetches (or joins) the next one,
    // so a new dependency reaches every fence within a refresh (plus under a second), instead of
    // up to two refreshes when fences resync out of step with the shared answer.
    const refresh = expiries.length > 0 ? { refreshInSeconds: Math.max(1, Math.ceil((Math.min(...expiries) - this.clock()) / 1000)) } : {};
    if (isFailure(hosts)) return { kind: 'failed', reason: `Prometheus${hosts.reason}`, message: hosts.message, ...refresh };
    return { kind: 'answered', hosts: sortBytewise(hosts), ...refresh };
  }

  private async batched(source: FenceSource, p: PrometheusConfig, expiries: number[]): Promise<Set<string> | Failure> {
    const index = await this.batch(batchedQuery(p), p, 'batched query', expiries);
    if (isFailure(index)) return index;
    // An empty answer is what a fresh Prometheus, a wrong path or a renamed metric give; taking it
    // as "nobody calls anything" would start expiring every learned dependency in the mesh.
    if (index.series === 0) return failure('NoSeries', 'batched query: no series at all (a new Prometheus, or no telemetry yet)');
    return sliceOf(index, source);
  }

  private async perFence(source: FenceSource, p: PrometheusConfig, expiries: number[]): Promise<Set<string> | Failure> {
    for (const [label, value] of [['namespace', source.namespace], ['app', source.app]]) {
      if (!isLabelValue(value)) return failure('InvalidSource', `the workload's ${label} ${JSON.stringify(value)} is not a Kubernetes label value, so no query is built for it`);
    }
    const [forwarder, ...answers] = await Promise.all([
      this.batch(forwarderQuery(p), p, 'forwarder query', expiries),
      ...p.handlers.map((h) => this.query(handlerQuery(h.query, source.namespace, source.app), p, expiries)),
    ]);
    if (isFailure(forwarder)) return forwarder;
    const hosts = sliceOf(forwarder, source);
    let series = hosts.size;
    for (const [i, answer] of answers.entries()) {
      const what = `handler ${JSON.stringify(p.handlers[i].name)}`;
      const found = hostsOf(answer);
      if (isFailure(found)) return within(what, found);
      for (const h of found) hosts.add(h);
      if (answer.ok) series += answer.series.length;
    }
    // As in Slime, an empty answer never replaces what was learned: it may be a query that matches
    // nothing as well as an idle workload.
    if (series === 0) return failure('NoSeries', `no handler query returned a series for ${source.namespace}/${source.app} (an idle workload, or a query that matches nothing)`);
    return hosts;
  }

  /** A batched answer, indexed once per refresh and shared by every sync. */
  private batch(promql: string, p: PrometheusConfig, what: string, expiries: number[]): Promise<BatchIndex | Failure> {
    const load = async () => {
      const index = indexBatch(await this.send('batched', promql, p));
      return isFailure(index) ? within(what, index) : index;
    };
    return this.use(this.batches.get(promql, p.refreshSeconds * 1000, load), 'batched', expiries);
  }

  /** A handler's answer for one workload, cached per query. */
  private query(promql: string, p: PrometheusConfig, expiries: number[]): Promise<Answer> {
    return this.use(this.answers.get(promql, p.refreshSeconds * 1000, () => this.send('handler', promql, p)), 'handler', expiries);
  }

  private use<T>(cached: Cached<T>, mode: Mode, expiries: number[]): Promise<T> {
    if (cached.hit) this.metrics?.cacheHits.inc({ mode });
    expiries.push(cached.expiresAt);
    return cached.value;
  }

  private async send(mode: Mode, promql: string, p: PrometheusConfig): Promise<Answer> {
    const end = this.metrics?.duration.startTimer({ mode });
    let answer: Answer;
    try {
      answer = decodeAnswer(await this.client.query(promql, p.timeoutSeconds * 1000));
    } catch (e) {
      answer = e instanceof TransportError ? failure(e.reason, e.message) : failure('Unreachable', (e as Error)?.message ?? String(e));
    }
    end?.();
    const outcome = answer.ok ? 'ok' : OUTCOME[answer.reason];
    this.metrics?.queries.inc({ mode, outcome });
    this.logTransition(mode, outcome, answer, promql);
    return answer;
  }

  private logTransition(mode: Mode, outcome: string, answer: Answer, promql: string): void {
    const last = this.lastOutcome.get(mode);
    if (last === outcome) return;
    this.lastOutcome.set(mode, outcome);
    if (!answer.ok) this.logger.warn('Prometheus query failed; learned dependencies are kept', { mode, reason: answer.reason, message: answer.message, query: promql });
    else if (last !== undefined) this.logger.info('Prometheus answers again', { mode });
  }
}
