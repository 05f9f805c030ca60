/**
 * The telemetry store port: metric samples, check results and log events, in the domain's own
 * words. Domain code (sources, query, rules) depends on this file only; the ClickHouse SQL that
 * serves it lives in src/store/clickhouse/ and runs unchanged on chDB (embedded) and on a
 * ClickHouse server. No driver is imported here.
 */
import type { CheckEvidence, CheckMetric, CheckStatus } from '../core/check-result.js';
import type { LabelMatcher, Labels } from '../core/labels.js';

export type { LabelMatcher, Labels };

/** One sample of one series. `labels` includes `__name__`; labels with empty values are dropped, as in Prometheus. */
export interface SampleRow {
  labels: Labels;
  /** Epoch milliseconds. */
  t: number;
  /** NaN and ±Infinity are kept (Prometheus staleness markers are a NaN). */
  v: number;
}

/**
 * One series' samples for `appendSeriesColumns`: labels once, timestamps (epoch ms) and values
 * in two columns of equal length (any order; views into a larger buffer are fine). The store may
 * remember a frozen `labels` object by identity, so one must not change after the call.
 */
export interface AppendSeries {
  labels: Labels;
  /** Timestamps and values, of one length; this series' rows are [start, end) of them. */
  t: Float64Array;
  v: Float64Array;
  /**
   * Row range, default all of `t`: the arrays may be shared by many series (a remote-write
   * request's, a flush block's), as a view per series cost more to make than the rest of its
   * append when it carries one sample. Writers on a hot path set both, so every object has one shape.
   */
  start?: number;
  end?: number;
  /**
   * The caller's cache slot for this series, like the series reference Prometheus's
   * `Appender.Append` hands back: a store may keep its own handle for the series in it (under a
   * key of its own) and skip its label lookup when the slot comes back. A slot must always come
   * with the same frozen `labels` object; a caller keeps one per series and drops it with them.
   */
  slot?: SeriesSlot;
}

/** See AppendSeries.slot; stores key their entries with a Symbol of their own. */
export type SeriesSlot = Record<symbol, unknown>;

/** Samples in `series`, for sizing batches. */
export function countAppendSeries(series: readonly AppendSeries[]): number {
  let n = 0;
  for (const s of series) n += (s.end ?? s.t.length) - (s.start ?? 0);
  return n;
}

/** The series form as rows (for stores without `appendSeriesColumns`). */
export function appendSeriesToRows(series: readonly AppendSeries[]): SampleRow[] {
  const rows = new Array<SampleRow>(countAppendSeries(series));
  let k = 0;
  for (const s of series) for (let i = s.start ?? 0, end = s.end ?? s.t.length; i < end; i++) rows[k++] = { labels: s.labels, t: s.t[i]!, v: s.v[i]! };
  return rows;
}

/** Appends `series` with the store's columnar append when it has one, else as rows. */
export function appendSeriesColumns(store: Pick<TelemetryStore, 'appendSamples' | 'appendSeriesColumns'>, series: AppendSeries[]): Promise<void> {
  if (store.appendSeriesColumns) return store.appendSeriesColumns(series);
  return store.appendSamples(appendSeriesToRows(series));
}

export interface SamplePoint {
  t: number;
  v: number;
}

/** A series' samples as two columns of equal length, `t` (epoch ms) sorted ascending. */
export interface SampleColumns {
  t: Float64Array;
  v: Float64Array;
}

export interface SeriesData {
  labels: Labels;
  /** Sorted by time, one point per timestamp (the last one written wins). */
  samples: SamplePoint[];
  /**
   * The same samples as columns, when the store has them that way (see sample-columns.ts);
   * readers that can use columns should. Arrays are fresh per read (the reader owns them).
   * Undefined once `samples` has been read from a columnar series.
   */
  readonly columns?: SampleColumns | undefined;
}

export interface TimeRange {
  /** Inclusive, epoch milliseconds. */
  startMs: number;
  /** Inclusive, epoch milliseconds. */
  endMs: number;
}

export interface SelectSeriesQuery extends TimeRange {
  /** Prometheus semantics: regexes are fully anchored and a missing label matches as "". */
  matchers: LabelMatcher[];
  /** At most this many series (not samples). */
  limit?: number;
}

export interface LabelQuery extends TimeRange {
  matchers?: LabelMatcher[];
}

export interface CheckResultRow {
  /** Check name (the object's name, e.g. "shop-top"). */
  check: string;
  /** Where the probe ran: "local", an agent name or a probe location. */
  location: string;
  status: CheckStatus;
  message: string;
  /** When the probe started, epoch milliseconds. */
  startedAt: number;
  durationMs: number;
  metrics: CheckMetric[];
  evidence: CheckEvidence;
  /** Dedupe key: appending the same run twice stores it once. */
  runId: string;
}

export interface CheckResultQuery extends TimeRange {
  check?: string;
  location?: string;
  limit?: number;
  /** By start time; default "desc" (newest first). */
  order?: 'asc' | 'desc';
}

export interface AvailabilityQuery extends TimeRange {
  check: string;
  location?: string;
}

export interface Availability {
  runs: number;
  /** Runs whose status was "ok". */
  ok: number;
  /** ok / runs, or null when there were no runs in the window. */
  ratio: number | null;
  byStatus: Record<string, number>;
}

