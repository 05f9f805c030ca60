import type { ExpositionFormat, LabelSet, MetricFamily, MetricType } from './types.js';

/*
 * Writes metric families as the Prometheus text format 0.0.4 (default) or OpenMetrics 1.0
 * text, for Kansoku's own /metrics. Sample names are written as given (a counter family
 * `x` must carry `x_total` samples for OpenMetrics). Timestamps are milliseconds in the
 * model; OpenMetrics gets seconds.
 */

/** Types the text format has no word for are written as `untyped`. */
const TEXT_TYPE: Record<MetricType, string> = {
  counter: 'counter',
  gauge: 'gauge',
  histogram: 'histogram',
  summary: 'summary',
  unknown: 'untyped',
  gaugehistogram: 'untyped',
  info: 'untyped',
  stateset: 'untyped',
};

export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

function escapeLabelValue(v: string): string {
  return /[\\"\n]/.test(v) ? v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n') : v;
}

function escapeHelp(h: string, openMetrics: boolean): string {
  if (!/[\\\n"]/.test(h)) return h;
  const s = h.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
  return openMetrics ? s.replace(/"/g, '\\"') : s;
}

function formatLabels(labels: LabelSet): string {
  let out = '';
  for (const k in labels) out += `${out === '' ? '' : ','}${k}="${escapeLabelValue(labels[k]!)}"`;
  return out === '' ? '' : `{${out}}`;
}

export function formatExposition(families: readonly MetricFamily[], format: ExpositionFormat = 'text'): string {
  const om = format === 'openmetrics';
  const parts: string[] = [];
  for (const f of families) {
    if (om) {
      parts.push(`# TYPE ${f.name} ${f.type}\n`);
      if (f.unit !== '') parts.push(`# UNIT ${f.name} ${f.unit}\n`);
      if (f.help !== '') parts.push(`# HELP ${f.name} ${escapeHelp(f.help, true)}\n`);
    } else {
      if (f.help !== '') parts.push(`# HELP ${f.name} ${escapeHelp(f.help, false)}\n`);
      parts.push(`# TYPE ${f.name} ${TEXT_TYPE[f.type]}\n`);
    }
    for (const s of f.samples) {
      let line = `${s.name}${formatLabels(s.labels)} ${formatValue(s.value)}`;
      if (s.timestamp !== undefined) line += ` ${om ? formatValue(s.timestamp / 1000) : Math.round(s.timestamp)}`;
      if (om && s.exemplar !== undefined) {
        const e = s.exemplar;
        line += ` # ${formatLabels(e.labels) || '{}'} ${formatValue(e.value)}`;
        if (e.timestamp !== undefined) line += ` ${formatValue(e.timestamp / 1000)}`;
      }
      parts.push(`${line}\n`);
    }
  }
  if (om) parts.push('# EOF\n');
  return parts.join('');
}

/**
 * Adapts families read from the text format for OpenMetrics output: a text-format counter
 * family is named like its samples (`x_total`), while OpenMetrics names the family `x`. Where
 * `x` is already another family's name, the counter is written as `unknown` instead, which
 * keeps every sample name intact.
 */
export function toOpenMetricsFamilies(families: readonly MetricFamily[]): MetricFamily[] {
  const names = new Set(families.map((f) => f.name));
  return families.map((f) => {
    if (f.type !== 'counter') return f;
    const base = f.name.endsWith('_total') ? f.name.slice(0, -6) : undefined;
    if (base !== undefined && !names.has(base) && f.samples.every((s) => s.name === f.name || s.name === `${base}_created`)) {
      return { ...f, name: base };
    }
    return { ...f, type: 'unknown' as const };
  });
}
