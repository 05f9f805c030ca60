import type { Labels } from '../../../core/labels.js';
import { PromqlEvalError, QueryCanceledError, TooManySamplesError } from '../errors.js';
import type { Expr, MatrixSelector, SubqueryExpr, VectorSelector } from '../parser/ast.js';
import { evalAggregate } from './aggregations.js';
import { evalBinary } from './binary.js';
import { evalCall } from '../functions/call.js';
import { resolveAt } from './preload.js';
import { labelsKey } from '../labels.js';
import { Annotations, type EvalValue, type RangeSeries, type Sample } from './values.js';
import type { ColumnarRoot } from './columnar.js';

/** A series as loaded from storage for one selector, as columns; stale markers are flagged. */
export interface LoadedSeries {
  labels: Labels;
  t: Float64Array;
  v: Float64Array;
  /** Stale flags, or undefined when the series has no stale marker (the common case). */
  stale: Uint8Array | undefined;
  /** For range selectors of a series with stale markers: the columns without them, built on first use. */
  rangeCols?: { t: Float64Array; v: Float64Array } | undefined;
  /**
   * Search hints: where the previous step's window started and ended. A range query moves the
   * window forward by one step, so the next bounds are usually a few samples further on.
   */
  loHint: number;
  hiHint: number;
  /**
   * The range-vector element of this series, reused at every step (only lo/hi change): a
   * matrix selector's result is consumed by its caller before the next step is evaluated.
   */
  window?: RangeSeries | undefined;
}

export interface EvaluatorParams {
  queryStart: number;
  queryEnd: number;
  queryStep: number;
  lookbackMs: number;
  subqueryStepMs: number;
  maxSamples: number;
  data: Map<VectorSelector, LoadedSeries[]>;
  signal: AbortSignal | undefined;
}

/** Evaluates AST nodes at single timestamps; range queries call it once per step. */
export class Evaluator {
  readonly annos = new Annotations();
  private readonly subqueryCache = new Map<SubqueryExpr, Map<number, EvalValue>>();
  /**
   * State kept by an AST node across the steps of one query (grouping tables of aggregations,
   * bucket tables of histogram_quantile), so per-series work such as computing a grouping key
   * happens once per series and not once per series per step.
   */
  readonly nodeState = new Map<Expr, unknown>();
  /** labelsKey() per label-set object; label sets coming from storage are the same objects at every step. */
  private readonly keyCache = new WeakMap<Labels, string>();
  /** Samples held by the step currently being evaluated (the Prometheus max-samples guard). */
  private stepSamples = 0;
  /** Samples already committed to the query result. */
  resultSamples = 0;
  /** Range queries: the time of every step, in order (the columnar roots sweep over them). */
  stepTimes: Float64Array | undefined;
  /** Range queries: nodes evaluated series-major (columnar.ts), asked for one step's vector. */
  columnar: Map<Expr, ColumnarRoot> | undefined;
  /** The step being evaluated: its index in stepTimes and its time. */
  stepIndex = -1;
  stepT = NaN;

  constructor(readonly p: EvaluatorParams) {}

  get isRangeQuery(): boolean {
    return this.p.queryStart !== this.p.queryEnd;
  }

  beginStep(): void {
    if (this.p.signal?.aborted) throw new QueryCanceledError('expression evaluation');
    this.stepSamples = 0;
  }

  countSamples(n: number): void {
    this.stepSamples += n;
    if (this.stepSamples + this.resultSamples > this.p.maxSamples) throw new TooManySamplesError();
  }

  eval(e: Expr, t: number): EvalValue {
    // A subquery evaluates at its own times, which are not query steps: those go the usual way.
    if (this.columnar !== undefined && t === this.stepT) {
      const root = this.columnar.get(e);
      if (root !== undefined) return { kind: 'vector', samples: root.at(this.stepIndex) };
    }
    switch (e.type) {
      case 'number':
        return { kind: 'scalar', v: e.value };
      case 'string':
        return { kind: 'string', v: e.value };
      case 'paren':
        return this.eval(e.expr, t);
      case 'unary': {
        const v = this.eval(e.expr, t);
        if (e.op === '+') return v;
        if (v.kind === 'scalar') return { kind: 'scalar', v: -v.v };
        if (v.kind === 'vector') {
          return { kind: 'vector', samples: v.samples.map((s) => ({ labels: s.labels, value: -s.value, dropName: true })) };
        }
        throw new PromqlEvalError(`unary minus not allowed on ${v.kind}`);
      }
      case 'vectorSelector':
        return { kind: 'vector', samples: this.selectVector(e, t) };
      case 'matrixSelector':
        return { kind: 'matrix', series: this.selectMatrix(e, t) };
      case 'subquery':
        return { kind: 'matrix', series: this.evalSubquery(e, t) };
      case 'binary':
        return evalBinary(this, e, t);
      case 'aggregate':
        return evalAggregate(this, e, t);
      case 'call':
        return evalCall(this, e, t);
    }
  }

  evalScalar(e: Expr, t: number): number {
    const v = this.eval(e, t);
    if (v.kind !== 'scalar') throw new PromqlEvalError(`expected scalar, got ${v.kind}`);
    return v.v;
  }

  evalVector(e: Expr, t: number): Sample[] {
    const v = this.eval(e, t);
    if (v.kind !== 'vector') throw new PromqlEvalError(`expected instant vector, got ${v.kind}`);
    return v.samples;
  }

