import type { Labels } from '../../core/labels.js';
import { PromqlEvalError, QueryCanceledError, TooManySamplesError } from './errors.js';
import { planColumnar } from './eval/columnar.js';
import { Evaluator, type LoadedSeries } from './eval/evaluator.js';
import { selectorWindows } from './eval/preload.js';
import type { EvalValue, Sample } from './eval/values.js';
import { compareLabels, dropMetricName, labelsKey } from './labels.js';
import type { Expr, VectorSelector } from './parser/ast.js';
import { documentedType, parseExpr } from './parser/parser.js';
import { typeOf } from './parser/types.js';
import { isStaleNaN, type SeriesSource } from './storage.js';

export interface EngineOptions {
  /** How far back an instant selector looks for the latest sample (Prometheus default 5m). */
  lookbackDeltaMs?: number;
  /** Max samples held by one evaluation step plus the result (Prometheus --query.max-samples). */
  maxSamples?: number;
  /** Max samples read from storage for one query. */
  maxSamplesLoaded?: number;
  /** Step of subqueries written without one (`x[1h:]`); Prometheus uses the global evaluation interval. */
  subqueryStepMs?: number;
  /** Max points per series a range query may return (the Prometheus API allows 11,000). */
  maxPointsPerSeries?: number;
  /** Query timeout in ms. */
  timeoutMs?: number;
  /**
   * Range queries evaluate the common dashboard shapes series by series (eval/columnar.ts);
   * false evaluates every node step by step. Same answers either way; tests compare the two.
   */
  columnar?: boolean;
}

export interface QueryOptions {
  signal?: AbortSignal;
}

export interface InstantSample {
  metric: Labels;
  /** Evaluation time (ms). */
  t: number;
  value: number;
}

export interface RangeSeriesResult {
  metric: Labels;
  values: { t: number; v: number }[];
}

interface Annotated {
  warnings: string[];
  infos: string[];
}

export type QueryResult = Annotated &
  (
    | { resultType: 'vector'; result: InstantSample[] }
    | { resultType: 'matrix'; result: RangeSeriesResult[] }
    | { resultType: 'scalar'; result: { t: number; value: number } }
    | { resultType: 'string'; result: { t: number; value: string } }
  );

const DUPLICATE_LABELSET = 'vector cannot contain metrics with the same labelset';

const DEFAULTS: Required<EngineOptions> = {
  lookbackDeltaMs: 5 * 60_000,
  maxSamples: 50_000_000,
  maxSamplesLoaded: 50_000_000,
  subqueryStepMs: 60_000,
  maxPointsPerSeries: 11_000,
  timeoutMs: 120_000,
  columnar: true,
};

/** A PromQL engine for float samples with Prometheus 3 semantics, reading through a SeriesSource. */
export class PromqlEngine {
  private readonly opts: Required<EngineOptions>;

  constructor(
    private readonly source: SeriesSource,
    opts: EngineOptions = {},
  ) {
    this.opts = { ...DEFAULTS, ...stripUndefined(opts) };
  }

  /** Evaluates `query` at one instant (ms since epoch), like GET /api/v1/query. */
  async instantQuery(query: string, timeMs: number, qopts: QueryOptions = {}): Promise<QueryResult> {
    const expr = parseExpr(query);
    return this.run(expr, timeMs, timeMs, 1, qopts, false);
  }

  /** Evaluates `query` at start, start+step, ... end (ms), like GET /api/v1/query_range. */
  async rangeQuery(query: string, startMs: number, endMs: number, stepMs: number, qopts: QueryOptions = {}): Promise<QueryResult> {
    if (!(stepMs > 0)) throw new PromqlEvalError('zero or negative query resolution step widths are not accepted. Try a positive integer');
    if (endMs < startMs) throw new PromqlEvalError('end timestamp must not be before start time');
    if ((endMs - startMs) / stepMs > this.opts.maxPointsPerSeries) {
      throw new PromqlEvalError(
        `exceeded maximum resolution of ${this.opts.maxPointsPerSeries} points per timeseries. Try decreasing the query resolution (?step=XX)`,
      );
    }
    const expr = parseExpr(query);
    const ty = typeOf(expr);
    if (ty !== 'scalar' && ty !== 'vector') {
      throw new PromqlEvalError(`invalid expression type "${documentedType(ty)}" for range query, must be Scalar or instant Vector`);
    }
    return this.run(expr, startMs, endMs, stepMs, qopts, true);
  }

