/**
 * All telemetry DDL, in one file, as one text that runs on chDB and on a ClickHouse server.
 *
 * Choices and why:
 * - ReplacingMergeTree everywhere: ingestion is at-least-once, so a retried batch must not
 *   double anything. Rows with the same sorting key collapse on merge; reads use FINAL so they
 *   are right before the merge happens too. Without a version column the row inserted last wins.
 * - Sorting keys follow the queries: samples by (series_id, t) for range reads of a few series,
 *   series by (metric, series_id, day) because nearly every selector names a metric, check
 *   results by (check, location, started_at), log events by (stream, time).
 * - One `series` row per series per day it had samples: label lookups over a time range stay
 *   cheap, and a series that stopped reporting ages out with the same TTL as its samples.
 * - Codecs: DoubleDelta on regular timestamps, Gorilla on float values, ZSTD on text.
 * - TTL is in seconds (`toIntervalSecond(N)`) so any configured duration fits, and so
 *   reconcileRetention() can read the number back from system.tables.
 * - Rollups (migration 3): samples_5m and samples_1h hold per series and window count, sum,
 *   min, max, first/last and a t-digest sketch. They are filled by a periodic job (rollups.ts)
 *   from deduplicated raw data (samples FINAL) for closed windows only, not by a materialized
 *   view: a view sees each insert block, so a re-sent sample, which the ReplacingMergeTree
 *   stores once, would be counted twice. Re-rolling a window writes a row with a newer
 *   `rolled_at`, which replaces the old one (ReplacingMergeTree(rolled_at)); windows that got
 *   late samples are listed in rollup_dirty by appendSamples and rolled again. The series table
 *   is kept as long as the longest rollup, so old rollups can still be matched by labels.
 */
import type { RetentionConfig } from '../telemetry-store.js';
import type { NativeColumn } from './transport.js';

export const TABLES = {
  migrations: 'kansoku_migrations',
  series: 'series',
  samples: 'samples',
  checkResults: 'check_results',
  logEvents: 'log_events',
  samples5m: 'samples_5m',
  samples1h: 'samples_1h',
  rollupProgress: 'rollup_progress',
  rollupDirty: 'rollup_dirty',
} as const;

type TtlTable = 'series' | 'samples' | 'check_results' | 'log_events' | 'samples_5m' | 'samples_1h' | 'rollup_dirty';

/** Seconds of TTL per table, derived from the retention config. */
export function ttlSeconds(retention: RetentionConfig): Record<TtlTable, number> {
  const samples = Math.ceil(retention.samplesMs / 1000);
  const samples5m = Math.ceil(retention.rollups5mMs / 1000);
  const samples1h = Math.ceil(retention.rollups1hMs / 1000);
  return {
    samples,
    // A series row stands for a whole day of samples: keep it one day past the last of them,
    // raw or rolled up (a rollup without its series row could not be found by labels).
    series: Math.max(samples, samples5m, samples1h) + 86_400,
    check_results: Math.ceil(retention.checkResultsMs / 1000),
    log_events: Math.ceil(retention.logEventsMs / 1000),
    samples_5m: samples5m,
    samples_1h: samples1h,
    // A dirty window can only be rolled again while its raw samples exist.
    rollup_dirty: samples,
  };
}

/** The TTL expression of each table; `seconds` is a validated positive integer, never user text. */
export function ttlExpression(table: keyof ReturnType<typeof ttlSeconds>, seconds: number): string {
  if (!Number.isSafeInteger(seconds) || seconds <= 0) throw new Error(`TTL must be a positive whole number of seconds, got ${seconds}`);
  switch (table) {
    case 'series':
      return `toDateTime(day) + toIntervalSecond(${seconds})`;
    case 'samples':
      return `toDateTime(t) + toIntervalSecond(${seconds})`;
    case 'check_results':
      return `toDateTime(started_at) + toIntervalSecond(${seconds})`;
    case 'log_events':
      return `toDateTime(time) + toIntervalSecond(${seconds})`;
    case 'samples_5m':
    case 'samples_1h':
      return `t + toIntervalSecond(${seconds})`;
    case 'rollup_dirty':
      return `win + toIntervalSecond(${seconds})`;
  }
}

