/**
 * Custom metrics pushed as JSON, CloudWatch style (PutMetricData): a namespace and a batch of
 * datums, each a single value, a value distribution (values + counts) or a statistic set.
 *
 * Naming: a datum becomes series `<namespace>_<name>` (every character outside [a-zA-Z0-9_]
 * becomes "_", and a leading digit gets a "_" prefix), labelled by its dimensions, so
 * `{namespace:"Shop/Checkout", name:"Latency", dimensions:{region:"eu"}}` is
 * `Shop_Checkout_Latency{region="eu"}` in PromQL. The series holds the datum's value (the mean
 * for a distribution or statistic set). A distribution or statistic set also writes
 * `<metric>_count`, `<metric>_sum`, `<metric>_min` and `<metric>_max` at the same instant, so
 * SampleCount, Sum, Minimum and Maximum stay exact (see statistics.ts).
 */
import { z } from 'zod';
import { LABEL_NAME_RE, type Labels } from '../../core/labels.js';
import { ValidationError, type FieldIssue } from '../../lib/errors.js';
import type { SampleRow } from '../../store/telemetry-store.js';
import { parseTimestampMs } from '../prom-params.js';

/** CloudWatch's units; kept as metadata (the unit is not part of the series identity). */
export const CLOUDWATCH_UNITS = [
  'Seconds', 'Microseconds', 'Milliseconds', 'Bytes', 'Kilobytes', 'Megabytes', 'Gigabytes', 'Terabytes',
  'Bits', 'Kilobits', 'Megabits', 'Gigabits', 'Terabits', 'Percent', 'Count',
  'Bytes/Second', 'Kilobytes/Second', 'Megabytes/Second', 'Gigabytes/Second', 'Terabytes/Second',
  'Bits/Second', 'Kilobits/Second', 'Megabits/Second', 'Gigabits/Second', 'Terabits/Second', 'Count/Second', 'None',
] as const;

/** Limits as CloudWatch sets them: 1,000 datums a request, 30 dimensions, 150 distinct values. */
const MAX_DATUMS = 1000;
const MAX_DIMENSIONS = 30;
const MAX_VALUES = 150;
/** CloudWatch accepts datums up to two weeks old and two hours ahead. */
export const MAX_AGE_MS = 14 * 86_400_000;
export const MAX_AHEAD_MS = 2 * 3_600_000;

const finite = z.number().refine(Number.isFinite, 'must be a finite number');

const datumSchema = z
  .object({
    name: z.string().min(1).max(255).describe('metric name within the namespace, e.g. "Latency"'),
    dimensions: z.record(z.string(), z.string().min(1, 'dimension values must not be empty').max(1024)).optional().describe('name → value; names follow Prometheus label-name rules'),
    unit: z.enum(CLOUDWATCH_UNITS).optional().describe('CloudWatch unit, e.g. "Milliseconds"'),
    value: finite.optional().describe('one observation'),
    values: z.array(finite).min(1).max(MAX_VALUES).optional().describe('distinct observed values (with counts)'),
    counts: z.array(z.number().positive('counts must be positive').refine(Number.isFinite, 'must be finite')).optional().describe('how often each of values was observed (default 1 each)'),
    statisticValues: z
      .object({
        sum: finite.describe('sum of the observations'),
        min: finite.describe('smallest observation'),
        max: finite.describe('largest observation'),
        sampleCount: z.number().positive('must be positive').refine(Number.isFinite, 'must be finite').describe('number of observations'),
      })
      .strict()
      .optional()
      .describe('pre-aggregated observations'),
    timestamp: z.union([z.string(), z.number()]).optional().describe('RFC 3339 text or unix seconds (decimals allowed); default now'),
  })
  .strict();

export const customMetricsSchema = z
  .object({
    namespace: z.string().min(1).max(255).describe('groups metrics, e.g. "Shop/Checkout"; becomes the series name prefix'),
    metrics: z.array(datumSchema).min(1, 'send at least one metric').max(MAX_DATUMS).describe(`up to ${MAX_DATUMS} datums`),
  })
  .strict();

export type CustomMetricsRequest = z.infer<typeof customMetricsSchema>;

/** Prometheus-safe form of a CloudWatch name part. */
export function sanitizeNamePart(text: string): string {
  const s = text.replace(/[^a-zA-Z0-9_]/g, '_');
  return /^[0-9]/.test(s) ? `_${s}` : s;
}

/** The series name a namespace and metric name map to. */
export function seriesNameFor(namespace: string, name: string): string {
  return `${sanitizeNamePart(namespace)}_${sanitizeNamePart(name)}`;
}

export const AGGREGATE_SUFFIXES = ['_count', '_sum', '_min', '_max'] as const;

interface Aggregate {
  count: number;
  sum: number;
  min: number;
  max: number;
  /** The datum was one plain value (no companion series needed). */
  single: boolean;
}

export interface CustomMetricsBatch {
  samples: SampleRow[];
  /** Series name → unit, for metadata. */
  units: Map<string, string>;
  datums: number;
}