  private async run(expr: Expr, start: number, end: number, step: number, qopts: QueryOptions, isRange: boolean): Promise<QueryResult> {
    const timeout = AbortSignal.timeout(this.opts.timeoutMs);
    const signal = qopts.signal ? AbortSignal.any([qopts.signal, timeout]) : timeout;
    const data = await this.load(expr, start, end, signal);
    const ev = new Evaluator({
      queryStart: start,
      queryEnd: end,
      queryStep: step,
      lookbackMs: this.opts.lookbackDeltaMs,
      subqueryStepMs: this.opts.subqueryStepMs,
      maxSamples: this.opts.maxSamples,
      data,
      signal,
    });
    const annotated = (): Annotated => ({ warnings: [...ev.annos.warnings], infos: [...ev.annos.infos] });

    if (!isRange) {
      ev.beginStep();
      const v = ev.eval(expr, start);
      return { ...finishInstant(v, start), ...annotated() } as QueryResult;
    }

    const out = new RangeResultBuilder();
    const scalarLabels: Labels = {};
    const times: number[] = [];
    for (let t = start; t <= end; t += step) times.push(t);
    ev.stepTimes = Float64Array.from(times);
    if (this.opts.columnar) ev.columnar = planColumnar(ev, expr);
    for (let i = 0; i < times.length; i++) {
      const t = times[i]!;
      ev.beginStep();
      ev.stepIndex = i;
      ev.stepT = t;
      const v = ev.eval(expr, t);
      if (v.kind === 'scalar') {
        out.add(scalarLabels, false, t, v.v);
        ev.resultSamples++;
        continue;
      }
      if (v.kind !== 'vector') throw new PromqlEvalError(`range query expression evaluated to ${v.kind}`);
      out.beginStep(v.samples.length);
      for (const s of v.samples) out.add(s.labels, s.dropName, t, s.value);
      ev.resultSamples += v.samples.length;
      if (ev.resultSamples > this.opts.maxSamples) throw new TooManySamplesError();
    }
    const result = [...out.series.values()].sort((a, b) => compareLabels(a.metric, b.metric));
    return { resultType: 'matrix', result, ...annotated() };
  }

  private async load(expr: Expr, start: number, end: number, signal: AbortSignal): Promise<Map<VectorSelector, LoadedSeries[]>> {
    const windows = selectorWindows(expr, { queryStart: start, queryEnd: end, lookbackMs: this.opts.lookbackDeltaMs });
    const data = new Map<VectorSelector, LoadedSeries[]>();
    let loaded = 0;
    for (const [vs, w] of windows) {
      let raw;
      try {
        raw = await this.source.select(vs.matchers, w.minT, w.maxT, signal);
      } catch (err) {
        if (signal.aborted) throw new QueryCanceledError('series selection');
        throw err;
      }
      const series: LoadedSeries[] = [];
      for (const s of raw) {
        const cols = s.columns;
        if (cols) {
          // A columnar source: the engine only reads the arrays, so they are used as they are.
          const { t, v } = cols;
          const n = t.length;
          loaded += n;
          if (loaded > this.opts.maxSamplesLoaded) throw new TooManySamplesError();
          series.push({ labels: s.labels, t, v, stale: staleFlags(v), loHint: 0, hiHint: 0 });
          continue;
        }
        const samples = s.samples;
        const n = samples.length;
        loaded += n;
        if (loaded > this.opts.maxSamplesLoaded) throw new TooManySamplesError();
        // Columns once per query; every step then works on index windows over them.
        const t = new Float64Array(n);
        const v = new Float64Array(n);
        let stale: Uint8Array | undefined;
        for (let i = 0; i < n; i++) {
          const p = samples[i]!;
          t[i] = p.t;
          v[i] = p.v;
          if (p.v !== p.v && isStaleNaN(p.v)) (stale ??= new Uint8Array(n))[i] = 1;
        }
        series.push({ labels: s.labels, t, v, stale, loHint: 0, hiHint: 0 });
      }
      data.set(vs, series);
    }
    return data;
  }
}

