import { z } from 'zod';
import type { CheckMetric, CheckStatus } from '../../../core/check-result.js';

/**
 * A numeric limit as the issue words it: `warning: {above: 100}, critical: {above: 1000}`
 * ("a stuck job queue is a fault"). Shared by the sql, redis and snmp checks.
 */
export const thresholdSchema = z
  .object({
    above: z.number().optional().describe('the state applies when the value is greater than this'),
    below: z.number().optional().describe('the state applies when the value is less than this'),
  })
  .strict()
  .refine((t) => t.above !== undefined || t.below !== undefined, { message: 'give above, below or both' });

export type Threshold = z.output<typeof thresholdSchema>;

export interface ThresholdVerdict {
  status: CheckStatus;
  /** Why, e.g. "1200 is above 1000 (critical)"; undefined when ok. */
  reason?: string;
}

function breach(value: number, t: Threshold | undefined): string | undefined {
  if (!t) return undefined;
  if (t.above !== undefined && value > t.above) return `above ${t.above}`;
  if (t.below !== undefined && value < t.below) return `below ${t.below}`;
  return undefined;
}

/** Critical wins over warning; a value that breaches neither is ok. */
export function judgeThresholds(value: number, warning: Threshold | undefined, critical: Threshold | undefined): ThresholdVerdict {
  const crit = breach(value, critical);
  if (crit) return { status: 'critical', reason: `${formatNumber(value)} is ${crit} (critical)` };
  const warn = breach(value, warning);
  if (warn) return { status: 'warning', reason: `${formatNumber(value)} is ${warn} (warning)` };
  return { status: 'ok' };
}

/** Nagios perfdata range text for a threshold, so metrics carry their limits: above 100 → "100", below 5 → "5:". */
export function thresholdRange(t: Threshold | undefined): string | undefined {
  if (!t) return undefined;
  if (t.above !== undefined && t.below !== undefined) return `${t.below}:${t.above}`;
  if (t.above !== undefined) return String(t.above);
  return `${t.below}:`;
}

/** The metric with its warn / crit ranges set, leaving out the ones not given. */
export function withLimits(metric: CheckMetric, warning: Threshold | undefined, critical: Threshold | undefined): CheckMetric {
  const warn = thresholdRange(warning);
  const crit = thresholdRange(critical);
  return { ...metric, ...(warn !== undefined ? { warn } : {}), ...(crit !== undefined ? { crit } : {}) };
}

export function formatNumber(n: number): string {
  return Number.isInteger(n) ? String(n) : String(Math.round(n * 1000) / 1000);
}

/** A reply value as a number when it is one ("42", 42, 42n); undefined for text, null, NaN. */
export function asNumber(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return undefined;
}
