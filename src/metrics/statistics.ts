/**
 * CloudWatch-style statistics over pushed custom metrics (GetMetricStatistics): per period,
 * Sum, Average, Minimum, Maximum, SampleCount and percentiles (p50, p99, p99.9 …), optionally
 * grouped by dimensions.
 *
 * Computed by the telemetry store (aggregateSamples: GROUP BY period in ClickHouse, from raw
 * samples or, for long ranges, from the 5-minute / 1-hour rollups). One query returns the base
 * series and its `_count/_sum/_min/_max` companions (distributions and statistic sets) grouped
 * by the requested dimensions and the series name; they are combined here:
 * - no distributions in the range: the base series' aggregates are the answer, percentiles by
 *   nearest rank from raw data, or from the rollup's t-digest sketch for ranges past raw retention;
 * - distributions, raw resolution: a distribution's value stands for `_count` observations at
 *   its instant, which per-series aggregates cannot pair up, so the samples are read
 *   (selectSeries) and combined per instant as before: exact, percentiles weighted by count;
 * - distributions, rollup resolution: SampleCount, Minimum and Maximum are exact; Sum and
 *   Average take each distribution's mean as the period's mean of distributions (exact when the
 *   distributions in one period have equal counts); percentiles come from the sketch of the
 *   values as stored (a distribution counts once, at its mean).
 */
import type { LabelMatcher, Labels } from '../core/labels.js';
import { LABEL_NAME_RE } from '../core/labels.js';
import { ValidationError, type FieldIssue } from '../lib/errors.js';
import type { AggregateRow, TelemetryStore } from '../store/telemetry-store.js';
import { seriesNameFor } from './ingest/custom-metrics.js';
import { parseDurationParamMs, parseTimestampMs } from './prom-params.js';

export type Statistic = 'Sum' | 'Average' | 'Minimum' | 'Maximum' | 'SampleCount' | `p${string}`;

export interface StatisticsQuery {
  namespace: string;
  name: string;
  /** Only series with these dimension values. */
  dimensions: Record<string, string>;
  /** One result per distinct combination of these dimensions (none: one result). */
  groupBy: string[];
  periodMs: number;
  statistics: Statistic[];
  startMs: number;
  /** Exclusive. */
  endMs: number;
}

export interface Datapoint {
  /** Start of the period, RFC 3339. */
  timestamp: string;
  sampleCount?: number;
  sum?: number;
  average?: number;
  minimum?: number;
  maximum?: number;
  unit?: string;
  extendedStatistics?: Record<string, number>;
}

export interface StatisticsResult {
  namespace: string;
  name: string;
  /** The series name in PromQL. */
  metric: string;
  period: number;
  unit: string;
  results: { dimensions: Record<string, string>; datapoints: Datapoint[] }[];
}

/** CloudWatch returns at most 1,440 datapoints per request. */
export const MAX_DATAPOINTS = 1440;
/** Series read at most for one request; more asks the caller to narrow by dimensions. */
export const MAX_SERIES = 10_000;
const BASIC = new Set(['Sum', 'Average', 'Minimum', 'Maximum', 'SampleCount']);
const PERCENTILE_RE = /^p(\d{1,2}(?:\.\d{1,10})?|100)$/;

