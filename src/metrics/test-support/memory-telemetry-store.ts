/**
 * An in-memory TelemetryStore covering samples only, for unit tests of the metrics code.
 * Semantics follow the port: last write wins per (series, t), inclusive ranges, Prometheus
 * matchers, labels with empty values dropped. Not for production: no retention, no limits.
 */
import type { LabelMatcher, Labels } from '../../core/labels.js';
import { matcherPredicate } from '../../query/promql/labels.js';
import type { AggregateRow, AggregateSamplesQuery, AggregateSamplesResult, LabelQuery, SampleRow, SelectSeriesQuery, SeriesData, TelemetryStore } from '../../store/telemetry-store.js';

function key(labels: Labels): string {
  return JSON.stringify(Object.entries(labels).filter(([, v]) => v !== '').sort((a, b) => (a[0] < b[0] ? -1 : 1)));
}

export class MemoryTelemetryStore implements TelemetryStore {
  readonly engine = 'chdb' as const;
  readonly series = new Map<string, { labels: Labels; points: Map<number, number> }>();
  appendCalls = 0;
  /** Makes the next append fail, to test what callers do then. */
  failNextAppend: Error | undefined;

  async migrate(): Promise<void> {}

  async appendSamples(samples: SampleRow[]): Promise<void> {
    this.appendCalls++;
    if (this.failNextAppend) {
      const e = this.failNextAppend;
      this.failNextAppend = undefined;
      throw e;
    }
    for (const s of samples) {
      const labels = Object.fromEntries(Object.entries(s.labels).filter(([, v]) => v !== ''));
      const k = key(labels);
      let entry = this.series.get(k);
      if (!entry) this.series.set(k, (entry = { labels, points: new Map() }));
      entry.points.set(s.t, s.v);
    }
  }

  #matching(matchers: LabelMatcher[] | undefined, startMs: number, endMs: number): { labels: Labels; points: [number, number][] }[] {
    const preds = (matchers ?? []).map(matcherPredicate);
    const out: { labels: Labels; points: [number, number][] }[] = [];
    for (const s of this.series.values()) {
      if (!preds.every((p) => p(s.labels))) continue;
      const points = [...s.points].filter(([t]) => t >= startMs && t <= endMs).sort((a, b) => a[0] - b[0]);
      if (points.length) out.push({ labels: s.labels, points });
    }
    return out.sort((a, b) => (key(a.labels) < key(b.labels) ? -1 : 1));
  }

  async selectSeries(q: SelectSeriesQuery): Promise<SeriesData[]> {
    const found = this.#matching(q.matchers, q.startMs, q.endMs).map((s) => ({ labels: { ...s.labels }, samples: s.points.map(([t, v]) => ({ t, v })) }));
    return q.limit !== undefined ? found.slice(0, q.limit) : found;
  }

  /** Always from raw samples (resolution "raw"); quantiles by nearest rank, like the SQL store on raw data. */
  async aggregateSamples(q: AggregateSamplesQuery): Promise<AggregateSamplesResult> {
    const matched = this.#matching(q.matchers, q.startMs, q.endMs);
    if (q.maxSeries !== undefined && matched.length > q.maxSeries) return { resolution: 'raw', series: matched.length, rows: [] };
    const buckets = new Map<string, { group: Labels; t: number; points: [number, number][] }>();
    for (const s of matched) {
      const group = Object.fromEntries(q.groupBy.map((g) => [g, s.labels[g] ?? '']));
      for (const [t, v] of s.points) {
        if (Number.isNaN(v)) continue;
        const bt = Math.floor(t / q.periodMs) * q.periodMs;
        const k = JSON.stringify([Object.values(group), bt]);
        let b = buckets.get(k);
        if (!b) buckets.set(k, (b = { group, t: bt, points: [] }));
        b.points.push([t, v]);
      }
    }
    const rows: AggregateRow[] = [...buckets.values()].map((b) => {
      const values = b.points.map(([, v]) => v);
      const byTime = [...b.points].sort((x, y) => x[0] - y[0]);
      const row: AggregateRow = {
        group: b.group,
        t: b.t,
        count: values.length,
        sum: values.reduce((a, v) => a + v, 0),
        min: Math.min(...values),
        max: Math.max(...values),
        first: byTime[0]![1],
        last: byTime[byTime.length - 1]![1],
      };
      if (q.quantiles?.length) {
        const sorted = [...values].sort((x, y) => x - y);
        row.quantiles = q.quantiles.map((level) => sorted[Math.max(1, Math.ceil(level * sorted.length)) - 1]!);
      }
      return row;
    });
    rows.sort((a, b) => JSON.stringify(Object.values(a.group)).localeCompare(JSON.stringify(Object.values(b.group))) || a.t - b.t);
    return { resolution: 'raw', series: matched.length, rows };
  }

  async labelNames(q: LabelQuery): Promise<string[]> {
    const names = new Set<string>();
    for (const s of this.#matching(q.matchers, q.startMs, q.endMs)) for (const n of Object.keys(s.labels)) names.add(n);
    return [...names].sort();
  }

  async labelValues(name: string, q: LabelQuery): Promise<string[]> {
    const values = new Set<string>();
    for (const s of this.#matching(q.matchers, q.startMs, q.endMs)) if (s.labels[name]) values.add(s.labels[name]);
    return [...values].sort();
  }

  async appendCheckResults(): Promise<void> {}
  async selectCheckResults(): Promise<never[]> {
    return [];
  }
  async availability(): Promise<{ runs: number; ok: number; ratio: null; byStatus: Record<string, number> }> {
    return { runs: 0, ok: 0, ratio: null, byStatus: {} };
  }
  async appendLogEvents(): Promise<void> {}
  async searchLogs(): Promise<never[]> {
    return [];
  }
  async usage(): Promise<never[]> {
    return [];
  }
  async close(): Promise<void> {}
}
