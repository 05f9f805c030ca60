/**
 * SQL builders for rollups and aggregateSamples (re-exported by queries.ts). Pure functions,
 * the same text for chDB and a ClickHouse server.
 *
 * Raw samples are always read with FINAL here: an aggregate cannot tell a re-appended sample
 * from a second one, so the merge must happen before counting. Each (series, t) lives in one
 * day partition, so FINAL never merges across partitions.
 */
import { ROLLUP_RESOLUTION_MS, type SampleResolution, type TimeRange } from '../telemetry-store.js';
import { SqlParams, type BoundSql } from './params.js';
import { TABLES } from './schema.js';

const FINAL_SETTINGS = 'SETTINGS do_not_merge_across_partitions_select_final = 1';
const DIGEST_STATE = 'quantilesTDigestState(0.5)';

/**
 * 5-minute rollups of the raw samples in [startMs, endMs) (window-aligned), or only of the
 * listed windows (epoch ms) inside that range. NaN samples are left out: they are staleness
 * markers or "no value", not observations.
 */
export function rollUp5mSql(q: { startMs: number; endMs: number; rolledAtMs: number; windows?: readonly number[] }): BoundSql {
  const p = new SqlParams();
  const win = 'toStartOfInterval(t, INTERVAL 5 MINUTE)';
  const only = q.windows ? ` AND toUnixTimestamp(${win}) IN ${p.bind(q.windows.map((w) => Math.trunc(w / 1000)), 'Array(UInt32)')}` : '';
  const sql = `INSERT INTO ${TABLES.samples5m} (series_id, t, v_count, v_sum, v_min, v_max, first_t, first_v, last_t, last_v, digest, rolled_at)
SELECT series_id, ${win} AS w, count(), sum(v), min(v), max(v), min(t), argMin(v, t), max(t), argMax(v, t), ${DIGEST_STATE}(v), ${p.bindTime(q.rolledAtMs)}
FROM ${TABLES.samples} FINAL
WHERE t >= ${p.bindTime(q.startMs)} AND t < ${p.bindTime(q.endMs)} AND NOT isNaN(v)${only}
GROUP BY series_id, w
${FINAL_SETTINGS}`;
  return { sql, params: p.values };
}

/** 1-hour rollups built from the 5-minute ones (count/sum/min/max add up exactly; digests merge). */
export function rollUp1hSql(q: { startMs: number; endMs: number; rolledAtMs: number; hours?: readonly number[] }): BoundSql {
  const p = new SqlParams();
  const only = q.hours ? ` AND toUnixTimestamp(toStartOfHour(t)) IN ${p.bind(q.hours.map((h) => Math.trunc(h / 1000)), 'Array(UInt32)')}` : '';
  const sql = `INSERT INTO ${TABLES.samples1h} (series_id, t, v_count, v_sum, v_min, v_max, first_t, first_v, last_t, last_v, digest, rolled_at)
SELECT series_id, toStartOfHour(t) AS h, sum(v_count), sum(v_sum), min(v_min), max(v_max), min(first_t), argMin(first_v, first_t), max(last_t), argMax(last_v, last_t),
  quantilesTDigestMergeState(0.5)(digest), ${p.bindTime(q.rolledAtMs)}
FROM ${TABLES.samples5m} FINAL
WHERE t >= toDateTime(${p.bindTime(q.startMs)}) AND t < toDateTime(${p.bindTime(q.endMs)})${only}
GROUP BY series_id, h
${FINAL_SETTINGS}`;
  return { sql, params: p.values };
}

/** How far each rollup has been built (epoch ms). */
export function rollupProgressSql(): BoundSql {
  return { sql: `SELECT resolution, toUnixTimestamp64Milli(max(rolled_until)) AS until_ms FROM ${TABLES.rollupProgress} GROUP BY resolution`, params: {} };
}

/** Windows marked dirty and not yet rolled again, inside the raw retention. */
export function pendingDirtySql(q: { sinceMs: number }): BoundSql {
  const p = new SqlParams();
  const sql = `SELECT toUnixTimestamp(win) * 1000 AS win_ms, version FROM ${TABLES.rollupDirty} FINAL
WHERE pending = 1 AND win >= toDateTime(${p.bindTime(q.sinceMs)})
ORDER BY win`;
  return { sql, params: p.values };
}

/** Which table answers, and (for a rollup) up to where it is built; raw samples answer the rest. */
export interface AggregatePlan {
  resolution: SampleResolution;
  /** Rollup plans: windows before this instant come from the rollup, later samples from raw. */
  rolledUntilMs?: number;
}

