import { PromqlEvalError } from '../errors.js';
import type { RangeSeries } from '../eval/values.js';
import { kahanInc, linearRegression, quantile } from './math.js';

/** Context a range-vector function sees for one series at one step. */
export interface RangeCtx {
  /** Evaluation timestamp of the step (ms). */
  t: number;
  /** Range window (rangeStart, rangeEnd] in ms after offset and @. */
  rangeStart: number;
  rangeEnd: number;
  rangeMs: number;
  /** Scalar arguments other than the range vector, in order. */
  args: number[];
}

/**
 * A range function over the samples `[lo, hi)` of the columns `ts`/`vs` (never empty: the
 * caller skips series without samples in the window).
 */
export type RangeFn = (ts: Float64Array, vs: Float64Array, lo: number, hi: number, ctx: RangeCtx, s: RangeSeries) => number | undefined;

/** resets[i] = number of j <= i with vs[j] < vs[j-1]. */
function resetPrefix(vs: Float64Array): Uint32Array {
  const out = new Uint32Array(vs.length);
  let n = 0;
  for (let i = 1; i < vs.length; i++) {
    if (vs[i]! < vs[i - 1]!) n++;
    out[i] = n;
  }
  return out;
}

/** rate/increase/delta with Prometheus's extrapolation to the window edges. */
function extrapolatedRate(ts: Float64Array, vs: Float64Array, lo: number, hi: number, ctx: RangeCtx, s: RangeSeries, isCounter: boolean, isRate: boolean): number | undefined {
  if (hi - lo < 2) return undefined;
  let mayReset = isCounter;
  if (isCounter && s.resets !== null) {
    // Counters rarely reset: with the reset counts of the whole series at hand, a window without
    // a reset needs no scan.
    const resets = (s.resets ??= resetPrefix(vs));
    mayReset = resets[hi - 1] !== resets[lo];
  }
  return extrapolate(ts, vs, lo, hi, ctx.rangeStart, ctx.rangeEnd, ctx.rangeMs, isCounter, isRate, mayReset);
}

/**
 * extrapolatedRate once the caller knows whether the window [lo, hi) may hold a counter reset
 * (`mayReset` false only when it holds none; the scan then does the sum, in the same order).
 */
export function extrapolate(ts: Float64Array, vs: Float64Array, lo: number, hi: number, rangeStart: number, rangeEnd: number, rangeMs: number, isCounter: boolean, isRate: boolean, mayReset: boolean): number | undefined {
  const n = hi - lo;
  if (n < 2) return undefined;
  const firstT = ts[lo]!;
  const firstV = vs[lo]!;
  const lastT = ts[hi - 1]!;
  const lastV = vs[hi - 1]!;
  let result = lastV - firstV;
  if (isCounter && mayReset) {
    let prev = firstV;
    for (let i = lo + 1; i < hi; i++) {
      const cur = vs[i]!;
      if (cur < prev) result += prev;
      prev = cur;
    }
  }
  let durationToStart = (firstT - rangeStart) / 1000;
  let durationToEnd = (rangeEnd - lastT) / 1000;
  const sampledInterval = (lastT - firstT) / 1000;
  const avgBetween = sampledInterval / (n - 1);
  const threshold = avgBetween * 1.1;
  if (durationToStart >= threshold) durationToStart = avgBetween / 2;
  if (isCounter) {
    // A counter cannot go below zero: do not extrapolate further back than its zero point.
    let durationToZero = durationToStart;
    if (result > 0 && firstV >= 0) durationToZero = sampledInterval * (firstV / result);
    if (durationToZero < durationToStart) durationToStart = durationToZero;
  }
  if (durationToEnd >= threshold) durationToEnd = avgBetween / 2;
  let factor = sampledInterval !== 0 ? (sampledInterval + durationToStart + durationToEnd) / sampledInterval : 1;
  if (isRate) factor /= rangeMs / 1000;
  return result * factor;
}

function instantValue(ts: Float64Array, vs: Float64Array, lo: number, hi: number, isRate: boolean): number | undefined {
  if (hi - lo < 2) return undefined;
  const prevV = vs[hi - 2]!;
  const lastV = vs[hi - 1]!;
  const interval = ts[hi - 1]! - ts[hi - 2]!;
  if (interval === 0) return undefined;
  let result = lastV;
  if (!isRate || !(lastV < prevV)) result = lastV - prevV;
  if (isRate) result /= interval / 1000;
  return result;
}

function variance(vs: Float64Array, lo: number, hi: number): number {
  let count = 0;
  let mean = 0, cMean = 0, aux = 0, cAux = 0;
  for (let i = lo; i < hi; i++) {
    const v = vs[i]!;
    count++;
    const delta = v - (mean + cMean);
    [mean, cMean] = kahanInc(delta / count, mean, cMean);
    [aux, cAux] = kahanInc(delta * (v - (mean + cMean)), aux, cAux);
  }
  return (aux + cAux) / count;
}

function compareOverTime(ts: Float64Array, vs: Float64Array, lo: number, hi: number, better: (cur: number, best: number) => boolean, returnTs: boolean): number {
  let best = vs[lo]!;
  let bestT = ts[lo]!;
  for (let i = lo; i < hi; i++) {
    if (better(vs[i]!, best)) {
      best = vs[i]!;
      bestT = ts[i]!;
    }
  }
  return returnTs ? bestT / 1000 : best;
}