/** Validates a push and turns it into samples; throws ValidationError naming every bad field. */
export function customMetricsToSamples(input: unknown, nowMs: number): CustomMetricsBatch {
  const parsed = customMetricsSchema.safeParse(input);
  if (!parsed.success) {
    const issues: FieldIssue[] = parsed.error.issues.slice(0, 20).map((i) => ({ path: i.path.map(String).join('.') || '(body)', message: i.message }));
    throw new ValidationError('KSK_METRICS_PUSH_INVALID', `metrics push rejected, nothing stored: ${issues[0]!.path}: ${issues[0]!.message}`, issues);
  }
  const req = parsed.data;
  const issues: FieldIssue[] = [];
  const units = new Map<string, string>();
  // Datums of one series at one instant merge, as CloudWatch aggregates them, instead of the
  // later silently replacing the earlier in storage.
  const merged = new Map<string, { labels: Labels; t: number; agg: Aggregate }>();
  req.metrics.forEach((d, i) => {
    const at = `metrics.${i}`;
    const kinds = [d.value !== undefined, d.values !== undefined, d.statisticValues !== undefined].filter(Boolean).length;
    if (kinds !== 1) issues.push({ path: at, message: 'give exactly one of value, values (with counts) or statisticValues' });
    if (d.counts !== undefined && d.values === undefined) issues.push({ path: `${at}.counts`, message: 'counts needs values' });
    if (d.counts !== undefined && d.values !== undefined && d.counts.length !== d.values.length) {
      issues.push({ path: `${at}.counts`, message: `must have as many entries as values (${d.values.length}), got ${d.counts.length}` });
    }
    if (d.statisticValues && d.statisticValues.min > d.statisticValues.max) issues.push({ path: `${at}.statisticValues.min`, message: 'must not be greater than max' });
    const dims = d.dimensions ?? {};
    const dimNames = Object.keys(dims);
    if (dimNames.length > MAX_DIMENSIONS) issues.push({ path: `${at}.dimensions`, message: `at most ${MAX_DIMENSIONS} dimensions` });
    for (const n of dimNames) {
      if (!LABEL_NAME_RE.test(n) || n.startsWith('__')) issues.push({ path: `${at}.dimensions.${n}`, message: 'dimension names are letters, digits and "_", not starting with a digit or "__"' });
    }
    let t = nowMs;
    if (d.timestamp !== undefined) {
      const ms = typeof d.timestamp === 'number' ? (Number.isFinite(d.timestamp) ? Math.round(d.timestamp * 1000) : undefined) : parseTimestampMs(d.timestamp);
      if (ms === undefined) issues.push({ path: `${at}.timestamp`, message: 'must be RFC 3339 text (2026-01-02T13:37:00Z) or unix seconds' });
      else if (ms < nowMs - MAX_AGE_MS) issues.push({ path: `${at}.timestamp`, message: 'is more than two weeks old' });
      else if (ms > nowMs + MAX_AHEAD_MS) issues.push({ path: `${at}.timestamp`, message: 'is more than two hours in the future' });
      else t = ms;
    }
    if (issues.length) return;
    const name = seriesNameFor(req.namespace, d.name);
    if (d.unit) units.set(name, d.unit);
    const labels: Labels = { ...dims, __name__: name };
    const agg = aggregateOf(d);
    const key = `${JSON.stringify(Object.entries(labels).sort())}@${t}`;
    const prev = merged.get(key);
    if (prev) prev.agg = combine(prev.agg, agg);
    else merged.set(key, { labels, t, agg });
  });
  if (issues.length) {
    throw new ValidationError('KSK_METRICS_PUSH_INVALID', `metrics push rejected, nothing stored: ${issues[0]!.path}: ${issues[0]!.message}${issues.length > 1 ? ` (and ${issues.length - 1} more)` : ''}`, issues.slice(0, 20));
  }
  const samples: SampleRow[] = [];
  for (const { labels, t, agg } of merged.values()) {
    samples.push({ labels, t, v: agg.single ? agg.sum : agg.sum / agg.count });
    if (agg.single) continue;
    const base = labels.__name__!;
    samples.push({ labels: { ...labels, __name__: `${base}_count` }, t, v: agg.count });
    samples.push({ labels: { ...labels, __name__: `${base}_sum` }, t, v: agg.sum });
    samples.push({ labels: { ...labels, __name__: `${base}_min` }, t, v: agg.min });
    samples.push({ labels: { ...labels, __name__: `${base}_max` }, t, v: agg.max });
  }
  return { samples, units, datums: req.metrics.length };
}

function aggregateOf(d: CustomMetricsRequest['metrics'][number]): Aggregate {
  if (d.value !== undefined) return { count: 1, sum: d.value, min: d.value, max: d.value, single: true };
  if (d.statisticValues) {
    const s = d.statisticValues;
    return { count: s.sampleCount, sum: s.sum, min: s.min, max: s.max, single: false };
  }
  const values = d.values!;
  let count = 0;
  let sum = 0;
  values.forEach((v, i) => {
    const c = d.counts?.[i] ?? 1;
    count += c;
    sum += v * c;
  });
  return { count, sum, min: Math.min(...values), max: Math.max(...values), single: false };
}

function combine(a: Aggregate, b: Aggregate): Aggregate {
  return { count: a.count + b.count, sum: a.sum + b.sum, min: Math.min(a.min, b.min), max: Math.max(a.max, b.max), single: false };
}
