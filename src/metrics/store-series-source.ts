/**
 * The PromQL engine's storage port over the telemetry store. Both speak epoch milliseconds with
 * inclusive bounds; this adapter clamps the bounds to what the store can hold and turns stored
 * staleness markers back into Prometheus's stale NaN.
 */
import type { LabelMatcher } from '../core/labels.js';
import { STALE_NAN, type SeriesData, type SeriesSource } from '../query/promql/index.js';
import type { TelemetryStore } from '../store/telemetry-store.js';
import { STORED_STALE_MARKER, fromStoredValue } from './stale-marker.js';

/** The latest instant the store's Date columns can represent (2149-06-01); later bounds are clamped. */
export const STORE_MAX_MS = Date.UTC(2149, 5, 1);

export class StoreSeriesSource implements SeriesSource {
  constructor(private readonly store: TelemetryStore) {}

  async select(matchers: LabelMatcher[], minT: number, maxT: number, signal?: AbortSignal): Promise<SeriesData[]> {
    signal?.throwIfAborted();
    const startMs = Math.max(0, Math.floor(minT));
    const endMs = Math.min(STORE_MAX_MS, Math.ceil(maxT));
    if (startMs > endMs) return [];
    const series = await this.store.selectSeries({ matchers, startMs, endMs });
    signal?.throwIfAborted();
    for (const s of series) {
      const cols = s.columns;
      if (cols) {
        // The columns are fresh per read (stores copy out of their own buffers), so they can be fixed in place.
        const v = cols.v;
        for (let i = 0; i < v.length; i++) if (v[i] === STORED_STALE_MARKER) v[i] = STALE_NAN;
      } else {
        for (const p of s.samples) if (p.v === STORED_STALE_MARKER) p.v = fromStoredValue(p.v);
      }
    }
    return series;
  }
}
