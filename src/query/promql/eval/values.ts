import type { Labels } from '../../../core/labels.js';

/** One element of an instant vector during evaluation. */
export interface Sample {
  labels: Labels;
  value: number;
  /**
   * Delayed name removal (as Prometheus runs its own tests): `__name__` stays on the sample
   * while evaluation continues and is dropped when the query finishes.
   */
  dropName: boolean;
  /** Timestamp of the stored sample a selector returned (ms); timestamp() reports it. */
  sampleT?: number;
}

/**
 * One series of a range vector (matrix selector or subquery) at one evaluation step: the
 * samples `[lo, hi)` of the columns `t`/`v`. A matrix selector points into the columns loaded
 * once for the whole query instead of copying its window into point objects at every step,
 * which was most of the cost (and garbage) of `rate(x[5m])` over thousands of series.
 */
export interface RangeSeries {
  labels: Labels;
  t: Float64Array;
  v: Float64Array;
  lo: number;
  hi: number;
  dropName: boolean;
  /**
   * Prefix counts of counter resets over the whole columns (`resets[i]` = resets at or before
   * i), built on first use by rate/increase for windows that move over the same columns at
   * every step; null where the columns are built for one step only (subqueries).
   */
  resets?: Uint32Array | null | undefined;
}

export type EvalValue =
  | { kind: 'scalar'; v: number }
  | { kind: 'string'; v: string }
  | { kind: 'vector'; samples: Sample[] }
  | { kind: 'matrix'; series: RangeSeries[] };

/** Collected annotations; Prometheus reports them as `warnings` / `infos`. */
export class Annotations {
  readonly warnings = new Set<string>();
  readonly infos = new Set<string>();
  warn(msg: string): void {
    this.warnings.add(`PromQL warning: ${msg}`);
  }
  info(msg: string): void {
    this.infos.add(`PromQL info: ${msg}`);
  }
}

/** Go's %g-ish formatting used inside Prometheus annotation messages. */
export function formatGoFloat(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}
