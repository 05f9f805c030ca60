import type { Label } from './types.js';

/*
 * Series validation as the remote-write 1.0 spec and Prometheus' receiver apply it: label
 * names match [a-zA-Z_][a-zA-Z0-9_]*, are sorted and unique, `__name__` is present and a valid
 * metric name. Labels with empty values are dropped (Prometheus treats empty as absent) rather
 * than rejected. A bad series is reported, never fatal for the request: the spec lets
 * receivers keep the valid series and answer 400 for the rest.
 */

const METRIC_NAME_RE = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

/** Names already checked; label names repeat across series, so most checks are a lookup. */
const knownNames = new Set<string>();

function isLabelName(n: string): boolean {
  if (knownNames.has(n)) return true;
  if (!checkLabelName(n)) return false;
  if (knownNames.size < 10_000) knownNames.add(n);
  return true;
}

function checkLabelName(n: string): boolean {
  const len = n.length;
  if (len === 0) return false;
  for (let i = 0; i < len; i++) {
    const c = n.charCodeAt(i);
    const ok = (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || (i > 0 && c >= 48 && c <= 57);
    if (!ok) return false;
  }
  return true;
}

/** Returns the reason the series must be rejected, or undefined (then empty-valued labels are removed). */
export function validateSeries(ts: { labels: Label[] }): string | undefined {
  const labels = ts.labels;
  let metricName: string | undefined;
  let empties = 0;
  for (let i = 0; i < labels.length; i++) {
    const [name, value] = labels[i]!;
    if (!isLabelName(name)) return name === '' ? 'empty label name' : `invalid label name ${JSON.stringify(name)}`;
    if (i > 0) {
      const prev = labels[i - 1]![0];
      if (name === prev) return `duplicate label name ${JSON.stringify(name)}`;
      if (name < prev) return `labels are not sorted by name: ${JSON.stringify(prev)} comes before ${JSON.stringify(name)}`;
    }
    if (name === '__name__') metricName = value;
    if (value === '') empties++;
  }
  if (metricName === undefined || metricName === '') return 'missing metric name (no __name__ label)';
  if (!METRIC_NAME_RE.test(metricName)) return `invalid metric name ${JSON.stringify(metricName)}`;
  if (empties > 0) ts.labels = labels.filter((l: Label) => l[1] !== '');
  return undefined;
}