export interface AggregateDbRow {
  g: number;
  b: number;
  n: number;
  s: number | string;
  lo: number | string;
  hi: number | string;
  f: number | string;
  l: number | string;
  qs?: (number | string)[];
}

/** Quantile levels go into the SQL text (aggregate parameters must be literals): only finite numbers in [0, 1]. */
function levelList(levels: readonly number[]): string {
  for (const l of levels) if (typeof l !== 'number' || !Number.isFinite(l) || l < 0 || l > 1) throw new Error(`quantile level must be a number in [0, 1], got ${String(l)}`);
  return levels.map((l) => String(l)).join(', ');
}

/**
 * aggregateSamples in one statement: series ids map to group numbers with transform() (a hash
 * lookup, not a JOIN), buckets are intDiv(epoch ms, period). The inclusive range is the port's;
 * a rollup serves whole windows, from the one holding startMs up to rolledUntilMs.
 */
export function aggregateSql(
  q: { ids: readonly bigint[]; groups: readonly number[]; periodMs: number; quantiles?: readonly number[] } & TimeRange,
  plan: AggregatePlan,
): BoundSql {
  const p = new SqlParams();
  const ids = p.bind(q.ids, 'Array(UInt64)');
  const group = `transform(series_id, ${ids}, ${p.bind(q.groups, 'Array(UInt32)')}, toUInt32(0))`;
  const period = p.bind(q.periodMs, 'Int64');
  const levels = q.quantiles?.length ? levelList(q.quantiles) : undefined;
  const end = p.bindTime(q.endMs);

  if (plan.resolution === 'raw' || plan.rolledUntilMs === undefined) {
    // Nearest rank, like CloudWatch: the smallest value with at least level × n values at or below it.
    const qs = levels
      ? `,\n  arrayMap(level -> sorted[toUInt64(greatest(1, ceil(level * length(sorted))))], [${levels}]) AS qs`
      : '';
    const sorted = levels ? ', arraySort(groupArray(v)) AS sorted' : '';
    const sql = `SELECT g, b, count() AS n, sum(v) AS s, min(v) AS lo, max(v) AS hi, argMin(v, t) AS f, argMax(v, t) AS l${sorted}${qs}
FROM (
  SELECT ${group} AS g, intDiv(toUnixTimestamp64Milli(t), ${period}) AS b, t, v FROM ${TABLES.samples} FINAL
  WHERE series_id IN ${ids} AND t >= ${p.bindTime(q.startMs)} AND t <= ${end} AND NOT isNaN(v)
)
GROUP BY g, b
ORDER BY g, b
${FINAL_SETTINGS}`;
    return { sql, params: p.values };
  }

  const table = plan.resolution === '5m' ? TABLES.samples5m : TABLES.samples1h;
  const width = ROLLUP_RESOLUTION_MS[plan.resolution];
  const rollupStart = Math.floor(q.startMs / width) * width;
  const rawStart = Math.max(q.startMs, plan.rolledUntilMs);
  const qs = levels ? `,\n  quantilesTDigestMerge(${levels})(d) AS qs` : '';
  const sql = `SELECT g, b, sum(n) AS n, sum(s) AS s, min(lo) AS lo, max(hi) AS hi, argMin(f, ft) AS f, argMax(l, lt) AS l${qs}
FROM (
  SELECT ${group} AS g, intDiv(toInt64(toUnixTimestamp(t)) * 1000, ${period}) AS b,
    v_count AS n, v_sum AS s, v_min AS lo, v_max AS hi, first_t AS ft, first_v AS f, last_t AS lt, last_v AS l, digest AS d
  FROM ${table} FINAL
  WHERE series_id IN ${ids} AND t >= toDateTime(${p.bindTime(rollupStart)}) AND t < toDateTime(${p.bindTime(plan.rolledUntilMs)}) AND t <= toDateTime(${end})
  UNION ALL
  SELECT g, b, count() AS n, sum(v) AS s, min(v) AS lo, max(v) AS hi, min(t) AS ft, argMin(v, t) AS f, max(t) AS lt, argMax(v, t) AS l, ${DIGEST_STATE}(v) AS d
  FROM (
    SELECT ${group} AS g, intDiv(toUnixTimestamp64Milli(t), ${period}) AS b, t, v FROM ${TABLES.samples} FINAL
    WHERE series_id IN ${ids} AND t >= ${p.bindTime(rawStart)} AND t <= ${end} AND NOT isNaN(v)
  )
  GROUP BY g, b
)
GROUP BY g, b
ORDER BY g, b
${FINAL_SETTINGS}`;
  return { sql, params: p.values };
}
