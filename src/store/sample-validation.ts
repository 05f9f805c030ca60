/**
 * Validation of sample batches, shared by every TelemetryStore adapter (the ClickHouse store and
 * the WAL/head decorator): both must refuse the same batch, whole, with the same message.
 * Hand-written rather than zod: this runs for every sample on the hot ingest path.
 */
import { ValidationError, type FieldIssue } from '../lib/errors.js';
import type { AppendSeries, SampleRow } from './telemetry-store.js';

export function isEpochMs(t: unknown): t is number {
  return typeof t === 'number' && Number.isInteger(t) && t >= 0;
}

function allStrings(labels: SampleRow['labels']): boolean {
  for (const name in labels) if (typeof labels[name] !== 'string') return false;
  return true;
}

/** Throws one ValidationError naming the first problem and counting the rest; nothing is stored. */
export function throwIfIssues(code: string, what: string, issues: FieldIssue[]): void {
  if (!issues.length) return;
  const first = issues[0]!;
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
  throw new ValidationError(code, `${what} rejected, nothing stored: ${first.path} ${first.message}${more}`, issues.slice(0, 20));
}

/** A batch of rows: metric name, string label values, epoch-ms timestamps, numeric values. */
export function validateSamples(samples: SampleRow[]): void {
  const issues: FieldIssue[] = [];
  let lastLabels: SampleRow['labels'] | undefined;
  for (let i = 0; i < samples.length && issues.length < 20; i++) {
    const s = samples[i]!;
    if (s.labels !== lastLabels) {
      const name = s.labels?.__name__;
      if (typeof name !== 'string' || name === '') issues.push({ path: `samples[${i}].labels.__name__`, message: 'is required (the metric name)' });
      else if (!allStrings(s.labels)) issues.push({ path: `samples[${i}].labels`, message: 'values must be strings' });
      else lastLabels = s.labels;
    }
    if (!isEpochMs(s.t)) issues.push({ path: `samples[${i}].t`, message: `must be epoch milliseconds (a non-negative integer), got ${String(s.t)}` });
    if (typeof s.v !== 'number') issues.push({ path: `samples[${i}].v`, message: 'must be a number' });
  }
  if (!issues.length) return;
  const first = issues[0]!;
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
  throw new ValidationError('KSK_STORE_SAMPLE_INVALID', `sample batch rejected, nothing stored: ${first.path} ${first.message}${more}`, issues.slice(0, 20));
}

/**
 * Frozen label objects that passed the checks: they cannot change, and remote-write hands the
 * same one for a series in every batch (to the head, then to the store's flusher), so walking
 * their labels again was a few per cent of ingest.
 */
const validFrozenLabels = new WeakSet<object>();
const CHECKED = Symbol('labels checked');

/** validateSamples for the columnar form; returns the number of samples. */
export function validateSeriesColumns(series: AppendSeries[]): number {
  const issues: FieldIssue[] = [];
  let n = 0;
  for (let j = 0; j < series.length && issues.length < 20; j++) {
    const { labels, t, v, start = 0, end = t?.length, slot } = series[j]!;
    // A slot holding these very labels as checked skips even the WeakSet lookup (10,000 series a request).
    if (slot?.[CHECKED] === labels) {
      /* checked before */
    } else if (labels === null || typeof labels !== 'object' || !validFrozenLabels.has(labels)) {
      const name = labels?.__name__;
      if (typeof name !== 'string' || name === '') issues.push({ path: `series[${j}].labels.__name__`, message: 'is required (the metric name)' });
      else if (!allStrings(labels)) issues.push({ path: `series[${j}].labels`, message: 'values must be strings' });
      else if (Object.isFrozen(labels)) {
        validFrozenLabels.add(labels);
        if (slot) slot[CHECKED] = labels;
      }
    } else if (slot) slot[CHECKED] = labels;
    if (!(t instanceof Float64Array) || !(v instanceof Float64Array) || t.length !== v.length) {
      issues.push({ path: `series[${j}]`, message: 't and v must be Float64Arrays of equal length' });
      continue;
    }
    if (!(Number.isInteger(start) && Number.isInteger(end) && start >= 0 && start <= end && end <= t.length)) {
      issues.push({ path: `series[${j}]`, message: `rows [${String(start)}, ${String(end)}) must lie within t and v (length ${t.length})` });
      continue;
    }
    for (let i = start; i < end; i++) {
      const x = t[i]!;
      if (!(x >= 0 && Number.isInteger(x))) {
        issues.push({ path: `series[${j}].t[${i}]`, message: `must be epoch milliseconds (a non-negative integer), got ${String(x)}` });
        break;
      }
    }
    n += end - start;
  }
  if (!issues.length) return n;
  const first = issues[0]!;
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
  throw new ValidationError('KSK_STORE_SAMPLE_INVALID', `sample batch rejected, nothing stored: ${first.path} ${first.message}${more}`, issues.slice(0, 20));
}
