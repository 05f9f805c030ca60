import { z } from 'zod';
import { durationSchema, parseDurationMs } from '../../core/duration.js';
import { ValidationError, type FieldIssue } from '../../lib/errors.js';
import { DEFAULT_RETENTION, type RetentionConfig } from '../telemetry-store.js';

/** Retention as users write it in configuration: Prometheus-style durations. */
export const retentionConfigSchema = z
  .object({
    samples: durationSchema.optional().describe('How long metric samples are kept, e.g. "15d" (default).'),
    checkResults: durationSchema.optional().describe('How long check results are kept, e.g. "90d" (default).'),
    logEvents: durationSchema.optional().describe('How long log events are kept, e.g. "30d" (default).'),
    rollups5m: durationSchema.optional().describe('How long 5-minute rollups of samples are kept, e.g. "90d" (default).'),
    rollups1h: durationSchema.optional().describe('How long 1-hour rollups of samples are kept, e.g. "730d" (default).'),
  })
  .strict()
  .describe('Telemetry retention; data older than this is dropped by ClickHouse TTL and hidden from reads.');

export type RetentionConfigInput = z.infer<typeof retentionConfigSchema>;

/** Shortest retention accepted: one minute (TTL works in whole seconds). */
const MIN_RETENTION_MS = 60_000;

/** Converts configuration text into milliseconds, filling defaults. */
export function retentionFromConfig(input: RetentionConfigInput = {}): RetentionConfig {
  return resolveRetention({
    samplesMs: input.samples !== undefined ? parseDurationMs(input.samples) : undefined,
    checkResultsMs: input.checkResults !== undefined ? parseDurationMs(input.checkResults) : undefined,
    logEventsMs: input.logEvents !== undefined ? parseDurationMs(input.logEvents) : undefined,
    rollups5mMs: input.rollups5m !== undefined ? parseDurationMs(input.rollups5m) : undefined,
    rollups1hMs: input.rollups1h !== undefined ? parseDurationMs(input.rollups1h) : undefined,
  });
}

/** Fills defaults and refuses retentions TTL cannot express. */
export function resolveRetention(partial: Partial<RetentionConfig> = {}): RetentionConfig {
  const out = { ...DEFAULT_RETENTION };
  const issues: FieldIssue[] = [];
  for (const key of Object.keys(DEFAULT_RETENTION) as (keyof RetentionConfig)[]) {
    const v = partial[key];
    if (v === undefined) continue;
    if (!Number.isFinite(v) || v < MIN_RETENTION_MS) {
      issues.push({ path: `retention.${key}`, message: `must be at least 1m, got ${v} ms` });
      continue;
    }
    out[key] = v;
  }
  if (issues.length) {
    throw new ValidationError('KSK_STORE_RETENTION_INVALID', 'telemetry retention is invalid: use durations of at least "1m", e.g. "15d"', issues);
  }
  return out;
}