export const CREATE_MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS ${TABLES.migrations} (
  version UInt32,
  name String,
  applied_at DateTime64(3, 'UTC') DEFAULT now64(3)
) ENGINE = ReplacingMergeTree
ORDER BY version`;

export interface Migration {
  version: number;
  name: string;
  /** Each statement is idempotent (IF NOT EXISTS), so a half-applied migration can be re-run. */
  statements(retention: RetentionConfig): string[];
}

function rollupTable(name: string, ttl: string): string {
  return `CREATE TABLE IF NOT EXISTS ${name} (
  series_id UInt64 CODEC(ZSTD(1)),
  t DateTime('UTC') CODEC(DoubleDelta, ZSTD(1)),
  v_count UInt64 CODEC(T64, ZSTD(1)),
  v_sum Float64 CODEC(Gorilla, ZSTD(1)),
  v_min Float64 CODEC(Gorilla, ZSTD(1)),
  v_max Float64 CODEC(Gorilla, ZSTD(1)),
  first_t DateTime64(3, 'UTC') CODEC(DoubleDelta, ZSTD(1)),
  first_v Float64 CODEC(Gorilla, ZSTD(1)),
  last_t DateTime64(3, 'UTC') CODEC(DoubleDelta, ZSTD(1)),
  last_v Float64 CODEC(Gorilla, ZSTD(1)),
  digest ${ROLLUP_DIGEST_TYPE} CODEC(ZSTD(1)),
  rolled_at DateTime64(3, 'UTC')
) ENGINE = ReplacingMergeTree(rolled_at)
PARTITION BY toYYYYMM(t)
ORDER BY (series_id, t)
TTL ${ttl}`;
}

/**
 * The sketch column: a t-digest state (a few hundred bytes per window at most). The level in
 * the type is only part of its name; any levels can be read with quantilesTDigestMerge(…).
 */
export const ROLLUP_DIGEST_TYPE = 'AggregateFunction(quantilesTDigest(0.5), Float64)';

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'series, samples, check_results, log_events',
    statements: (retention) => {
      const ttl = ttlSeconds(retention);
      return [
        `CREATE TABLE IF NOT EXISTS ${TABLES.series} (
  metric LowCardinality(String),
  series_id UInt64,
  day Date,
  labels Map(LowCardinality(String), String) CODEC(ZSTD(1)),
  INDEX label_values mapValues(labels) TYPE bloom_filter(0.01) GRANULARITY 1
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (metric, series_id, day)
TTL ${ttlExpression('series', ttl.series)}`,
        `CREATE TABLE IF NOT EXISTS ${TABLES.samples} (
  series_id UInt64 CODEC(ZSTD(1)),
  t DateTime64(3, 'UTC') CODEC(DoubleDelta, ZSTD(1)),
  v Float64 CODEC(Gorilla, ZSTD(1))
) ENGINE = ReplacingMergeTree
PARTITION BY toDate(t)
ORDER BY (series_id, t)
TTL ${ttlExpression('samples', ttl.samples)}`,
        `CREATE TABLE IF NOT EXISTS ${TABLES.checkResults} (
  check_name LowCardinality(String),
  location LowCardinality(String),
  started_at DateTime64(3, 'UTC') CODEC(DoubleDelta, ZSTD(1)),
  run_id String,
  status LowCardinality(String),
  message String CODEC(ZSTD(3)),
  duration_ms Float64 CODEC(Gorilla, ZSTD(1)),
  metrics String CODEC(ZSTD(3)),
  evidence String CODEC(ZSTD(3))
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(started_at)
ORDER BY (check_name, location, started_at, run_id)
TTL ${ttlExpression('check_results', ttl.check_results)}`,
        `CREATE TABLE IF NOT EXISTS ${TABLES.logEvents} (
  stream LowCardinality(String),
  time DateTime64(3, 'UTC') CODEC(DoubleDelta, ZSTD(1)),
  id String,
  host LowCardinality(String),
  level LowCardinality(String),
  message String CODEC(ZSTD(3)),
  fields Map(LowCardinality(String), String) CODEC(ZSTD(3)),
  INDEX message_ngrams lowerUTF8(message) TYPE ngrambf_v1(3, 65536, 2, 0) GRANULARITY 1
) ENGINE = ReplacingMergeTree
PARTITION BY toDate(time)
ORDER BY (stream, time, id)
TTL ${ttlExpression('log_events', ttl.log_events)}`,
      ];
    },
  },
  {
    version: 2,
    name: 'samples: values written as their 64 bits (v_hi, v_lo), so NaN payloads survive',
    // EPHEMERAL input columns and a DEFAULT on v: metadata-only ALTERs, no part is rewritten,
    // old rows keep their values, and readers see the same v column as before.
    statements: () => [
      `ALTER TABLE ${TABLES.samples} ADD COLUMN IF NOT EXISTS v_hi UInt32 EPHEMERAL`,
      `ALTER TABLE ${TABLES.samples} ADD COLUMN IF NOT EXISTS v_lo UInt32 EPHEMERAL`,
      `ALTER TABLE ${TABLES.samples} MODIFY COLUMN v Float64 DEFAULT ${SAMPLE_VALUE_FROM_BITS} CODEC(Gorilla, ZSTD(1))`,
    ],
  },
  {
    version: 3,
    name: 'rollups: samples_5m, samples_1h (count, sum, min, max, first, last, t-digest), rollup_progress, rollup_dirty',
    statements: (retention) => {
      const ttl = ttlSeconds(retention);
      return [
        rollupTable(TABLES.samples5m, ttlExpression('samples_5m', ttl.samples_5m)),
        rollupTable(TABLES.samples1h, ttlExpression('samples_1h', ttl.samples_1h)),
        // Up to where each rollup has been built; the greatest rolled_until wins, so two server
        // nodes rolling at once cannot move it backwards.
        `CREATE TABLE IF NOT EXISTS ${TABLES.rollupProgress} (
  resolution LowCardinality(String),
  rolled_until DateTime64(3, 'UTC')
) ENGINE = ReplacingMergeTree(rolled_until)
ORDER BY resolution`,
        // 5-minute windows that got samples after they were (or may have been) rolled up. A mark
        // has an even version (2 × epoch ms), its clearing the mark's version + 1, so a newer mark
        // of the same window always outranks an older clearing.
        `CREATE TABLE IF NOT EXISTS ${TABLES.rollupDirty} (
  win DateTime('UTC'),
  version UInt64,
  pending UInt8
) ENGINE = ReplacingMergeTree(version)
ORDER BY win
TTL ${ttlExpression('rollup_dirty', ttl.rollup_dirty)}`,
      ];
    },
  },
];


/** How v is rebuilt from the two halves of its bits (reinterpretAsFloat64 copies them as they are). */
export const SAMPLE_VALUE_FROM_BITS = 'reinterpretAsFloat64(bitOr(bitShiftLeft(toUInt64(v_hi), 32), toUInt64(v_lo)))';

/** The columns a TSV samples insert (appendSamples) names; each line is `series_id, t, float64BitsText(v)`. */
export const SAMPLE_INSERT_COLUMNS = ['series_id', 't', 'v_hi', 'v_lo'] as const;

/**
 * The columns of a Native samples block (appendSeriesColumns). v is written directly: Native
 * carries a Float64's 64 bits as they are, so the v_hi / v_lo detour of text inserts is not needed.
 */
export const SAMPLE_NATIVE_COLUMNS: readonly NativeColumn[] = [
  { name: 'series_id', type: 'UInt64' },
  { name: 't', type: "DateTime64(3, 'UTC')" },
  { name: 'v', type: 'Float64' },
];

/** Reads the TTL seconds back from `system.tables.engine_full`; undefined when the table has none. */
export function parseTtlSeconds(engineFull: string): number | undefined {
  const m = /\bTTL\b.*?toIntervalSecond\((\d+)\)/.exec(engineFull);
  return m ? Number(m[1]) : undefined;
}
