/**
 * The Prometheus HTTP API's operations over the PromQL engine and the telemetry store, free of
 * HTTP: each takes the request's form values (query string and form body merged, as
 * Prometheus reads them) and returns the `data` of the success envelope, or throws one of the
 * errors in errors.ts. Messages follow Prometheus's wording so clients show the same text.
 */
import os from 'node:os';
import type { LabelMatcher, Labels } from '../core/labels.js';
import { LABEL_NAME_RE } from '../core/labels.js';
import { formatDurationMs } from '../core/duration.js';
import {
  PromqlEngine,
  parseExpr,
  PromqlEvalError,
  PromqlParseError,
  QueryCanceledError,
  toPrometheusJson,
  type EngineOptions,
  type PromJsonData,
  type QueryResult,
} from '../query/promql/index.js';
import { compareLabels } from '../query/promql/labels.js';
import type { TelemetryStore } from '../store/telemetry-store.js';
import { VERSION } from '../version.js';
import { PromBadDataError, QueryCanceledByClientError, QueryExecutionError, QueryTimeoutError, invalidParam } from './errors.js';
import type { MetadataRegistry } from './metadata.js';
import { durationParam, limitParam, matchersParam, optionalDurationParam, requiredTimeParam, timeParam } from './prom-params.js';
import { STORE_MAX_MS, StoreSeriesSource } from './store-series-source.js';

/** Form values of one request; URLSearchParams satisfies it. */
export interface FormValues {
  get(name: string): string | null;
  getAll(name: string): string[];
}

export interface PromApiOptions {
  /** Default and maximum query timeout (Prometheus --query.timeout, 2m). */
  queryTimeoutMs?: number;
  /** Lookback for instant selectors (Prometheus --query.lookback-delta, 5m). */
  lookbackDeltaMs?: number;
  /** Prometheus --query.max-samples. */
  maxSamples?: number;
  /** Samples one query may read from storage. */
  maxSamplesLoaded?: number;
  /** Samples retention, for status endpoints. */
  retentionMs?: number;
  now?: () => number;
}

export interface Envelope<T> {
  data: T;
  warnings?: string[];
  infos?: string[];
}

/** Prometheus's cap on points per series of a range query. */
const MAX_POINTS = 11_000;
// maxSamplesLoaded is below the engine's 50M: the store hands every sample over as a JS object
// (~40 bytes), so 20M is about the most one query can hold before the process runs out of heap.
const DEFAULTS = { queryTimeoutMs: 120_000, lookbackDeltaMs: 300_000, maxSamples: 50_000_000, maxSamplesLoaded: 20_000_000, retentionMs: 15 * 86_400_000 };
/** The Prometheus release whose API this one follows (Grafana enables features by version). */
export const PROMETHEUS_API_VERSION = '2.42.0';

export class PromApiService {
  private readonly source: StoreSeriesSource;
  private readonly opts: typeof DEFAULTS;
  private readonly now: () => number;
  private readonly startedAt = new Date();

  constructor(
    private readonly store: TelemetryStore,
    private readonly metadataRegistry: MetadataRegistry,
    opts: PromApiOptions = {},
  ) {
    this.source = new StoreSeriesSource(store);
    this.opts = { ...DEFAULTS, ...Object.fromEntries(Object.entries(opts).filter(([k, v]) => v !== undefined && k !== 'now')) };
    this.now = opts.now ?? Date.now;
  }

  private engine(form: FormValues): PromqlEngine {
    const timeout = optionalDurationParam('timeout', form.get('timeout') ?? undefined);
    const lookback = optionalDurationParam('lookback_delta', form.get('lookback_delta') ?? undefined);
    const o: EngineOptions = {
      timeoutMs: timeout !== undefined && timeout > 0 ? Math.min(timeout, this.opts.queryTimeoutMs) : this.opts.queryTimeoutMs,
      lookbackDeltaMs: lookback !== undefined && lookback > 0 ? lookback : this.opts.lookbackDeltaMs,
      maxSamples: this.opts.maxSamples,
      maxSamplesLoaded: this.opts.maxSamplesLoaded,
      maxPointsPerSeries: MAX_POINTS,
    };
    return new PromqlEngine(this.source, o);
  }