  evalMatrix(e: Expr, t: number): RangeSeries[] {
    const v = this.eval(e, t);
    if (v.kind !== 'matrix') throw new PromqlEvalError(`expected range vector, got ${v.kind}`);
    return v.series;
  }

  private refTime(at: VectorSelector['at'], offsetMs: number, t: number): number {
    return (at ? resolveAt(at, this.p) : t) - offsetMs;
  }

  /** Cached labelsKey() of a label set. */
  labelsKey(labels: Labels): string {
    let k = this.keyCache.get(labels);
    if (k === undefined) {
      k = labelsKey(labels);
      this.keyCache.set(labels, k);
    }
    return k;
  }

  selectVector(vs: VectorSelector, t: number): Sample[] {
    const ref = this.refTime(vs.at, vs.offsetMs, t);
    const lookbackStart = ref - this.p.lookbackMs;
    const out: Sample[] = [];
    for (const s of this.p.data.get(vs) ?? []) {
      const after = firstAfter(s.t, ref, s.hiHint);
      s.hiHint = after;
      const i = after - 1;
      if (i < 0) continue;
      const st = s.t[i]!;
      if (st <= lookbackStart || (s.stale !== undefined && s.stale[i])) continue;
      out.push({ labels: s.labels, value: s.v[i]!, dropName: false, sampleT: st });
    }
    this.countSamples(out.length);
    return out;
  }

  selectMatrix(ms: MatrixSelector, t: number): RangeSeries[] {
    const vs = ms.selector;
    const ref = this.refTime(vs.at, vs.offsetMs, t);
    const from = ref - ms.rangeMs;
    const loaded = this.p.data.get(vs) ?? [];
    // One window per loaded series: sized once instead of grown by push at every step.
    const out = new Array<RangeSeries>(loaded.length);
    let n = 0;
    for (let i = 0; i < loaded.length; i++) {
      const s = loaded[i]!;
      const cols = s.stale === undefined ? s : (s.rangeCols ??= withoutStale(s));
      // The window (from, ref] as indexes into the loaded columns: nothing is copied.
      const lo = firstAfter(cols.t, from, s.loHint);
      const hi = firstAfter(cols.t, ref, s.hiHint > lo ? s.hiHint : lo);
      s.loHint = lo;
      s.hiHint = hi;
      n += hi - lo;
      let w = s.window;
      if (w === undefined || w.t !== cols.t) s.window = w = { labels: s.labels, t: cols.t, v: cols.v, lo, hi, dropName: false, resets: undefined };
      w.lo = lo;
      w.hi = hi;
      out[i] = w;
    }
    this.countSamples(n);
    return out;
  }

  private evalSubquery(sq: SubqueryExpr, t: number): RangeSeries[] {
    const step = sq.stepMs ?? this.p.subqueryStepMs;
    const ref = this.refTime(sq.at, sq.offsetMs, t);
    const lowExclusive = ref - sq.rangeMs;
    let cache = this.subqueryCache.get(sq);
    if (!cache) {
      cache = new Map();
      this.subqueryCache.set(sq, cache);
    }
    interface Building {
      labels: Labels;
      t: number[];
      v: number[];
      dropName: boolean;
    }
    const bySeries = new Map<string, Building>();
    const order: Building[] = [];
    let n = 0;
    for (let it = Math.floor(lowExclusive / step) * step + step; it <= ref; it += step) {
      let v = cache.get(it);
      if (!v) {
        v = this.eval(sq.expr, it);
        cache.set(it, v);
      }
      if (v.kind !== 'vector') throw new PromqlEvalError('subquery is only allowed on instant vector');
      for (const s of v.samples) {
        const key = this.labelsKey(s.labels);
        let rs = bySeries.get(key);
        if (!rs) {
          rs = { labels: s.labels, t: [], v: [], dropName: s.dropName };
          bySeries.set(key, rs);
          order.push(rs);
        }
        if (s.dropName) rs.dropName = true;
        rs.t.push(it);
        rs.v.push(s.value);
        n++;
      }
    }
    this.countSamples(n);
    return order.map((b) => ({ labels: b.labels, t: Float64Array.from(b.t), v: Float64Array.from(b.v), lo: 0, hi: b.t.length, dropName: b.dropName, resets: null }));
  }
}

function withoutStale(s: LoadedSeries): { t: Float64Array; v: Float64Array } {
  const keep: number[] = [];
  for (let i = 0; i < s.t.length; i++) if (!s.stale![i]) keep.push(i);
  return { t: Float64Array.from(keep, (i) => s.t[i]!), v: Float64Array.from(keep, (i) => s.v[i]!) };
}

/**
 * Index of the first element > x in a sorted column. When `hint` is a valid lower bound
 * (everything before it is <= x) the search starts there and scans a few elements first:
 * between two steps of a range query a window edge usually moves by about one sample.
 */
export function firstAfter(arr: Float64Array, x: number, hint: number): number {
  const n = arr.length;
  // Steps before or after a series' data (a 24 h panel over a few hours of it) end here.
  if (n === 0 || arr[0]! > x) return 0;
  if (arr[n - 1]! <= x) return n;
  let lo = 0;
  if (hint > 0 && hint <= n && arr[hint - 1]! <= x) {
    lo = hint;
    for (let k = 0; k < 8; k++) {
      if (lo >= n || arr[lo]! > x) return lo;
      lo++;
    }
  }
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (arr[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