/** Reads the query string of GET /api/v1/metrics/statistics; throws ValidationError naming each bad field. */
export function parseStatisticsQuery(q: Record<string, string | undefined>, nowMs: number): StatisticsQuery {
  const issues: FieldIssue[] = [];
  const need = (k: string): string => {
    const v = q[k];
    if (v === undefined || v === '') issues.push({ path: k, message: 'is required' });
    return v ?? '';
  };
  const namespace = need('namespace');
  const name = need('name');
  const dimensions: Record<string, string> = {};
  for (const part of (q.dimensions ?? '').split(',').filter((p) => p.trim() !== '')) {
    const eq = part.indexOf('=');
    const k = eq > 0 ? part.slice(0, eq).trim() : '';
    if (!LABEL_NAME_RE.test(k) || k.startsWith('__')) issues.push({ path: 'dimensions', message: `expected name=value pairs separated by commas, got ${JSON.stringify(part)}` });
    else dimensions[k] = part.slice(eq + 1).trim();
  }
  const groupBy = (q.groupBy ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  for (const g of groupBy) if (!LABEL_NAME_RE.test(g)) issues.push({ path: 'groupBy', message: `${JSON.stringify(g)} is not a dimension name` });
  const periodMs = q.period === undefined || q.period === '' ? 60_000 : parseDurationParamMs(q.period);
  if (periodMs === undefined || periodMs < 1000 || periodMs % 1000 !== 0) issues.push({ path: 'period', message: 'must be a whole number of seconds, at least 1 (e.g. 60 or "5m")' });
  const statistics: Statistic[] = [];
  for (const s of need('statistics').split(',').map((x) => x.trim()).filter(Boolean)) {
    if (BASIC.has(s) || PERCENTILE_RE.test(s)) statistics.push(s as Statistic);
    else issues.push({ path: 'statistics', message: `unknown statistic ${JSON.stringify(s)}; use Sum, Average, Minimum, Maximum, SampleCount or a percentile such as p99` });
  }
  const endMs = q.end === undefined || q.end === '' ? nowMs : parseTimestampMs(q.end);
  if (endMs === undefined) issues.push({ path: 'end', message: 'must be RFC 3339 text or unix seconds' });
  const startMs = q.start === undefined || q.start === '' ? (endMs ?? nowMs) - 3_600_000 : parseTimestampMs(q.start);
  if (startMs === undefined) issues.push({ path: 'start', message: 'must be RFC 3339 text or unix seconds' });
  if (startMs !== undefined && endMs !== undefined && startMs >= endMs) issues.push({ path: 'start', message: 'must be before end' });
  if (!issues.length && (endMs! - startMs!) / periodMs! > MAX_DATAPOINTS) {
    issues.push({ path: 'period', message: `the range holds more than ${MAX_DATAPOINTS} periods; use a longer period or a shorter range` });
  }
  if (issues.length) {
    throw new ValidationError('KSK_METRICS_STATISTICS_INVALID', `statistics query rejected: ${issues[0]!.path} ${issues[0]!.message}`, issues);
  }
  return { namespace, name, dimensions, groupBy, periodMs: periodMs!, statistics, startMs: startMs!, endMs: endMs! };
}

interface Observation {
  count: number;
  sum: number;
  min: number;
  max: number;
  /** Value used for percentiles, with `count` as its weight. */
  value: number;
}

function tooWide(metric: string): ValidationError {
  return new ValidationError('KSK_METRICS_STATISTICS_TOO_WIDE', `more than ${MAX_SERIES} series match ${metric}; narrow the query with dimensions`, [{ path: 'dimensions', message: 'matches too many series' }]);
}

function matchersFor(metric: string, q: StatisticsQuery): LabelMatcher[] {
  return [
    { name: '__name__', op: '=~', value: `${metric}(?:_count|_sum|_min|_max)?` },
    ...Object.entries(q.dimensions).map(([name, value]) => ({ name, op: '=' as const, value })),
  ];
}

const groupKey = (dims: Record<string, string>) => JSON.stringify(Object.entries(dims));

export async function computeStatistics(store: TelemetryStore, q: StatisticsQuery, unit = ''): Promise<StatisticsResult> {
  const metric = seriesNameFor(q.namespace, q.name);
  const percentiles = q.statistics.filter((s) => !BASIC.has(s));
  const groupBy = q.groupBy.filter((g) => g !== '__name__');
  const agg = await store.aggregateSamples({
    matchers: matchersFor(metric, q),
    startMs: q.startMs,
    endMs: q.endMs - 1,
    periodMs: q.periodMs,
    groupBy: [...groupBy, '__name__'],
    quantiles: percentiles.length ? percentiles.map((p) => Number(p.slice(1)) / 100) : undefined,
    maxSeries: MAX_SERIES,
  });
  if (agg.series > MAX_SERIES) throw tooWide(metric);
  const hasDistributions = agg.rows.some((r) => r.group.__name__ !== metric);
  if (hasDistributions && agg.resolution === 'raw') return computeFromSamples(store, q, unit);

  // Per group (dimensions) and bucket: the base series' row and its companions' rows.
  const groups = new Map<string, { dims: Record<string, string>; buckets: Map<number, Partial<Record<string, AggregateRow>>> }>();
  for (const row of agg.rows) {
    const { __name__: seriesName, ...dims } = row.group;
    const part = seriesName === metric ? 'value' : seriesName!.slice(metric.length + 1);
    const key = groupKey(dims);
    let group = groups.get(key);
    if (!group) groups.set(key, (group = { dims, buckets: new Map() }));
    let bucket = group.buckets.get(row.t);
    if (!bucket) group.buckets.set(row.t, (bucket = {}));
    bucket[part] = row;
  }
  const results = [...groups.values()]
    .sort((a, b) => JSON.stringify(a.dims).localeCompare(JSON.stringify(b.dims)))
    .map((g) => ({
      dimensions: g.dims,
      datapoints: [...g.buckets.entries()]
        .sort((a, b) => a[0] - b[0])
        .flatMap(([t, parts]) => {
          const dp = datapointFromAggregates(t, parts, q.statistics, percentiles, unit);
          return dp ? [dp] : [];
        }),
    }))
    .filter((r) => r.datapoints.length);
  return { namespace: q.namespace, name: q.name, metric, period: q.periodMs / 1000, unit, results };
}

/** One period from per-series aggregates; see the file comment for how distributions combine. */
function datapointFromAggregates(t: number, parts: Partial<Record<string, AggregateRow>>, stats: Statistic[], percentiles: Statistic[], unit: string): Datapoint | undefined {
  const base = parts.value;
  const dists = parts.count;
  // Datums without a base value at all are not statistics of this metric (a stray companion).
  if (!base) return undefined;
  let count = base.count;
  let sum = base.sum;
  let min = base.min;
  let max = base.max;
  if (dists && dists.count > 0 && dists.sum > 0) {
    const distSum = parts.sum?.sum ?? (base.sum / base.count) * dists.sum;
    count = base.count - dists.count + dists.sum;
    sum = base.sum - dists.count * (distSum / dists.sum) + distSum;
    if (parts.min) min = Math.min(min, parts.min.min);
    if (parts.max) max = Math.max(max, parts.max.max);
  }
  const dp: Datapoint = { timestamp: new Date(t).toISOString() };
  for (const s of stats) {
    if (s === 'SampleCount') dp.sampleCount = count;
    else if (s === 'Sum') dp.sum = sum;
    else if (s === 'Average') dp.average = sum / count;
    else if (s === 'Minimum') dp.minimum = min;
    else if (s === 'Maximum') dp.maximum = max;
    else (dp.extendedStatistics ??= {})[s] = base.quantiles![percentiles.indexOf(s)]!;
  }
  if (unit) dp.unit = unit;
  return dp;
}

/** The per-instant path for distributions within raw retention: exact, percentiles weighted by count. */
async function computeFromSamples(store: TelemetryStore, q: StatisticsQuery, unit: string): Promise<StatisticsResult> {
  const metric = seriesNameFor(q.namespace, q.name);
  const series = await store.selectSeries({ matchers: matchersFor(metric, q), startMs: q.startMs, endMs: q.endMs - 1, limit: MAX_SERIES + 1 });
  if (series.length > MAX_SERIES) throw tooWide(metric);

  // Group the base series and its companions by dimensions (the labels without __name__).
  const byIdentity = new Map<string, { dims: Labels; parts: Record<string, Map<number, number>> }>();
  for (const s of series) {
    const { __name__: seriesName, ...dims } = s.labels;
    const part = seriesName === metric ? 'value' : seriesName!.slice(metric.length + 1);
    const key = JSON.stringify(Object.entries(dims).sort());
    let entry = byIdentity.get(key);
    if (!entry) {
      entry = { dims, parts: {} };
      byIdentity.set(key, entry);
    }
    const points = (entry.parts[part] ??= new Map());
    for (const p of s.samples) points.set(p.t, p.v);
  }

  const groups = new Map<string, { dims: Record<string, string>; buckets: Map<number, Observation[]> }>();
  for (const { dims, parts } of byIdentity.values()) {
    const groupDims: Record<string, string> = {};
    for (const g of q.groupBy) groupDims[g] = dims[g] ?? '';
    const gk = JSON.stringify(Object.entries(groupDims));
    let group = groups.get(gk);
    if (!group) {
      group = { dims: groupDims, buckets: new Map() };
      groups.set(gk, group);
    }
    const value = parts.value ?? new Map<number, number>();
    const instants = new Set<number>([...value.keys(), ...(parts.count?.keys() ?? [])]);
    for (const t of instants) {
      const count = parts.count?.get(t);
      let o: Observation;
      if (count !== undefined) {
        const sum = parts.sum?.get(t) ?? (value.get(t) ?? 0) * count;
        o = { count, sum, min: parts.min?.get(t) ?? sum / count, max: parts.max?.get(t) ?? sum / count, value: value.get(t) ?? sum / count };
      } else {
        const v = value.get(t)!;
        if (Number.isNaN(v)) continue;
        o = { count: 1, sum: v, min: v, max: v, value: v };
      }
      const bucket = Math.floor(t / q.periodMs) * q.periodMs;
      let list = group.buckets.get(bucket);
      if (!list) group.buckets.set(bucket, (list = []));
      list.push(o);
    }
  }

  const results = [...groups.values()]
    .sort((a, b) => JSON.stringify(a.dims).localeCompare(JSON.stringify(b.dims)))
    .map((g) => ({
      dimensions: g.dims,
      datapoints: [...g.buckets.entries()].sort((a, b) => a[0] - b[0]).map(([t, obs]) => datapoint(t, obs, q.statistics, unit)),
    }));
  return { namespace: q.namespace, name: q.name, metric, period: q.periodMs / 1000, unit, results };
}

function datapoint(t: number, obs: Observation[], stats: Statistic[], unit: string): Datapoint {
  let count = 0;
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const o of obs) {
    count += o.count;
    sum += o.sum;
    if (o.min < min) min = o.min;
    if (o.max > max) max = o.max;
  }
  const dp: Datapoint = { timestamp: new Date(t).toISOString() };
  for (const s of stats) {
    if (s === 'SampleCount') dp.sampleCount = count;
    else if (s === 'Sum') dp.sum = sum;
    else if (s === 'Average') dp.average = sum / count;
    else if (s === 'Minimum') dp.minimum = min;
    else if (s === 'Maximum') dp.maximum = max;
    else (dp.extendedStatistics ??= {})[s] = weightedPercentile(obs, Number(s.slice(1)));
  }
  if (unit) dp.unit = unit;
  return dp;
}

/** Nearest-rank percentile over weighted values: the smallest value whose cumulative weight reaches p% of the total. */
export function weightedPercentile(obs: readonly Observation[] | readonly { value: number; count: number }[], p: number): number {
  const sorted = [...obs].sort((a, b) => a.value - b.value);
  const total = sorted.reduce((n, o) => n + o.count, 0);
  const target = (p / 100) * total;
  let seen = 0;
  for (const o of sorted) {
    seen += o.count;
    if (seen >= target) return o.value;
  }
  return sorted[sorted.length - 1]!.value;
}
