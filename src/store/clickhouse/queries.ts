/**
 * SQL builders for every read the telemetry store makes. Pure functions: a statement plus bound
 * values, so unit tests can check the pushdown without an engine. Time ranges are inclusive and
 * arrive already clamped to the retention window.
 */
import type { CheckResultQuery, LabelMatcher, LogSearchQuery, TimeRange } from '../telemetry-store.js';
import { escapeLike } from './encode.js';
import { matchersWhere } from './matchers.js';
import { SqlParams, type BoundSql } from './params.js';
import { TABLES } from './schema.js';

export { aggregateSql, rollUp5mSql, rollUp1hSql, rollupProgressSql, pendingDirtySql, type AggregateDbRow, type AggregatePlan } from './rollup-queries.js';

function seriesWhere(matchers: readonly LabelMatcher[], range: TimeRange, p: SqlParams): string {
  // The series table has one row per series and UTC day; the day bounds prune partitions and
  // granules, the matchers do the rest.
  return [
    `day >= toDate(${p.bindTime(range.startMs)})`,
    `day <= toDate(${p.bindTime(range.endMs)})`,
    matchersWhere(matchers, p),
  ].join(' AND ');
}

/** One matched series: its id (decimal text, 64-bit) and labels. */
export interface MatchedSeriesRow {
  id: string;
  series_labels: Record<string, string>;
}

/**
 * Step one of selectSeries: matchers → series ids and labels, from the small series table only.
 * Splitting the read in two (ids first, then samples by `series_id IN ids`) replaced a JOIN of
 * samples against the series CTE; the sample scan then uses the primary key directly. The store
 * keeps the answers until it next inserts series rows (series-match-cache.ts); a single
 * statement with the lookup as a subquery measured slower on chDB (≈14 ms vs ≈10 ms for both).
 */
export function matchSeriesSql(q: { matchers: readonly LabelMatcher[] } & TimeRange): BoundSql {
  const p = new SqlParams();
  const sql = `SELECT toString(series_id) AS id, any(labels) AS series_labels FROM ${TABLES.series}
WHERE ${seriesWhere(q.matchers, q, p)}
GROUP BY series_id`;
  return { sql, params: p.values };
}

/**
 * Step two, the usual way: the samples of the given series as plain rows, for RowBinary
 * (24 bytes a sample, decoded in sample-rows.ts), without FINAL. FINAL merges every
 * overlapping part and was most of the read time (e.g. 400 series × 1 h: ≈50-75 ms with FINAL,
 * ≈30 ms without, chDB, 6 unmerged parts); the decoder spots the rare unmerged re-append and
 * the store reads just those series again with FINAL (seriesSamplesSql).
 */
export function sampleRowsSql(q: { ids: readonly bigint[] } & TimeRange): BoundSql {
  const p = new SqlParams();
  const sql = `SELECT series_id, toUnixTimestamp64Milli(t), v FROM ${TABLES.samples}
WHERE series_id IN ${p.bind(q.ids, 'Array(UInt64)')} AND t >= ${p.bindTime(q.startMs)} AND t <= ${p.bindTime(q.endMs)}`;
  return { sql, params: p.values };
}

/**
 * Step two with FINAL, for series the plain read found re-appended, and for a limit (which
 * counts series with samples in the range, in id order): the same rows, collapsed to the last
 * write per (series, t). A (series, t) always lands in the same day partition, so FINAL need not
 * merge across partitions, which lets it skip partitions that are down to one part.
 */
export function finalSampleRowsSql(q: { ids: readonly bigint[]; limit?: number } & TimeRange): BoundSql {
  const p = new SqlParams();
  const ids = p.bind(q.ids, 'Array(UInt64)');
  const start = p.bindTime(q.startMs);
  const end = p.bindTime(q.endMs);
  const inRange = `t >= ${start} AND t <= ${end}`;
  const which = q.limit === undefined
    ? `series_id IN ${ids}`
    : `series_id IN (SELECT DISTINCT series_id FROM ${TABLES.samples} WHERE series_id IN ${ids} AND ${inRange} ORDER BY series_id LIMIT ${p.bind(q.limit, 'UInt64')})`;
  const sql = `SELECT series_id, toUnixTimestamp64Milli(t), v FROM ${TABLES.samples} FINAL
WHERE ${which} AND ${inRange}
SETTINGS do_not_merge_across_partitions_select_final = 1`;
  return { sql, params: p.values };
}

