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

export type SampleVerdict = 'ok' | 'repeat' | 'out_of_order' | 'duplicate';

export const VERDICT_REASON: Record<'out_of_order' | 'duplicate', string> = {
  out_of_order: 'out of order sample',
  duplicate: 'duplicate sample for timestamp',
};

/** Series tracked at most; past it the map is cleared (a cardinality explosion must not grow memory forever). */
const DEFAULT_MAX_SERIES = 1_000_000;

interface Newest {
  t: number;
  v: number;
  stale: boolean;
}

export class HeadTracker {
  readonly #newest = new Map<string, Newest>();

  constructor(
    /** Samples this much older than a series' newest are still accepted (Prometheus's out_of_order_time_window). */
    private readonly outOfOrderWindowMs = 0,
    private readonly maxSeries = DEFAULT_MAX_SERIES,
  ) {}

  /** Judges one sample of `seriesKey` and, when it is accepted, records it as the newest. */
  admit(seriesKey: string, t: number, v: number, stale = isStaleNaN(v)): SampleVerdict {
    const last = this.#newest.get(seriesKey);
    if (last === undefined) {
      if (this.#newest.size >= this.maxSeries) this.#newest.clear();
      this.#newest.set(seriesKey, { t, v, stale });
      return 'ok';
    }
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

  /** Drops what is known about a series (its batch was not stored after all). */
  forget(seriesKey: string): void {
    this.#newest.delete(seriesKey);
  }

  get size(): number {
    return this.#newest.size;
  }
}