  /** GET|POST /api/v1/query */
  async query(form: FormValues, signal?: AbortSignal): Promise<Envelope<PromJsonData>> {
    const t = timeParam('time', form.get('time') ?? undefined, this.now());
    const engine = this.engine(form);
    const result = await runQuery(() => engine.instantQuery(form.get('query') ?? '', t, { signal }), signal);
    return envelope(toPrometheusJson(result), result);
  }

  /** GET|POST /api/v1/query_range */
  async queryRange(form: FormValues, signal?: AbortSignal): Promise<Envelope<PromJsonData>> {
    const start = requiredTimeParam('start', form.get('start') ?? undefined);
    const end = requiredTimeParam('end', form.get('end') ?? undefined);
    if (end < start) throw invalidParam('end', 'end timestamp must not be before start time');
    const step = durationParam('step', form.get('step') ?? undefined);
    if (step <= 0) throw invalidParam('step', 'zero or negative query resolution step widths are not accepted. Try a positive integer');
    if (Math.trunc((end - start) / step) > MAX_POINTS) {
      throw new PromBadDataError('exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)', [{ path: 'step', message: 'too small for the range' }]);
    }
    const engine = this.engine(form);
    const result = await runQuery(() => engine.rangeQuery(form.get('query') ?? '', start, end, step, { signal }), signal);
    return envelope(toPrometheusJson(result), result);
  }

  /** GET|POST /api/v1/series */
  async series(form: FormValues): Promise<Envelope<Labels[]>> {
    const sets = form.getAll('match[]');
    if (!sets.length) throw new PromBadDataError('no match[] parameter provided', [{ path: 'match[]', message: 'is required' }]);
    const { startMs, endMs } = this.range(form);
    const matcherSets = matchersParam(sets);
    const limit = limitParam('limit', form.get('limit') ?? undefined);
    const found = new Map<string, Labels>();
    for (const matchers of matcherSets) {
      // The port has no labels-only lookup yet, so this reads the samples too; `limit` bounds it.
      const series = await this.store.selectSeries({ matchers, startMs, endMs, limit: limit !== undefined ? limit + 1 : undefined });
      for (const s of series) found.set(JSON.stringify(Object.entries(s.labels).sort()), s.labels);
    }
    const out = [...found.values()].sort(compareLabels);
    if (limit !== undefined && out.length > limit) {
      return { data: out.slice(0, limit), warnings: ['results truncated due to limit'] };
    }
    return { data: out };
  }

  /** GET|POST /api/v1/labels */
  async labels(form: FormValues): Promise<Envelope<string[]>> {
    const { startMs, endMs } = this.range(form);
    const sets = form.getAll('match[]');
    const matcherSets: (LabelMatcher[] | undefined)[] = sets.length ? matchersParam(sets) : [undefined];
    const names = new Set<string>();
    for (const matchers of matcherSets) for (const n of await this.store.labelNames({ startMs, endMs, matchers })) names.add(n);
    return limited([...names].sort(), limitParam('limit', form.get('limit') ?? undefined));
  }

  /** GET /api/v1/label/:name/values */
  async labelValues(name: string, form: FormValues): Promise<Envelope<string[]>> {
    if (!LABEL_NAME_RE.test(name)) throw new PromBadDataError(`invalid label name: ${JSON.stringify(name)}`, [{ path: 'name', message: 'is not a label name' }]);
    const { startMs, endMs } = this.range(form);
    const sets = form.getAll('match[]');
    const matcherSets: (LabelMatcher[] | undefined)[] = sets.length ? matchersParam(sets) : [undefined];
    const values = new Set<string>();
    for (const matchers of matcherSets) for (const v of await this.store.labelValues(name, { startMs, endMs, matchers })) values.add(v);
    return limited([...values].sort(), limitParam('limit', form.get('limit') ?? undefined));
  }

  /** GET /api/v1/metadata */
  metadata(form: FormValues): Envelope<Record<string, { type: string; help: string; unit: string }[]>> {
    const limit = limitParam('limit', form.get('limit') ?? undefined);
    const limitPerMetric = limitParam('limit_per_metric', form.get('limit_per_metric') ?? undefined);
    const metric = form.get('metric') || undefined;
    return { data: this.metadataRegistry.query({ metric, limit, limitPerMetric }) };
  }

