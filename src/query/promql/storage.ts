import type { LabelMatcher, Labels } from '../../core/labels.js';
import { ColumnarSeries } from '../../store/sample-columns.js';
import type { SampleColumns, SamplePoint, SeriesData } from '../../store/telemetry-store.js';
import { matcherPredicate } from './labels.js';
import { lowerBound } from '../../lib/sorted.js';

export type { LabelMatcher, Labels };
/**
 * One stored series: its labels (`__name__` included) and float samples sorted by time, the
 * telemetry store port's own type. A source should fill `columns` (e.g. with ColumnarSeries):
 * the engine then reads the typed arrays without a point object per sample.
 */
export type { SampleColumns, SamplePoint, SeriesData };
export { ColumnarSeries };

/** The port the PromQL engine reads through; storage back ends implement it. */
export interface SeriesSource {
  /** All series matching the matchers with their float samples in [minT, maxT] (ms, inclusive), sorted by time. */
  select(matchers: LabelMatcher[], minT: number, maxT: number, signal?: AbortSignal): Promise<SeriesData[]>;
}

/** Prometheus marks the end of a series with this exact NaN bit pattern (0x7ff0000000000002). */
const STALE_BITS_HI = 0x7ff00000;
const STALE_BITS_LO = 0x00000002;
const staleView = new DataView(new ArrayBuffer(8));

export const STALE_NAN: number = (() => {
  staleView.setUint32(0, STALE_BITS_HI);
  staleView.setUint32(4, STALE_BITS_LO);
  return staleView.getFloat64(0);
})();

/**
 * JavaScript engines may canonicalise NaN payloads when a number passes through arithmetic,
 * so stores that need to keep the marker should keep it in a Float64Array or compare bits here.
 */
export function isStaleNaN(v: number): boolean {
  if (!Number.isNaN(v)) return false;
  staleView.setFloat64(0, v);
  return staleView.getUint32(0) === STALE_BITS_HI && staleView.getUint32(4) === STALE_BITS_LO;
}

interface StoredSeries {
  labels: Labels;
  t: Float64Array;
  v: Float64Array;
  /** Stale markers kept as a separate flag so the NaN payload cannot be lost. */
  stale: Uint8Array;
}

/** An in-memory SeriesSource for tests and small embedded uses. */
export class MemorySeriesSource implements SeriesSource {
  private readonly series = new Map<string, { labels: Labels; points: Map<number, number> }>();
  private frozen: StoredSeries[] | undefined;

  /** Adds (or overwrites) samples of a series; `v` may be STALE_NAN. */
  add(labels: Labels, samples: SamplePoint[]): void {
    const key = seriesKey(labels);
    let s = this.series.get(key);
    if (!s) {
      s = { labels: { ...labels }, points: new Map() };
      this.series.set(key, s);
    }
    for (const p of samples) s.points.set(p.t, p.v);
    this.frozen = undefined;
  }

  clear(): void {
    this.series.clear();
    this.frozen = undefined;
  }

  private stored(): StoredSeries[] {
    if (this.frozen) return this.frozen;
    this.frozen = [...this.series.values()].map((s) => {
      const ts = [...s.points.keys()].sort((a, b) => a - b);
      const v = new Float64Array(ts.length);
      const stale = new Uint8Array(ts.length);
      ts.forEach((t, i) => {
        const val = s.points.get(t)!;
        v[i] = val;
        stale[i] = isStaleNaN(val) ? 1 : 0;
      });
      return { labels: s.labels, t: Float64Array.from(ts), v, stale };
    });
    return this.frozen;
  }

  select(matchers: LabelMatcher[], minT: number, maxT: number, signal?: AbortSignal): Promise<SeriesData[]> {
    signal?.throwIfAborted();
    const preds = matchers.map(matcherPredicate);
    const out: SeriesData[] = [];
    for (const s of this.stored()) {
      if (!preds.every((p) => p(s.labels))) continue;
      const lo = lowerBound(s.t, minT);
      let hi = lo;
      while (hi < s.t.length && s.t[hi]! <= maxT) hi++;
      const t = s.t.slice(lo, hi);
      const v = s.v.slice(lo, hi);
      for (let i = lo; i < hi; i++) if (s.stale[i]) v[i - lo] = STALE_NAN;
      out.push(new ColumnarSeries({ ...s.labels }, t, v));
    }
    return Promise.resolve(out);
  }
}


function seriesKey(labels: Labels): string {
  return JSON.stringify(Object.keys(labels).sort().map((k) => [k, labels[k]]));
}