function avgOverTime(vs: Float64Array, lo: number, hi: number): number {
  let sum = vs[lo]!;
  let c = 0;
  let mean = 0;
  let incremental = false;
  let count = 1;
  for (let i = lo + 1; i < hi; i++) {
    count = i - lo + 1;
    const f = vs[i]!;
    if (!incremental) {
      const [ns, nc] = kahanInc(f, sum, c);
      if (ns !== Infinity && ns !== -Infinity) {
        sum = ns;
        c = nc;
        continue;
      }
      incremental = true;
      mean = sum / (count - 1);
      c /= count - 1;
    }
    const q = (count - 1) / count;
    [mean, c] = kahanInc(f / count, q * mean, q * c);
  }
  if (incremental) return mean + c;
  return sum / count + c / count;
}

function sumOverTime(vs: Float64Array, lo: number, hi: number): number {
  // Kahan–Neumaier as kahanInc, inlined: this runs once per series per step.
  let sum = 0;
  let c = 0;
  for (let i = lo; i < hi; i++) {
    const inc = vs[i]!;
    const t = sum + inc;
    if (t === Infinity || t === -Infinity) c = 0;
    else if (Math.abs(sum) >= Math.abs(inc)) c += sum - t + inc;
    else c += inc - t + sum;
    sum = t;
  }
  return sum === Infinity || sum === -Infinity ? sum : sum + c;
}

function doubleExponentialSmoothing(vs: Float64Array, lo: number, hi: number, sf: number, tf: number): number | undefined {
  if (sf <= 0 || sf >= 1) throw new PromqlEvalError(`invalid smoothing factor. Expected: 0 < sf < 1, got: ${sf.toFixed(6)}`);
  if (tf <= 0 || tf >= 1) throw new PromqlEvalError(`invalid trend factor. Expected: 0 < tf < 1, got: ${tf.toFixed(6)}`);
  if (hi - lo < 2) return undefined;
  let s0 = 0;
  let s1 = vs[lo]!;
  let b = vs[lo + 1]! - vs[lo]!;
  for (let i = 1; i < hi - lo; i++) {
    const x = sf * vs[lo + i]!;
    b = i - 1 === 0 ? b : tf * (s1 - s0) + (1 - tf) * b;
    const y = (1 - sf) * (s1 + b);
    s0 = s1;
    s1 = x + y;
  }
  return s1;
}

function values(vs: Float64Array, lo: number, hi: number): number[] {
  return Array.from(vs.subarray(lo, hi));
}

export const RANGE_FUNCTIONS: Record<string, RangeFn> = {
  rate: (t, v, lo, hi, c, s) => extrapolatedRate(t, v, lo, hi, c, s, true, true),
  increase: (t, v, lo, hi, c, s) => extrapolatedRate(t, v, lo, hi, c, s, true, false),
  delta: (t, v, lo, hi, c, s) => extrapolatedRate(t, v, lo, hi, c, s, false, false),
  irate: (t, v, lo, hi) => instantValue(t, v, lo, hi, true),
  idelta: (t, v, lo, hi) => instantValue(t, v, lo, hi, false),
  deriv: (t, v, lo, hi) => (hi - lo < 2 ? undefined : linearRegression(t, v, lo, hi, t[lo]!)[0]),
  predict_linear: (t, v, lo, hi, c) => {
    if (hi - lo < 2) return undefined;
    const [slope, intercept] = linearRegression(t, v, lo, hi, c.t);
    return slope * c.args[0]! + intercept;
  },
  avg_over_time: (_t, v, lo, hi) => avgOverTime(v, lo, hi),
  sum_over_time: (_t, v, lo, hi) => sumOverTime(v, lo, hi),
  count_over_time: (_t, _v, lo, hi) => hi - lo,
  min_over_time: (t, v, lo, hi) => compareOverTime(t, v, lo, hi, (cur, best) => cur < best || Number.isNaN(best), false),
  max_over_time: (t, v, lo, hi) => compareOverTime(t, v, lo, hi, (cur, best) => cur > best || Number.isNaN(best), false),
  ts_of_min_over_time: (t, v, lo, hi) => compareOverTime(t, v, lo, hi, (cur, best) => cur <= best || Number.isNaN(best), true),
  ts_of_max_over_time: (t, v, lo, hi) => compareOverTime(t, v, lo, hi, (cur, best) => cur >= best || Number.isNaN(best), true),
  ts_of_first_over_time: (t, _v, lo) => t[lo]! / 1000,
  ts_of_last_over_time: (t, _v, _lo, hi) => t[hi - 1]! / 1000,
  first_over_time: (_t, v, lo) => v[lo]!,
  last_over_time: (_t, v, _lo, hi) => v[hi - 1]!,
  present_over_time: () => 1,
  stddev_over_time: (_t, v, lo, hi) => Math.sqrt(variance(v, lo, hi)),
  stdvar_over_time: (_t, v, lo, hi) => variance(v, lo, hi),
  quantile_over_time: (_t, v, lo, hi, c) => quantile(c.args[0]!, values(v, lo, hi)),
  mad_over_time: (_t, v, lo, hi) => {
    const vals = values(v, lo, hi);
    if (vals.some(Number.isNaN)) return NaN;
    const median = quantile(0.5, vals);
    return quantile(0.5, vals.map((x) => Math.abs(x - median)));
  },
  changes: (_t, v, lo, hi) => {
    let n = 0;
    for (let i = lo + 1; i < hi; i++) {
      const a = v[i - 1]!;
      const b = v[i]!;
      if (a !== b && !(Number.isNaN(a) && Number.isNaN(b))) n++;
    }
    return n;
  },
  resets: (_t, v, lo, hi) => {
    let n = 0;
    for (let i = lo + 1; i < hi; i++) if (v[i]! < v[i - 1]!) n++;
    return n;
  },
  double_exponential_smoothing: (_t, v, lo, hi, c) => doubleExponentialSmoothing(v, lo, hi, c.args[0]!, c.args[1]!),
};