export function labelNamesSql(q: { matchers?: readonly LabelMatcher[] } & TimeRange): BoundSql {
  const p = new SqlParams();
  const sql = `SELECT DISTINCT arrayJoin(mapKeys(labels)) AS name FROM ${TABLES.series}
WHERE ${seriesWhere(q.matchers ?? [], q, p)}
ORDER BY name`;
  return { sql, params: p.values };
}

export function labelValuesSql(name: string, q: { matchers?: readonly LabelMatcher[] } & TimeRange): BoundSql {
  const p = new SqlParams();
  const column = name === '__name__' ? 'metric' : `labels[${p.bind(name, 'String')}]`;
  const sql = `SELECT DISTINCT ${column} AS value FROM ${TABLES.series}
WHERE ${seriesWhere(q.matchers ?? [], q, p)} AND value != ''
ORDER BY value`;
  return { sql, params: p.values };
}

export interface CheckResultDbRow {
  check_name: string;
  location: string;
  status: string;
  message: string;
  started_at_ms: number;
  duration_ms: number | string;
  metrics: string;
  evidence: string;
  run_id: string;
}

function checkWhere(q: { check?: string; location?: string } & TimeRange, p: SqlParams): string {
  const parts = [`started_at >= ${p.bindTime(q.startMs)}`, `started_at <= ${p.bindTime(q.endMs)}`];
  if (q.check !== undefined) parts.push(`check_name = ${p.bind(q.check, 'String')}`);
  if (q.location !== undefined) parts.push(`location = ${p.bind(q.location, 'String')}`);
  return parts.join(' AND ');
}

export function selectCheckResultsSql(q: CheckResultQuery & { limit: number }): BoundSql {
  const p = new SqlParams();
  const dir = q.order === 'asc' ? 'ASC' : 'DESC';
  const sql = `SELECT check_name, location, status, message, toUnixTimestamp64Milli(started_at) AS started_at_ms,
  duration_ms, metrics, evidence, run_id
FROM ${TABLES.checkResults} FINAL
WHERE ${checkWhere(q, p)}
ORDER BY started_at ${dir}, check_name, location, run_id
LIMIT ${p.bind(q.limit, 'UInt64')}`;
  return { sql, params: p.values };
}

export function availabilitySql(q: { check: string; location?: string } & TimeRange): BoundSql {
  const p = new SqlParams();
  const sql = `SELECT status, count() AS runs FROM ${TABLES.checkResults} FINAL
WHERE ${checkWhere(q, p)}
GROUP BY status
ORDER BY status`;
  return { sql, params: p.values };
}

export interface LogEventDbRow {
  time_ms: number;
  stream: string;
  host: string;
  level: string;
  message: string;
  fields: Record<string, string>;
  id: string;
}

export function searchLogsSql(q: LogSearchQuery & { limit: number }): BoundSql {
  const p = new SqlParams();
  const parts = [`time >= ${p.bindTime(q.startMs)}`, `time <= ${p.bindTime(q.endMs)}`];
  if (q.stream !== undefined) parts.push(`stream = ${p.bind(q.stream, 'String')}`);
  if (q.text !== undefined && q.text !== '') {
    // Same expression as the ngram bloom-filter index, so the index can skip granules.
    parts.push(`lowerUTF8(message) LIKE ${p.bind(`%${escapeLike(q.text.toLowerCase())}%`, 'String')}`);
  }
  const sql = `SELECT toUnixTimestamp64Milli(time) AS time_ms, stream, host, level, message, fields, id
FROM ${TABLES.logEvents} FINAL
WHERE ${parts.join(' AND ')}
ORDER BY time DESC, stream, id
LIMIT ${p.bind(q.limit, 'UInt64')}`;
  return { sql, params: p.values };
}

export const DATA_TABLES = [TABLES.series, TABLES.samples, TABLES.checkResults, TABLES.logEvents, TABLES.samples5m, TABLES.samples1h] as const;

/** Tables whose TTL follows the retention settings. */
const TTL_TABLES = [...DATA_TABLES, TABLES.rollupDirty] as const;

export function usageSql(): BoundSql {
  const p = new SqlParams();
  const sql = `SELECT table, sum(rows) AS rows, sum(bytes_on_disk) AS bytes
FROM system.parts
WHERE active AND database = currentDatabase() AND has(${p.bind([...DATA_TABLES], 'Array(String)')}, table)
GROUP BY table
ORDER BY table`;
  return { sql, params: p.values };
}

export function tableTtlSql(): BoundSql {
  const p = new SqlParams();
  const sql = `SELECT name, engine_full FROM system.tables
WHERE database = currentDatabase() AND has(${p.bind([...TTL_TABLES], 'Array(String)')}, name)`;
  return { sql, params: p.values };
}