  /** GET|POST /api/v1/query_exemplars: exemplars are not stored, so the answer is always empty. */
  queryExemplars(form: FormValues): Envelope<never[]> {
    // Validated as Prometheus does, so a typo is reported rather than answered with nothing.
    timeParam('start', form.get('start') ?? undefined, 0);
    timeParam('end', form.get('end') ?? undefined, 0);
    try {
      parseExpr(form.get('query') ?? '');
    } catch (err) {
      if (err instanceof PromqlParseError) throw invalidParam('query', err.message);
      throw err;
    }
    return { data: [] };
  }

  buildInfo(): Envelope<Record<string, string>> {
    return {
      data: {
        version: PROMETHEUS_API_VERSION,
        revision: `kansoku-${VERSION}`,
        branch: 'kansoku',
        buildUser: 'kansoku',
        buildDate: '',
        goVersion: `none (Kansoku ${VERSION} on Node.js ${process.version})`,
      },
    };
  }

  config(): Envelope<{ yaml: string }> {
    const yaml = [
      '# Kansoku answers the Prometheus API; its configuration is objects (kansoku get ...), not this file.',
      'global:',
      '  scrape_interval: 1m',
      '  scrape_timeout: 10s',
      '  evaluation_interval: 1m',
      '',
    ].join('\n');
    return { data: { yaml } };
  }

  flags(): Envelope<Record<string, string>> {
    return {
      data: {
        'query.lookback-delta': formatDurationMs(this.opts.lookbackDeltaMs),
        'query.max-samples': String(this.opts.maxSamples),
        'query.timeout': formatDurationMs(this.opts.queryTimeoutMs),
        'storage.tsdb.retention.time': formatDurationMs(this.opts.retentionMs),
        'web.enable-remote-write-receiver': 'true',
      },
    };
  }

  runtimeInfo(): Envelope<Record<string, string | number | boolean>> {
    const now = new Date(this.now());
    return {
      data: {
        startTime: this.startedAt.toISOString(),
        CWD: process.cwd(),
        hostname: os.hostname(),
        serverTime: now.toISOString(),
        reloadConfigSuccess: true,
        lastConfigTime: this.startedAt.toISOString(),
        corruptionCount: 0,
        goroutineCount: 0,
        GOMAXPROCS: os.availableParallelism(),
        GOMEMLIMIT: 0,
        GOGC: '',
        GODEBUG: '',
        storageRetention: formatDurationMs(this.opts.retentionMs),
      },
    };
  }

  /** start/end of series and label lookups: all time by default, clamped to what storage holds. */
  private range(form: FormValues): { startMs: number; endMs: number } {
    const start = timeParam('start', form.get('start') ?? undefined, 0);
    const end = timeParam('end', form.get('end') ?? undefined, STORE_MAX_MS);
    return { startMs: Math.max(0, start), endMs: Math.min(STORE_MAX_MS, end) };
  }
}

function envelope(data: PromJsonData, r: QueryResult): Envelope<PromJsonData> {
  const out: Envelope<PromJsonData> = { data };
  if (r.warnings.length) out.warnings = r.warnings;
  if (r.infos.length) out.infos = r.infos;
  return out;
}

function limited(values: string[], limit: number | undefined): Envelope<string[]> {
  if (limit !== undefined && values.length > limit) return { data: values.slice(0, limit), warnings: ['results truncated due to limit'] };
  return { data: values };
}

/** Runs a query and turns engine errors into the API's error kinds. */
async function runQuery(run: () => Promise<QueryResult>, clientSignal: AbortSignal | undefined): Promise<QueryResult> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof PromqlParseError) throw invalidParam('query', err.message);
    if (err instanceof QueryCanceledError) {
      if (clientSignal?.aborted) throw new QueryCanceledByClientError('KSK_PROM_QUERY_CANCELED', err.message);
      throw new QueryTimeoutError('KSK_PROM_QUERY_TIMEOUT', err.message.replace('was canceled', 'timed out'));
    }
    if (err instanceof PromqlEvalError) {
      // Prometheus checks these before evaluating and answers bad_data.
      if (err.message.startsWith('invalid expression type')) throw invalidParam('query', err.message);
      throw new QueryExecutionError(err.name === 'TooManySamplesError' ? 'KSK_PROM_TOO_MANY_SAMPLES' : 'KSK_PROM_EXECUTION', err.message);
    }
    throw err;
  }
}
