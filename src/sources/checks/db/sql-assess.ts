/**
 * Judges what a check query returned against the spec: row counts, the first value, text in
 * the result, and thresholds on the first value as a number. Pure, so every rule is unit tested.
 */
import type { CheckMetric, CheckStatus } from '../../../core/check-result.js';
import { worstStatus } from '../../../core/check-result.js';
import type { SqlExpect } from './sql-config.js';
import { asNumber, formatNumber, judgeThresholds, withLimits, type Threshold } from './thresholds.js';

export interface QueryOutcome {
  /** Rows as arrays, columns in select order. */
  rows: unknown[][];
}

export interface QueryVerdict {
  status: CheckStatus;
  /** Problems first, then what was found, e.g. ["first value 12 is above 10 (critical)"]. */
  problems: string[];
  /** What the query returned, for the OK message: "1 row, first value 42". */
  summary: string;
  metrics: CheckMetric[];
}

/** A cell as text the way a user would type it into `equals`. */
export function cellText(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  if (v instanceof Date) return v.toISOString();
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

function clip(text: string, max = 60): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

export function assessQuery(
  result: QueryOutcome,
  expect: SqlExpect | undefined,
  warning: Threshold | undefined,
  critical: Threshold | undefined,
): QueryVerdict {
  const n = result.rows.length;
  const first = result.rows[0]?.[0];
  const firstText = n > 0 && (result.rows[0]?.length ?? 0) > 0 ? cellText(first) : undefined;
  const problems: string[] = [];
  let status: CheckStatus = 'ok';
  const fail = (s: CheckStatus, text: string) => {
    status = worstStatus(status, s);
    problems.push(text);
  };
  const metrics: CheckMetric[] = [{ name: 'rows', value: n, min: 0 }];

  if (expect?.rows !== undefined && n !== expect.rows) fail('critical', `query returned ${n} row${n === 1 ? '' : 's'}, expected ${expect.rows}`);
  if (expect?.minRows !== undefined && n < expect.minRows) fail('critical', `query returned ${n} row${n === 1 ? '' : 's'}, expected at least ${expect.minRows}`);
  if (expect?.equals !== undefined) {
    const want = String(expect.equals);
    if (firstText === undefined) fail('critical', `query returned no value, expected "${clip(want)}"`);
    else if (firstText !== want) fail('critical', `query returned "${clip(firstText)}", expected "${clip(want)}"`);
  }
  if (expect?.contains !== undefined) {
    const needle = expect.contains;
    const found = result.rows.some((row) => row.some((c) => cellText(c).includes(needle)));
    if (!found) fail('critical', `no value in the result contains "${clip(needle)}"`);
  }
  if (warning || critical) {
    const value = asNumber(first);
    if (value === undefined) {
      fail('unknown', firstText === undefined ? 'query returned no value to compare with the thresholds' : `query returned "${clip(firstText)}", not a number to compare with the thresholds`);
    } else {
      const v = judgeThresholds(value, warning, critical);
      metrics.push(withLimits({ name: 'value', value }, warning, critical));
      if (v.status !== 'ok') fail(v.status, `query value ${v.reason}`);
    }
  } else {
    const value = asNumber(first);
    if (value !== undefined) metrics.push({ name: 'value', value });
  }
  const value = asNumber(first);
  const summary =
    firstText === undefined
      ? `${n} row${n === 1 ? '' : 's'}`
      : `${n} row${n === 1 ? '' : 's'}, first value ${value !== undefined ? formatNumber(value) : `"${clip(firstText)}"`}`;
  return { status, problems, summary, metrics };
}
