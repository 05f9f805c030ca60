import type { CheckMetric, CheckResult } from '../core/check-result.js';
import { STATUS_CODE } from '../core/check-result.js';
import type { SampleRow } from '../store/telemetry-store.js';

/** A probe's metric name as a Prometheus metric name suffix: [a-zA-Z0-9_], milliseconds as seconds. */
export function sampleNameAndValue(m: CheckMetric): { name: string; value: number } {
  let name = m.name.replace(/[^a-zA-Z0-9_]+/g, '_').replace(/^_+|_+$/g, '') || 'value';
  let value = m.value;
  if (m.unit === 'ms') {
    name = name.endsWith('_ms') ? `${name.slice(0, -3)}_seconds` : `${name}_seconds`;
    value = value / 1000;
  }
  return { name: `kansoku_check_${name}`, value };
}

/**
 * The series a check run adds: up (1 when OK or WARNING: the service answered), the Nagios
 * status code, the run's duration, and each metric the probe measured.
 */
export function resultSamples(check: string, location: string, r: CheckResult): SampleRow[] {
  const labels = (name: string) => ({ __name__: name, check, location });
  const t = r.startedAt;
  const rows: SampleRow[] = [
    { labels: labels('kansoku_check_up'), t, v: r.status === 'ok' || r.status === 'warning' ? 1 : 0 },
    { labels: labels('kansoku_check_status'), t, v: STATUS_CODE[r.status] },
    { labels: labels('kansoku_check_duration_seconds'), t, v: r.durationMs / 1000 },
  ];
  const seen = new Set(rows.map((x) => x.labels.__name__));
  for (const m of r.metrics) {
    if (!Number.isFinite(m.value)) continue;
    const { name, value } = sampleNameAndValue(m);
    // Two metrics mapping to one name would overwrite each other in one timestamp; keep the first.
    if (seen.has(name)) continue;
    seen.add(name);
    rows.push({ labels: labels(name), t, v: value });
  }
  return rows;
}
