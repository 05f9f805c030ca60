/**
 * The outcome of one run of one check, whatever its type. Expected failures are data, not
 * exceptions: a target that is down gives status "critical"; a probe that cannot tell gives
 * "unknown". Status codes follow the Nagios plugin API (0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN).
 */
export type CheckStatus = 'ok' | 'warning' | 'critical' | 'unknown';

export const STATUS_CODE: Record<CheckStatus, 0 | 1 | 2 | 3> = { ok: 0, warning: 1, critical: 2, unknown: 3 };
export const STATUS_FROM_CODE: CheckStatus[] = ['ok', 'warning', 'critical', 'unknown'];

/** Worst-of ordering used when several assertions or locations combine: critical > unknown > warning > ok. */
export function worstStatus(a: CheckStatus, b: CheckStatus): CheckStatus {
  const rank: Record<CheckStatus, number> = { ok: 0, warning: 1, unknown: 2, critical: 3 };
  return rank[a] >= rank[b] ? a : b;
}

/** One number a probe measured, kept as a metric (Nagios perfdata, HTTP timings, SNMP values). */
export interface CheckMetric {
  name: string;
  value: number;
  unit?: string;
  warn?: string;
  crit?: string;
  min?: number;
  max?: number;
}

export interface CheckEvidence {
  /** Short excerpt of what the target answered (HTTP body, banner, DNS answer). */
  responseExcerpt?: string;
  /** Output of ping / tracepath to the target, captured when the check turned bad. */
  ping?: string;
  traceroute?: string;
  [key: string]: unknown;
}

export interface CheckResult {
  status: CheckStatus;
  /** One line a human reads first, e.g. "HTTP 500 from https://shop.example.com/ in 120 ms". */
  message: string;
  /** When the probe started, epoch milliseconds. */
  startedAt: number;
  durationMs: number;
  metrics: CheckMetric[];
  evidence?: CheckEvidence;
}
