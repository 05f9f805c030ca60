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

export interface SamplePoint {
  t: number;
  v: number;
}

export interface SeriesData {
  labels: Labels;
  /** Sorted by time, one point per timestamp (the last one written wins). */
  samples: SamplePoint[];
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
}

export const DEFAULT_RETENTION: RetentionConfig = {
  samplesMs: 15 * 86_400_000,
  checkResultsMs: 90 * 86_400_000,
  logEventsMs: 30 * 86_400_000,
};

export type TelemetryEngine = 'chdb' | 'clickhouse';

export interface TelemetryStore {
  readonly engine: TelemetryEngine;
  /** Idempotent; applies versioned migrations (recorded in kansoku_migrations) and the retention settings. */
  migrate(): Promise<void>;
  /** Idempotent: the same (series, t) twice is stored once, the last write wins. */
  appendSamples(samples: SampleRow[]): Promise<void>;
  /** Series with at least one sample in the range, labels-sorted. */
  selectSeries(q: SelectSeriesQuery): Promise<SeriesData[]>;
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
