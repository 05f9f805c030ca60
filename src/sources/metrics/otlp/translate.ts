import type { FlatSample, LabelSet } from '../exposition/types.js';
import type { Attribute, OtlpMetric, OtlpMetricsRequest, OtlpPoint } from './model.js';
import { formatBound, prometheusLabelName, prometheusMetricName, prometheusUnit, type NamingType } from './naming.js';

/*
 * OTLP metrics → Prometheus samples, as Prometheus' OTLP receiver does it: `service.name`
 * (prefixed by `service.namespace/`) becomes `job`, `service.instance.id` becomes `instance`,
 * other resource attributes go to a `target_info` series; gauges and sums become one series
 * per point, monotonic cumulative sums are counters (`_total`), explicit-bucket histograms
 * become `_bucket{le}` (cumulated), `_sum`, `_count`, summaries `{quantile}`, `_sum`, `_count`.
 * Delta temporality and exponential histograms are not stored by Prometheus without feature
 * flags; they are reported in `dropped` instead. A point flagged "no recorded value" becomes
 * a stale marker.
 */

export interface OtlpTranslateOptions {
  /** Add `otel_scope_name` / `otel_scope_version` labels (Prometheus `promote_scope_metadata`). Default false. */
  promoteScopeMetadata?: boolean;
  /** Resource attributes copied onto every series (Prometheus `promote_resource_attributes`). */
  promoteResourceAttributes?: readonly string[];
  /** Emit `target_info` carrying the other resource attributes. Default true. */
  targetInfo?: boolean;
  /** Append unit and type suffixes to names. Default true. */
  addSuffixes?: boolean;
}

export interface OtlpSample extends FlatSample {
  /** The point had the "no recorded value" flag: store a stale marker. */
  stale?: true;
}

export interface OtlpFamilyMetadata {
  metricFamilyName: string;
  type: 'counter' | 'gauge' | 'histogram' | 'summary';
  help: string;
  unit: string;
}

export interface OtlpTranslation {
  samples: OtlpSample[];
  metadata: OtlpFamilyMetadata[];
  dropped: { metric: string; points: number; reason: string }[];
}

const IDENTITY_ATTRS = new Set(['service.name', 'service.namespace', 'service.instance.id']);
const NO_RECORDED_VALUE = 1;

/** Attributes → labels; keys that normalise to the same name get their values joined with ";" (sorted by key). */
function addAttributes(labels: LabelSet, attrs: readonly Attribute[]): void {
  if (attrs.length === 0) return;
  const sorted = attrs.length > 1 ? [...attrs].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)) : attrs;
  const seen = new Set<string>();
  for (const [k, v] of sorted) {
    const name = prometheusLabelName(k);
    if (name === undefined || v === '') continue;
    if (seen.has(name)) labels[name] = `${labels[name]};${v}`;
    else {
      labels[name] = v;
      seen.add(name);
    }
  }
}

export function translateOtlpMetrics(req: OtlpMetricsRequest, options: OtlpTranslateOptions = {}): OtlpTranslation {
  const out: OtlpTranslation = { samples: [], metadata: [], dropped: [] };
  const families = new Set<string>();
  const promote = new Set(options.promoteResourceAttributes ?? []);

  for (const rm of req.resourceMetrics) {
    const res = new Map(rm.resource);
    const service = res.get('service.name');
    const namespace = res.get('service.namespace');
    const job = service === undefined ? undefined : namespace ? `${namespace}/${service}` : service;
    const instance = res.get('service.instance.id');
    const promoted = rm.resource.filter(([k]) => promote.has(k) && !IDENTITY_ATTRS.has(k));
    let latest = 0;

    for (const scope of rm.scopes) {
      for (const m of scope.metrics) {
        const base = (point: OtlpPoint): LabelSet => {
          const labels: LabelSet = {};
          addAttributes(labels, promoted);
          if (options.promoteScopeMetadata) {
            if (scope.name !== '') labels.otel_scope_name = scope.name;
            if (scope.version !== '') labels.otel_scope_version = scope.version;
          }
          addAttributes(labels, point.attributes);
          if (job !== undefined && job !== '') labels.job = job;
          if (instance !== undefined && instance !== '') labels.instance = instance;
          return labels;
        };
        const n = translateMetric(m, base, options.addSuffixes ?? true, out);
        if (n === undefined) continue;
        if (!families.has(n.name)) {
          families.add(n.name);
          out.metadata.push({ metricFamilyName: n.name, type: n.type, help: m.description, unit: prometheusUnit(m.unit) });
        }
        for (const p of m.points) if (p.timeMs > latest) latest = p.timeMs;
      }
    }

    const extra = rm.resource.filter(([k]) => !IDENTITY_ATTRS.has(k) && !promote.has(k));
    if ((options.targetInfo ?? true) && extra.length > 0 && (job !== undefined || instance !== undefined)) {
      const labels: LabelSet = { __name__: 'target_info' };
      addAttributes(labels, extra);
      if (job) labels.job = job;
      if (instance) labels.instance = instance;
      out.samples.push(latest > 0 ? { labels, value: 1, timestampMs: latest } : { labels, value: 1 });
      if (!families.has('target_info')) {
        families.add('target_info');
        out.metadata.push({ metricFamilyName: 'target_info', type: 'gauge', help: 'Target metadata', unit: '' });
      }
    }
  }
  return out;
}

