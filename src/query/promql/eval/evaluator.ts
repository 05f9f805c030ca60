import type { Labels } from '../../../core/labels.js';
import { PromqlEvalError, QueryCanceledError, TooManySamplesError } from '../errors.js';
import type { Expr, MatrixSelector, SubqueryExpr, VectorSelector } from '../parser/ast.js';
import { evalAggregate } from './aggregations.js';
import { evalBinary } from './binary.js';
import { evalCall } from '../functions/call.js';
import { resolveAt } from './preload.js';
import { labelsKey } from '../labels.js';
import { Annotations, type EvalValue, type Point, type RangeSeries, type Sample } from './values.js';

/** A series as loaded from storage for one selector; stale markers are flagged. */
export interface LoadedSeries {
  labels: Labels;
  t: number[];
  v: number[];
  stale: Uint8Array;
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
  /** Samples held by the step currently being evaluated (the Prometheus max-samples guard). */
  private stepSamples = 0;
  /** Samples already committed to the query result. */
  resultSamples = 0;

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

  selectVector(vs: VectorSelector, t: number): Sample[] {
    const ref = this.refTime(vs.at, vs.offsetMs, t);
    const out: Sample[] = [];
    for (const s of this.p.data.get(vs) ?? []) {
      const i = lastIndexAtOrBefore(s.t, ref);
      if (i < 0) continue;
      const st = s.t[i]!;
      if (st <= ref - this.p.lookbackMs || s.stale[i]) continue;
      out.push({ labels: s.labels, value: s.v[i]!, dropName: false, sampleT: st });
    }
    this.countSamples(out.length);
    return out;
  }

  selectMatrix(ms: MatrixSelector, t: number): RangeSeries[] {
    const vs = ms.selector;
    const ref = this.refTime(vs.at, vs.offsetMs, t);
    const from = ref - ms.rangeMs;
    const out: RangeSeries[] = [];
    let n = 0;
    for (const s of this.p.data.get(vs) ?? []) {
      const points: Point[] = [];
      let i = lastIndexAtOrBefore(s.t, from) + 1;
      for (; i < s.t.length && s.t[i]! <= ref; i++) {
        if (!s.stale[i]) points.push({ t: s.t[i]!, v: s.v[i]! });
      }
      n += points.length;
      out.push({ labels: s.labels, points, dropName: false });
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
    const bySeries = new Map<string, RangeSeries>();
    const order: RangeSeries[] = [];
    let n = 0;
    for (let it = Math.floor(lowExclusive / step) * step + step; it <= ref; it += step) {
      let v = cache.get(it);
      if (!v) {
        v = this.eval(sq.expr, it);
        cache.set(it, v);
      }
      if (v.kind !== 'vector') throw new PromqlEvalError('subquery is only allowed on instant vector');
      for (const s of v.samples) {
        const key = labelsKey(s.labels);
        let rs = bySeries.get(key);
        if (!rs) {
          rs = { labels: s.labels, points: [], dropName: s.dropName };
          bySeries.set(key, rs);
          order.push(rs);
        }
        if (s.dropName) rs.dropName = true;
        rs.points.push({ t: it, v: s.value });
        n++;
      }
    }
    this.countSamples(n);
    return order;
  }
}

/** Index of the last element <= x, or -1. */
export function lastIndexAtOrBefore(arr: number[], x: number): number {
  let lo = 0;
  let hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (arr[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}
