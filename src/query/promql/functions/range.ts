import { PromqlEvalError } from '../errors.js';
import type { Point } from '../eval/values.js';
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

export type RangeFn = (points: Point[], ctx: RangeCtx) => number | undefined;

/** rate/increase/delta with Prometheus's extrapolation to the window edges. */
function extrapolatedRate(points: Point[], ctx: RangeCtx, isCounter: boolean, isRate: boolean): number | undefined {
  if (points.length < 2) return undefined;
  const first = points[0]!;
  const last = points[points.length - 1]!;
  let result = last.v - first.v;
  if (isCounter) {
    for (let i = 1; i < points.length; i++) {
      if (points[i]!.v < points[i - 1]!.v) result += points[i - 1]!.v;
    }
  }
  let durationToStart = (first.t - ctx.rangeStart) / 1000;
  let durationToEnd = (ctx.rangeEnd - last.t) / 1000;
  const sampledInterval = (last.t - first.t) / 1000;
  const avgBetween = sampledInterval / (points.length - 1);
  const threshold = avgBetween * 1.1;
  if (durationToStart >= threshold) durationToStart = avgBetween / 2;
  if (isCounter) {
    // A counter cannot go below zero: do not extrapolate further back than its zero point.
    let durationToZero = durationToStart;
    if (result > 0 && first.v >= 0) durationToZero = sampledInterval * (first.v / result);
    if (durationToZero < durationToStart) durationToStart = durationToZero;
  }
  if (durationToEnd >= threshold) durationToEnd = avgBetween / 2;
  let factor = sampledInterval !== 0 ? (sampledInterval + durationToStart + durationToEnd) / sampledInterval : 1;
  if (isRate) factor /= ctx.rangeMs / 1000;
  return result * factor;
}

function instantValue(points: Point[], isRate: boolean): number | undefined {
  if (points.length < 2) return undefined;
  const prev = points[points.length - 2]!;
  const last = points[points.length - 1]!;
  const interval = last.t - prev.t;
  if (interval === 0) return undefined;
  let result = last.v;
  if (!isRate || !(last.v < prev.v)) result = last.v - prev.v;
  if (isRate) result /= interval / 1000;
  return result;
}

function variance(points: Point[]): number {
  let count = 0;
  let mean = 0, cMean = 0, aux = 0, cAux = 0;
  for (const p of points) {
    count++;
    const delta = p.v - (mean + cMean);
    [mean, cMean] = kahanInc(delta / count, mean, cMean);
    [aux, cAux] = kahanInc(delta * (p.v - (mean + cMean)), aux, cAux);
  }
  return (aux + cAux) / count;
}

function compareOverTime(points: Point[], better: (cur: number, best: number) => boolean, returnTs: boolean): number | undefined {
  if (points.length === 0) return undefined;
  let best = points[0]!.v;
  let bestT = points[0]!.t;
  for (const p of points) {
    if (better(p.v, best)) {
      best = p.v;
      bestT = p.t;
    }
  }
  return returnTs ? bestT / 1000 : best;
}

function avgOverTime(points: Point[]): number | undefined {
  if (points.length === 0) return undefined;
  let sum = points[0]!.v;
  let c = 0;
  let mean = 0;
  let incremental = false;
  let count = 1;
  for (let i = 1; i < points.length; i++) {
    count = i + 1;
    const f = points[i]!.v;
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

function doubleExponentialSmoothing(points: Point[], sf: number, tf: number): number | undefined {
  if (sf <= 0 || sf >= 1) throw new PromqlEvalError(`invalid smoothing factor. Expected: 0 < sf < 1, got: ${sf.toFixed(6)}`);
  if (tf <= 0 || tf >= 1) throw new PromqlEvalError(`invalid trend factor. Expected: 0 < tf < 1, got: ${tf.toFixed(6)}`);
  const l = points.length;
  if (l < 2) return undefined;
  let s0 = 0;
  let s1 = points[0]!.v;
  let b = points[1]!.v - points[0]!.v;
  for (let i = 1; i < l; i++) {
    const x = sf * points[i]!.v;
    b = i - 1 === 0 ? b : tf * (s1 - s0) + (1 - tf) * b;
    const y = (1 - sf) * (s1 + b);
    s0 = s1;
    s1 = x + y;
  }
  return s1;
}

export const RANGE_FUNCTIONS: Record<string, RangeFn> = {
  rate: (p, c) => extrapolatedRate(p, c, true, true),
  increase: (p, c) => extrapolatedRate(p, c, true, false),
  delta: (p, c) => extrapolatedRate(p, c, false, false),
  irate: (p) => instantValue(p, true),
  idelta: (p) => instantValue(p, false),
  deriv: (p) => (p.length < 2 ? undefined : linearRegression(p, p[0]!.t)[0]),
  predict_linear: (p, c) => {
    if (p.length < 2) return undefined;
    const [slope, intercept] = linearRegression(p, c.t);
    return slope * c.args[0]! + intercept;
  },
  avg_over_time: avgOverTime,
  sum_over_time: (p) => {
    if (p.length === 0) return undefined;
    let sum = 0;
    let c = 0;
    for (const x of p) [sum, c] = kahanInc(x.v, sum, c);
    return sum === Infinity || sum === -Infinity ? sum : sum + c;
  },
  count_over_time: (p) => (p.length === 0 ? undefined : p.length),
  min_over_time: (p) => compareOverTime(p, (cur, best) => cur < best || Number.isNaN(best), false),
  max_over_time: (p) => compareOverTime(p, (cur, best) => cur > best || Number.isNaN(best), false),
  ts_of_min_over_time: (p) => compareOverTime(p, (cur, best) => cur <= best || Number.isNaN(best), true),
  ts_of_max_over_time: (p) => compareOverTime(p, (cur, best) => cur >= best || Number.isNaN(best), true),
  ts_of_first_over_time: (p) => (p.length === 0 ? undefined : p[0]!.t / 1000),
  ts_of_last_over_time: (p) => (p.length === 0 ? undefined : p[p.length - 1]!.t / 1000),
  first_over_time: (p) => (p.length === 0 ? undefined : p[0]!.v),
  last_over_time: (p) => (p.length === 0 ? undefined : p[p.length - 1]!.v),
  present_over_time: (p) => (p.length === 0 ? undefined : 1),
  stddev_over_time: (p) => (p.length === 0 ? undefined : Math.sqrt(variance(p))),
  stdvar_over_time: (p) => (p.length === 0 ? undefined : variance(p)),
  quantile_over_time: (p, c) => (p.length === 0 ? undefined : quantile(c.args[0]!, p.map((x) => x.v))),
  mad_over_time: (p) => {
    if (p.length === 0) return undefined;
    const vals = p.map((x) => x.v);
    if (vals.some(Number.isNaN)) return NaN;
    const median = quantile(0.5, vals);
    return quantile(0.5, vals.map((v) => Math.abs(v - median)));
  },
  changes: (p) => {
    if (p.length === 0) return undefined;
    let n = 0;
    for (let i = 1; i < p.length; i++) {
      const a = p[i - 1]!.v;
      const b = p[i]!.v;
      if (a !== b && !(Number.isNaN(a) && Number.isNaN(b))) n++;
    }
    return n;
  },
  resets: (p) => {
    if (p.length === 0) return undefined;
    let n = 0;
    for (let i = 1; i < p.length; i++) if (p[i]!.v < p[i - 1]!.v) n++;
    return n;
  },
  double_exponential_smoothing: (p, c) => doubleExponentialSmoothing(p, c.args[0]!, c.args[1]!),
};