/** Flags of the stale markers in `v`, or undefined when it has none (a sync loop: V8 optimises it apart from the async load()). */
function staleFlags(v: Float64Array): Uint8Array | undefined {
  const n = v.length;
  let stale: Uint8Array | undefined;
  for (let i = 0; i < n; i++) {
    const x = v[i]!;
    if (x !== x && isStaleNaN(x)) (stale ??= new Uint8Array(n))[i] = 1;
  }
  return stale;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Applies delayed `__name__` removal and rejects label-set collisions it creates. */
function finalizeSamples(samples: Sample[]): Sample[] {
  const seen = new Set<string>();
  const out = samples.map((s) => (s.dropName ? { ...s, labels: dropMetricName(s.labels), dropName: false } : s));
  for (const s of out) {
    const k = labelsKey(s.labels);
    if (seen.has(k)) throw new PromqlEvalError(DUPLICATE_LABELSET);
    seen.add(k);
  }
  return out;
}

/**
 * Collects a range query's output series. Output label sets are usually the same objects at
 * every step (they come from storage or from an aggregation's group table), so the final label
 * set (delayed `__name__` removal) and its key are computed once per object, not per point.
 */
class RangeResultBuilder {
  readonly series = new Map<string, RangeSeriesResult>();
  private readonly byObject = [new Map<Labels, RangeSeriesResult>(), new Map<Labels, RangeSeriesResult>()] as const;

  /** Keeps the identity caches bounded when an expression makes new label objects at every step. */
  beginStep(n: number): void {
    for (const m of this.byObject) if (m.size > 4 * (this.series.size + n) + 1024) m.clear();
  }

  add(labels: Labels, dropName: boolean, t: number, v: number): void {
    const cache = this.byObject[dropName ? 1 : 0];
    let s = cache.get(labels);
    if (!s) {
      const final = dropName ? dropMetricName(labels) : labels;
      const k = labelsKey(final);
      s = this.series.get(k);
      if (!s) {
        s = { metric: final, values: [] };
        this.series.set(k, s);
      }
      cache.set(labels, s);
    }
    // Two samples of one step with the same final label set: the step's last point is already at t.
    if (s.values.length > 0 && s.values[s.values.length - 1]!.t === t) throw new PromqlEvalError(DUPLICATE_LABELSET);
    s.values.push({ t, v });
  }
}

function finishInstant(v: EvalValue, t: number): Omit<QueryResult, 'warnings' | 'infos'> {
  switch (v.kind) {
    case 'scalar':
      return { resultType: 'scalar', result: { t, value: v.v } };
    case 'string':
      return { resultType: 'string', result: { t, value: v.v } };
    case 'vector':
      return {
        resultType: 'vector',
        result: finalizeSamples(v.samples).map((s) => ({ metric: s.labels, t, value: s.value })),
      };
    case 'matrix': {
      const series = new Map<string, RangeSeriesResult>();
      for (const s of v.series) {
        if (s.hi <= s.lo) continue;
        const points: { t: number; v: number }[] = [];
        for (let i = s.lo; i < s.hi; i++) points.push({ t: s.t[i]!, v: s.v[i]! });
        const labels = s.dropName ? dropMetricName(s.labels) : s.labels;
        const k = labelsKey(labels);
        const existing = series.get(k);
        if (existing) {
          const merged = [...existing.values, ...points].sort((a, b) => a.t - b.t);
          for (let i = 1; i < merged.length; i++) {
            if (merged[i]!.t === merged[i - 1]!.t) throw new PromqlEvalError(DUPLICATE_LABELSET);
          }
          existing.values = merged;
        } else {
          series.set(k, { metric: labels, values: points });
        }
      }
      return { resultType: 'matrix', result: [...series.values()].sort((a, b) => compareLabels(a.metric, b.metric)) };
    }
  }
}
