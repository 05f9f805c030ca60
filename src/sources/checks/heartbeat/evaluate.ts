import type { CheckMetric, CheckResult } from '../../../core/check-result.js';
import { formatDurationMs, parseDurationMs } from '../../../core/duration.js';
import type { BeatRecord } from './beats.js';
import type { HeartbeatCheckSpec } from './config.js';

function ago(ms: number): string {
  return formatDurationMs(Math.max(0, Math.round(ms / 1000) * 1000));
}

function iso(t: number): string {
  return new Date(t).toISOString();
}

/**
 * A dead-man's switch: the check is CRITICAL when the job reported failure, when a started run
 * did not finish within maxRunTime, or when no success arrived within period + grace of the last
 * one (or of the check's creation, before the first beat). The record goes into the evidence.
 */
export function evaluateHeartbeat(spec: HeartbeatCheckSpec, record: BeatRecord, now: number): CheckResult {
  const period = parseDurationMs(spec.period) ?? 0;
  const grace = parseDurationMs(spec.grace) ?? 0;
  const metrics: CheckMetric[] = [];
  const evidence = { heartbeat: { ...record } };
  const done = (status: CheckResult['status'], message: string): CheckResult => ({ status, message, startedAt: now, durationMs: 0, metrics, evidence });
  const note = record.lastMessage ? `: ${record.lastMessage}` : '';

  if (record.lastSuccess !== undefined) metrics.push({ name: 'heartbeat_age_seconds', value: (now - record.lastSuccess) / 1000, unit: 's' });
  if (record.lastStart !== undefined && record.lastSuccess !== undefined && record.lastSuccess >= record.lastStart) {
    metrics.push({ name: 'heartbeat_job_duration_seconds', value: (record.lastSuccess - record.lastStart) / 1000, unit: 's' });
  }

  const success = record.lastSuccess ?? -Infinity;
  if (record.lastFail !== undefined && (record.lastFail > success || (record.lastFail === success && record.lastKind === 'fail'))) {
    return done('critical', `job reported failure at ${iso(record.lastFail)} (${ago(now - record.lastFail)} ago)${note}`);
  }
  const maxRun = spec.maxRunTime === undefined ? undefined : parseDurationMs(spec.maxRunTime);
  if (maxRun !== undefined && record.lastStart !== undefined && record.lastStart > (record.lastSuccess ?? -Infinity) && now - record.lastStart > maxRun) {
    return done('critical', `job started at ${iso(record.lastStart)} and has not reported success within maxRunTime ${spec.maxRunTime}`);
  }
  const reference = record.lastSuccess ?? record.firstSeen;
  const late = now - (reference + period + grace);
  if (late > 0) {
    const what = record.lastSuccess === undefined ? `no beat received since the check started at ${iso(reference)}` : `last beat at ${iso(reference)}, ${ago(now - reference)} ago`;
    return done('critical', `${what}; expected every ${spec.period} (+${spec.grace} grace), late by ${ago(late)}`);
  }
  if (record.lastSuccess === undefined) return done('ok', `waiting for the first beat, due by ${iso(reference + period + grace)}`);
  return done('ok', `last beat ${ago(now - record.lastSuccess)} ago; next due by ${iso(reference + period + grace)}${note}`);
}