export interface LogEventRow {
  /** Epoch milliseconds. */
  time: number;
  /** Where the event came from, e.g. "syslog", "file:/var/log/nginx/error.log", "cloudtrail". */
  stream: string;
  host: string;
  level?: string;
  message: string;
  fields: Record<string, string>;
  /** Dedupe key: appending the same event twice stores it once. */
  id: string;
}

export interface LogSearchQuery extends TimeRange {
  stream?: string;
  /** Case-insensitive substring of the message. */
  text?: string;
  limit?: number;
}

export interface TableUsage {
  table: string;
  rows: number;
  bytesOnDisk: number;
}

/** How long each kind of telemetry is kept; durations in milliseconds. */
export interface RetentionConfig {
  samplesMs: number;
  checkResultsMs: number;
  logEventsMs: number;
  /** 5-minute rollups of samples (count, sum, min, max, first, last, quantile sketch). */
  rollups5mMs: number;
  /** 1-hour rollups of samples. */
  rollups1hMs: number;
}

export const DEFAULT_RETENTION: RetentionConfig = {
  samplesMs: 15 * 86_400_000,
  checkResultsMs: 90 * 86_400_000,
  logEventsMs: 30 * 86_400_000,
  rollups5mMs: 90 * 86_400_000,
  rollups1hMs: 730 * 86_400_000,
};

/** Where aggregates came from: raw samples or a rollup of that width. */
export type SampleResolution = 'raw' | '5m' | '1h';

/** Rollup widths in milliseconds. */
export const ROLLUP_RESOLUTION_MS: Readonly<Record<Exclude<SampleResolution, 'raw'>, number>> = { '5m': 300_000, '1h': 3_600_000 };

export interface AggregateSamplesQuery extends TimeRange {
  /** Prometheus semantics, as in selectSeries. */
  matchers: LabelMatcher[];
  /** Bucket width; buckets are aligned to the epoch (bucket start = floor(t / periodMs) * periodMs). */
  periodMs: number;
  /** Labels whose values form the groups (`__name__` allowed; a missing label groups as ""); empty: one group. */
  groupBy: string[];
  /** Levels in [0, 1]. Raw data: exact nearest rank; a rollup: from its t-digest sketch (approximate). */
  quantiles?: number[];
  /**
   * Default "auto": a rollup when periodMs is a multiple of its width and the range reaches
   * beyond raw retention or is longer than two days, except that quantiles are read from raw
   * data while the range is within raw retention. A named resolution forces it (tests, tools).
   */
  resolution?: 'auto' | SampleResolution;
  /** More matching series than this: no rows are computed, `series` says how many matched (at least maxSeries + 1). */
  maxSeries?: number;
}

export interface AggregateRow {
  /** The groupBy labels' values ("" when a series lacks the label). */
  group: Labels;
  /** Bucket start, epoch milliseconds. */
  t: number;
  /** Samples in the bucket; NaN samples (e.g. staleness markers) are not counted anywhere. */
  count: number;
  sum: number;
  min: number;
  max: number;
  /** Value of the earliest / latest sample in the bucket (of one of the series when several share a timestamp). */
  first: number;
  last: number;
  /** Same order as the query's quantiles. */
  quantiles?: number[];
}

export interface AggregateSamplesResult {
  resolution: SampleResolution;
  /** Series that matched. */
  series: number;
  /** Sorted by group, then t; buckets without samples are absent. */
  rows: AggregateRow[];
}

export type TelemetryEngine = 'chdb' | 'clickhouse';

export interface TelemetryStore {
  readonly engine: TelemetryEngine;
  /** Idempotent; applies versioned migrations (recorded in kansoku_migrations) and the retention settings. */
  migrate(): Promise<void>;
  /** Idempotent: the same (series, t) twice is stored once, the last write wins. */
  appendSamples(samples: SampleRow[]): Promise<void>;
  /**
   * appendSamples for samples grouped per series in columns (the remote-write path, the head's
   * flusher), same validation and semantics. Optional: callers use `appendSeriesColumns(store, …)`,
   * which falls back to appendSamples (the in-memory test store has no columnar append; the
   * chDB / ClickHouse store writes one Native block, the head store one WAL record).
   */
  appendSeriesColumns?(series: AppendSeries[]): Promise<void>;
  /** Series with at least one sample in the range, labels-sorted. */
  selectSeries(q: SelectSeriesQuery): Promise<SeriesData[]>;
  /**
   * Per group and period bucket: count, sum, min, max, first, last and quantiles of the samples,
   * computed by the store (from raw samples or a rollup, see AggregateSamplesQuery.resolution).
   * Re-appended samples count once, as in selectSeries.
   */
  aggregateSamples(q: AggregateSamplesQuery): Promise<AggregateSamplesResult>;
  labelNames(q: LabelQuery): Promise<string[]>;
  labelValues(name: string, q: LabelQuery): Promise<string[]>;
  /** Idempotent on runId. */
  appendCheckResults(rows: CheckResultRow[]): Promise<void>;
  selectCheckResults(q: CheckResultQuery): Promise<CheckResultRow[]>;
  availability(q: AvailabilityQuery): Promise<Availability>;
  /** Idempotent on id. */
  appendLogEvents(rows: LogEventRow[]): Promise<void>;
  /** Newest first. */
  searchLogs(q: LogSearchQuery): Promise<LogEventRow[]>;
  usage(): Promise<TableUsage[]>;
  /** Waits for in-flight writes and reads, then releases the engine. Idempotent. */
  close(): Promise<void>;
}