function push(out: OtlpTranslation, labels: LabelSet, value: number, p: OtlpPoint): void {
  const s: OtlpSample = { labels, value };
  if (p.timeMs > 0) s.timestampMs = p.timeMs;
  if (p.flags & NO_RECORDED_VALUE) {
    s.value = NaN;
    s.stale = true;
  }
  out.samples.push(s);
}

function translateMetric(
  m: OtlpMetric,
  base: (p: OtlpPoint) => LabelSet,
  addSuffixes: boolean,
  out: OtlpTranslation,
): { name: string; type: OtlpFamilyMetadata['type'] } | undefined {
  const drop = (reason: string): undefined => {
    out.dropped.push({ metric: m.name, points: m.points.length, reason });
    return undefined;
  };
  switch (m.kind) {
    case 'gauge':
    case 'sum': {
      if (m.kind === 'sum' && m.temporality !== 2) return drop(m.temporality === 1 ? 'delta temporality is not supported (send cumulative sums)' : 'sum without aggregation temporality');
      const naming: NamingType = m.kind === 'gauge' ? 'gauge' : m.monotonic ? 'counter' : 'nonmonotonic';
      const name = prometheusMetricName(m.name, m.unit, naming, addSuffixes);
      if (name === '') return drop('metric name is empty after normalisation');
      for (const p of m.points) {
        if (p.value === undefined && !(p.flags & NO_RECORDED_VALUE)) continue;
        const labels = base(p);
        labels.__name__ = name;
        push(out, labels, p.value ?? NaN, p);
      }
      return { name, type: naming === 'counter' ? 'counter' : 'gauge' };
    }
    case 'histogram': {
      if (m.temporality !== 2) return drop(m.temporality === 1 ? 'delta temporality is not supported (send cumulative histograms)' : 'histogram without aggregation temporality');
      const name = prometheusMetricName(m.name, m.unit, 'histogram', addSuffixes);
      if (name === '') return drop('metric name is empty after normalisation');
      for (const p of m.points) {
        const counts = p.bucketCounts ?? [];
        const bounds = p.explicitBounds ?? [];
        let cumulative = 0;
        for (let i = 0; i < bounds.length && i < counts.length; i++) {
          cumulative += counts[i]!;
          const labels = base(p);
          labels.le = formatBound(bounds[i]!);
          labels.__name__ = `${name}_bucket`;
          push(out, labels, cumulative, p);
        }
        const inf = base(p);
        inf.le = '+Inf';
        inf.__name__ = `${name}_bucket`;
        push(out, inf, p.count ?? 0, p);
        if (p.sum !== undefined) {
          const labels = base(p);
          labels.__name__ = `${name}_sum`;
          push(out, labels, p.sum, p);
        }
        const labels = base(p);
        labels.__name__ = `${name}_count`;
        push(out, labels, p.count ?? 0, p);
      }
      return { name, type: 'histogram' };
    }
    case 'summary': {
      const name = prometheusMetricName(m.name, m.unit, 'summary', addSuffixes);
      if (name === '') return drop('metric name is empty after normalisation');
      for (const p of m.points) {
        for (const [q, v] of p.quantiles ?? []) {
          const labels = base(p);
          labels.quantile = formatBound(q);
          labels.__name__ = name;
          push(out, labels, v, p);
        }
        const sum = base(p);
        sum.__name__ = `${name}_sum`;
        push(out, sum, p.sum ?? 0, p);
        const count = base(p);
        count.__name__ = `${name}_count`;
        push(out, count, p.count ?? 0, p);
      }
      return { name, type: 'summary' };
    }
    case 'exponentialHistogram':
      return drop('exponential histograms need native-histogram storage, which Kansoku does not have yet');
    default:
      return drop('metric has no data');
  }
}
