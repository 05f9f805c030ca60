/**
 * Out-of-order and duplicate samples, handled as Prometheus's TSDB head documents with its
 * default `out_of_order_time_window: 0`: per series, a sample older than the newest one
 * accepted is refused ("out of order sample"); one at the same timestamp with a different
 * value is refused ("duplicate sample for timestamp"); an exact repeat is accepted and stored
 * once (retried remote-write batches are common).
 *
 * The newest sample per series is kept in memory only, so the check covers what this process
 * has seen; after a restart the first sample of each series is accepted, and the store's
 * last-write-wins keeps a re-sent older sample harmless.
 */
import { isStaleNaN } from '../../query/promql/index.js';
import type { KnownSeries } from '../../sources/metrics/remote-write/index.js';
import type { SeriesSlot } from '../../store/telemetry-store.js';

export type SampleVerdict = 'ok' | 'repeat' | 'out_of_order' | 'duplicate';

export const VERDICT_REASON: Record<'out_of_order' | 'duplicate', string> = {
  out_of_order: 'out of order sample',
  duplicate: 'duplicate sample for timestamp',
};

/** Series tracked at most; past it the map is cleared (a cardinality explosion must not grow memory forever). */
const DEFAULT_MAX_SERIES = 1_000_000;

/** What is known of one series: its newest accepted sample, and its labels as last stored. */
export interface TrackedSeries extends KnownSeries {
  t: number;
  v: number;
  stale: boolean;
  /**
   * The frozen labels object this series was last stored with: reusing it for every batch
   * lets the store recognise the series by identity (see AppendSeries) instead of by its text.
   */
  labels: Readonly<Record<string, string>> | undefined;
  /** The same labels as pairs, for messages (and for the decoder to skip decoding them). */
  pairs: [string, string][];
  /** The store's cache slot for this series (AppendSeries.slot), passed with `labels` every time. */
  slot: SeriesSlot;
  /** Set by the remote-write ingest (see KnownSeries): the decoder may find this series without the map. */
  wire: DataView | undefined;
  next: TrackedSeries | undefined;
}

export class HeadTracker {
  readonly #newest = new Map<string, TrackedSeries>();

  constructor(
    /** Samples this much older than a series' newest are still accepted (Prometheus's out_of_order_time_window). */
    private readonly outOfOrderWindowMs = 0,
    private readonly maxSeries = DEFAULT_MAX_SERIES,
  ) {}

  /** Judges one sample of `seriesKey` and, when it is accepted, records it as the newest. */
  admit(seriesKey: string, t: number, v: number, stale = isStaleNaN(v)): SampleVerdict {
    return this.judge(this.series(seriesKey), t, v, stale);
  }

  /** The state of `seriesKey` (created empty), to judge its samples without a lookup each. */
  series(seriesKey: string): TrackedSeries {
    let last = this.#newest.get(seriesKey);
    if (last === undefined) {
      if (this.#newest.size >= this.maxSeries) {
        // Series dropped here stay linked from others' `next`: make them unpredictable too.
        for (const s of this.#newest.values()) s.wire = undefined;
        this.#newest.clear();
      }
      last = { t: -Infinity, v: 0, stale: false, labels: undefined, pairs: [], slot: {}, key: seriesKey, wire: undefined, next: undefined };
      this.#newest.set(seriesKey, last);
    }
    return last;
  }

  /** Judges one sample of the series `last` (from series()) and, when accepted, records it as the newest. */
  judge(last: TrackedSeries, t: number, v: number, stale: boolean): SampleVerdict {
    if (t > last.t) {
      last.t = t;
      last.v = v;
      last.stale = stale;
      return 'ok';
    }
    if (t === last.t) {
      const same = stale === last.stale && (v === last.v ? !Object.is(v, -0) === !Object.is(last.v, -0) : Number.isNaN(v) && Number.isNaN(last.v));
      return same ? 'repeat' : 'duplicate';
    }
    return last.t - t <= this.outOfOrderWindowMs ? 'ok' : 'out_of_order';
  }

  /** The state of `seriesKey` when it was seen before (with its labels), else undefined. */
  known(seriesKey: string): TrackedSeries | undefined {
    const s = this.#newest.get(seriesKey);
    return s?.labels !== undefined ? s : undefined;
  }

  /** Drops what is known about a series (its batch was not stored after all). */
  forget(seriesKey: string): void {
    const s = this.#newest.get(seriesKey);
    if (s === undefined) return;
    // Another series' `next` may still point here: the decoder must not predict it any more.
    s.wire = undefined;
    this.#newest.delete(seriesKey);
  }

  get size(): number {
    return this.#newest.size;
  }
}
