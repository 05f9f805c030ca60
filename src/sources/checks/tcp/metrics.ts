import type { CheckMetric } from '../../../core/check-result.js';
import type { ConnectionTimings } from './connection.js';

/** Milliseconds as a metric, rounded to microseconds so stored values stay short. */
export function msMetric(name: string, ms: number, extra: Partial<CheckMetric> = {}): CheckMetric {
  return { name, value: Math.round(ms * 1000) / 1000, unit: 'ms', min: 0, ...extra };
}

/** dns_ms, connect_ms and (with TLS) tls_ms from whatever phases completed. */
export function connectionMetrics(t: Partial<ConnectionTimings> | undefined): CheckMetric[] {
  if (!t) return [];
  const out: CheckMetric[] = [];
  if (t.dnsMs !== undefined) out.push(msMetric('dns_ms', t.dnsMs));
  if (t.connectMs !== undefined) out.push(msMetric('connect_ms', t.connectMs));
  if (t.tlsMs !== undefined) out.push(msMetric('tls_ms', t.tlsMs));
  return out;
}
