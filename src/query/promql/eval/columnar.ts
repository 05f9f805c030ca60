/**
 * Series-major evaluation of the common dashboard shapes of a range query: `f(x[d])` for a
 * range function f, and `sum|avg|count|min|max|group [by|without (...)] (f(x[d]) | x)`.
 *
 * The step-by-step evaluator visits every series at every step, so with thousands of series
 * each step touches a few samples of every series' columns, tens of megabytes read in a
 * scattered order, and builds a window object and a sample object per series per step
 * (10,000 series: `sum by (code) (rate(x[5m]))` over 4,000 series × 241 steps spent two thirds
 * of its time in the matrix selector and rate loops). Here one series is swept over a block of
 * steps with two moving indices, so its columns are read once, in order, and an aggregation adds
 * the series into per-group arrays indexed by step, with no object per (series, step). Grouping
 * keys are computed once per series. Blocks (at most 256 steps, 512 Ki cells) bound the memory;
 * the moving indices carry over from block to block, so steps must be asked for in order.
 *
 * The results are identical to the step evaluator's: the same range functions are called on the
 * same windows, aggregations add inputs in the same (series) order with the same Kahan steps,
 * and each step's output vector lists its elements in the order the step evaluator would (groups
 * in order of first appearance). The evaluator asks a root for the vector of one step
 * (`at`), so the rest of the expression (binary operators, histogram_quantile, the range result
 * builder, the max-samples guard) works as before.
 */
import type { Labels } from '../../../core/labels.js';
import { QueryCanceledError } from '../errors.js';
import type { AggregateExpr, AggregateOp, Call, Expr, MatrixSelector, VectorSelector } from '../parser/ast.js';
import { FUNCTIONS } from '../parser/functions.js';
import { METRIC_NAME } from '../labels.js';
import { extrapolate, RANGE_FUNCTIONS, type RangeCtx, type RangeFn } from '../functions/range.js';
import { groupingLabels, groupKey } from './aggregations.js';
import type { Evaluator, LoadedSeries } from './evaluator.js';
import { resolveAt } from './preload.js';
import type { RangeSeries, Sample } from './values.js';

/** Flags of one (row, step) cell: absent (0), present, present with delayed `__name__` removal. */
const PRESENT = 1;
const DROP = 2;

/** Cells (rows × steps) buffered per block: bounds memory for wide selectors and long ranges. */
const BLOCK_CELLS = 1 << 19;
const MAX_BLOCK_STEPS = 256;

const COUNTER_SUFFIXES = ['_total', '_sum', '_count', '_bucket'];
const AGG_OPS: ReadonlySet<AggregateOp> = new Set(['sum', 'avg', 'count', 'min', 'max', 'group']);

/** Series-ordered input: the value of one row over a block of steps. */
interface RowSource {
  readonly labels: readonly Labels[];
  /** Called once per block before its rows are swept. */
  prepare(i0: number, n: number): void;
  /**
   * Writes the row's values at steps [i0, i0 + n) to vals/flags[0..n) and adds the samples
   * read from storage per step to loads[0..n). Rows are swept in increasing step order.
   */
  sweep(row: number, i0: number, n: number, vals: Float64Array, flags: Uint8Array, loads: Float64Array): void;
}

/** A node whose per-step vectors come from columnar evaluation. */
export interface ColumnarRoot {
  /** The node's vector at step index i (steps are asked for in increasing order). */
  at(i: number): Sample[];
}

function unwrapParens(e: Expr): Expr {
  return e.type === 'paren' ? unwrapParens(e.expr) : e;
}

function refTime(ev: Evaluator, vs: VectorSelector, t: number): number {
  return (vs.at ? resolveAt(vs.at, ev.p) : t) - vs.offsetMs;
}

function withoutStale(s: LoadedSeries): { t: Float64Array; v: Float64Array } {
  const keep: number[] = [];
  for (let i = 0; i < s.t.length; i++) if (!s.stale![i]) keep.push(i);
  return { t: Float64Array.from(keep, (i) => s.t[i]!), v: Float64Array.from(keep, (i) => s.v[i]!) };
}

/** `f(x[d])` with a range function f and number-literal other arguments. */
class RangeFnRows implements RowSource {
  readonly labels: Labels[];
  private readonly series: LoadedSeries[];
  /** Window bounds per row where the previous block ended. */
  private readonly lo: Int32Array;
  private readonly hi: Int32Array;
  /** Counter resets inside each row's window [lo, hi) (i with v[i] < v[i - 1], lo < i < hi). */
  private readonly resets: Int32Array;
  /** The current block's window ends (after offset and @), set by prepare(). */
  private ends = new Float64Array(0);
  private readonly ctx: RangeCtx;
  private readonly flag: number;
  /** rate/increase/delta, called directly (the common case, and a call site V8 can inline). */
  private readonly extrapolated: boolean;
  private readonly isCounter: boolean;
  private readonly isRate: boolean;
  /** rate/increase: rows whose name was checked for a counter suffix. */
  private readonly checked: Uint8Array | undefined;

  constructor(
    private readonly ev: Evaluator,
    private readonly ms: MatrixSelector,
    private readonly fn: RangeFn,
    name: string,
    args: number[],
  ) {
    this.series = ev.p.data.get(ms.selector) ?? [];
    this.labels = this.series.map((s) => s.labels);
    this.lo = new Int32Array(this.series.length);
    this.hi = new Int32Array(this.series.length);
    this.resets = new Int32Array(this.series.length);
    this.ctx = { t: 0, rangeStart: 0, rangeEnd: 0, rangeMs: ms.rangeMs, args };
    // last/first_over_time keep the selector's (never dropped) name; the others drop it.
    this.flag = name === 'last_over_time' || name === 'first_over_time' ? PRESENT : PRESENT | DROP;
    this.extrapolated = name === 'rate' || name === 'increase' || name === 'delta';
    this.isCounter = name !== 'delta';
    this.isRate = name === 'rate';
    this.checked = name === 'rate' || name === 'increase' ? new Uint8Array(this.series.length) : undefined;
  }

  prepare(i0: number, n: number): void {
    if (this.ends.length < n) this.ends = new Float64Array(n);
    const times = this.ev.stepTimes!;
    for (let j = 0; j < n; j++) this.ends[j] = refTime(this.ev, this.ms.selector, times[i0 + j]!);
  }

  sweep(row: number, i0: number, n: number, vals: Float64Array, flags: Uint8Array, loads: Float64Array): void {
    const s = this.series[row]!;
    const cols = s.stale === undefined ? s : (s.rangeCols ??= withoutStale(s));
    const ts = cols.t;
    const cv = cols.v;
    const len = ts.length;
    const times = this.ev.stepTimes!;
    const ends = this.ends;
    const rangeMs = this.ms.rangeMs;
    const { ctx, fn, extrapolated, isCounter, isRate, flag } = this;
    let w: RangeSeries | undefined;
    let lo = this.lo[row]!;
    let hi = this.hi[row]!;
    let resets = this.resets[row]!;
    let produced = false;
    for (let j = 0; j < n; j++) {
      const end = ends[j]!;
      const start = end - rangeMs;
      // The window (start, end] as indexes; both edges only move forward from step to step. The
      // count of counter resets inside it moves along, so rate needs no scan for a window without one.
      while (lo < len && ts[lo]! <= start) {
        if (lo + 1 < hi && cv[lo + 1]! < cv[lo]!) resets--;
        lo++;
      }
      if (hi <= lo) {
        hi = lo;
        resets = 0;
      }
      while (hi < len && ts[hi]! <= end) {
        if (hi > lo && cv[hi]! < cv[hi - 1]!) resets++;
        hi++;
      }
      loads[j] = loads[j]! + (hi - lo);
      if (hi <= lo) {
        flags[j] = 0;
        continue;
      }
      let v: number | undefined;
      if (extrapolated) {
        v = extrapolate(ts, cv, lo, hi, start, end, rangeMs, isCounter, isRate, resets > 0);
      } else {
        ctx.t = times[i0 + j]!;
        ctx.rangeStart = start;
        ctx.rangeEnd = end;
        // The step evaluator's window object of this series (functions may cache per-series data on it).
        w ??= s.window !== undefined && s.window.t === ts ? s.window : (s.window = { labels: s.labels, t: ts, v: cv, lo: 0, hi: 0, dropName: false, resets: undefined });
        v = fn(ts, cv, lo, hi, ctx, w);
      }
      if (v === undefined) {
        flags[j] = 0;
        continue;
      }
      vals[j] = v;
      flags[j] = flag;
      produced = true;
    }
    this.lo[row] = lo;
    this.hi[row] = hi;
    this.resets[row] = resets;
    if (produced && this.checked !== undefined && !this.checked[row]) {
      this.checked[row] = 1;
      const metric = s.labels[METRIC_NAME];
      if (metric && !COUNTER_SUFFIXES.some((suf) => metric.endsWith(suf))) {
        this.ev.annos.info(`metric might not be a counter, name does not end in _total/_sum/_count/_bucket: ${JSON.stringify(metric)}`);
      }
    }
  }
}

/** An instant vector selector: the latest sample within the lookback, unless it is a stale marker. */
class InstantRows implements RowSource {
  readonly labels: Labels[];
  private readonly series: LoadedSeries[];
  /** Per row: index of the first sample after the previous step's reference time. */
  private readonly after: Int32Array;

  constructor(
    private readonly ev: Evaluator,
    private readonly vs: VectorSelector,
  ) {
    this.series = ev.p.data.get(vs) ?? [];
    this.labels = this.series.map((s) => s.labels);
    this.after = new Int32Array(this.series.length);
  }

  /** The current block's reference times (after offset and @), set by prepare(). */
  private refs = new Float64Array(0);

  prepare(i0: number, n: number): void {
    if (this.refs.length < n) this.refs = new Float64Array(n);
    const times = this.ev.stepTimes!;
    for (let j = 0; j < n; j++) this.refs[j] = refTime(this.ev, this.vs, times[i0 + j]!);
  }

  sweep(row: number, _i0: number, n: number, vals: Float64Array, flags: Uint8Array, loads: Float64Array): void {
    const s = this.series[row]!;
    const ts = s.t;
    const sv = s.v;
    const stale = s.stale;
    const len = ts.length;
    const refs = this.refs;
    const lookback = this.ev.p.lookbackMs;
    let after = this.after[row]!;
    for (let j = 0; j < n; j++) {
      const ref = refs[j]!;
      while (after < len && ts[after]! <= ref) after++;
      const i = after - 1;
      if (i < 0 || ts[i]! <= ref - lookback || (stale !== undefined && stale[i])) {
        flags[j] = 0;
        continue;
      }
      vals[j] = sv[i]!;
      flags[j] = PRESENT;
      loads[j] = loads[j]! + 1;
    }
    this.after[row] = after;
  }
}

/** A block covers many steps of many series: cancellation is looked at within it, not only between steps. */
function checkAborted(ev: Evaluator): void {
  if (ev.p.signal?.aborted) throw new QueryCanceledError('expression evaluation');
}

/** The output groups of an aggregation, in order of first appearance, and each input row's group. */
function groupRows(labels: readonly Labels[], e: AggregateExpr): { groups: Labels[]; rowGroup: Int32Array } {
  const sorted = [...e.grouping].sort();
  const byKey = new Map<string, number>();
  const groups: Labels[] = [];
  const rowGroup = new Int32Array(labels.length);
  labels.forEach((l, r) => {
    const k = groupKey(l, sorted, e.without);
    let g = byKey.get(k);
    if (g === undefined) {
      g = groups.length;
      byKey.set(k, g);
      groups.push(groupingLabels(l, e.grouping, e.without));
    }
    rowGroup[r] = g;
  });
  return { groups, rowGroup };
}

function blockSteps(rows: number, totalSteps: number): number {
  return Math.max(1, Math.min(MAX_BLOCK_STEPS, totalSteps, Math.floor(BLOCK_CELLS / Math.max(1, rows))));
}

/**
 * What both roots share: a block of up to `block` steps is computed at once, row by row (each
 * row swept over the block by the source), and the step vectors are then read out of it.
 * Subclasses say how a swept row lands in their cells (`takeRow`) and read a step (`stepAt`).
 */
abstract class BlockRoot implements ColumnarRoot {
  protected readonly block: number;
  /** Samples each step of the block loaded, counted against the query's limit when it is read. */
  private readonly loads: Float64Array;
  /** The row just swept: its value and flags per step of the block. */
  protected readonly rowVals: Float64Array;
  protected readonly rowFlags: Uint8Array;
  private i0 = 0;
  private n = 0;

  constructor(
    protected readonly ev: Evaluator,
    protected readonly src: RowSource,
    cells: number,
    totalSteps: number,
  ) {
    this.block = blockSteps(cells, totalSteps);
    this.loads = new Float64Array(this.block);
    this.rowVals = new Float64Array(this.block);
    this.rowFlags = new Uint8Array(this.block);
  }

  /** Clears the cells before a new block. */
  protected abstract startBlock(): void;
  /** Row `r` was swept into rowVals/rowFlags for `n` steps. */
  protected abstract takeRow(r: number, n: number): void;
  /** The vector of step `j` of the current block. */
  protected abstract stepAt(j: number): Sample[];

  at(i: number): Sample[] {
    if (i < this.i0 || i >= this.i0 + this.n) this.compute(i);
    const j = i - this.i0;
    this.ev.countSamples(this.loads[j]!);
    return this.stepAt(j);
  }

  private compute(i0: number): void {
    const n = Math.min(this.block, this.ev.stepTimes!.length - i0);
    const rows = this.src.labels.length;
    this.loads.fill(0);
    this.startBlock();
    this.src.prepare(i0, n);
    for (let r = 0; r < rows; r++) {
      if ((r & 1023) === 1023) checkAborted(this.ev);
      this.src.sweep(r, i0, n, this.rowVals, this.rowFlags, this.loads);
      this.takeRow(r, n);
    }
    this.i0 = i0;
    this.n = n;
  }
}

/** A range function over a matrix selector as a node of its own: the rows become the step's vector. */
class RowsRoot extends BlockRoot {
  private readonly vals: Float64Array;
  private readonly flags: Uint8Array;

  constructor(ev: Evaluator, src: RowSource, totalSteps: number) {
    super(ev, src, src.labels.length, totalSteps);
    const rows = src.labels.length;
    // Step-major, so reading one step's vector is a sequential pass.
    this.vals = new Float64Array(rows * this.block);
    this.flags = new Uint8Array(rows * this.block);
  }

  protected startBlock(): void {
    // Every cell of the block is written by takeRow.
  }

  protected takeRow(r: number, n: number): void {
    const rows = this.src.labels.length;
    for (let j = 0; j < n; j++) {
      const k = j * rows + r;
      this.flags[k] = this.rowFlags[j]!;
      this.vals[k] = this.rowVals[j]!;
    }
  }

  protected stepAt(j: number): Sample[] {
    const labels = this.src.labels;
    const rows = labels.length;
    const out: Sample[] = [];
    for (let r = 0, k = j * rows; r < rows; r++, k++) {
      const f = this.flags[k]!;
      if (f !== 0) out.push({ labels: labels[r]!, value: this.vals[k]!, dropName: (f & DROP) !== 0 });
    }
    return out;
  }
}

/** sum/avg/count/min/max/group over a series-ordered input, per group per step. */
class AggregateRoot extends BlockRoot {
  private readonly groups: Labels[];
  private readonly rowGroup: Int32Array;
  // Per (group, step) cell, at g * block + j.
  private readonly flags: Uint8Array;
  /** Input row that first reached the cell: the step evaluator lists groups in that order. */
  private readonly first: Int32Array;
  /** sum (sum, avg), min/max value. */
  private readonly acc: Float64Array;
  /** Kahan compensation (sum, avg). */
  private readonly comp: Float64Array;
  private readonly count: Float64Array;
  /** avg: the running mean once the sum overflowed, and whether it did. */
  private readonly mean: Float64Array | undefined;
  private readonly incremental: Uint8Array | undefined;
  private readonly order: number[] = [];

  constructor(
    ev: Evaluator,
    private readonly op: AggregateOp,
    e: AggregateExpr,
    src: RowSource,
    totalSteps: number,
  ) {
    const { groups, rowGroup } = groupRows(src.labels, e);
    super(ev, src, Math.max(1, groups.length), totalSteps);
    this.groups = groups;
    this.rowGroup = rowGroup;
    const size = Math.max(1, groups.length) * this.block;
    this.flags = new Uint8Array(size);
    this.first = new Int32Array(size);
    this.acc = new Float64Array(size);
    this.comp = new Float64Array(size);
    this.count = new Float64Array(size);
    if (op === 'avg') {
      this.mean = new Float64Array(size);
      this.incremental = new Uint8Array(size);
    }
  }

  protected startBlock(): void {
    this.flags.fill(0);
  }

  protected takeRow(r: number, n: number): void {
    const { flags, first, acc, comp, count, mean, incremental, rowVals, rowFlags, op } = this;
    const base = this.rowGroup[r]! * this.block;
    if (op === 'sum') {
      // The common case in a loop of its own.
      for (let j = 0; j < n; j++) {
        const f = rowFlags[j]!;
        if (f === 0) continue;
        const k = base + j;
        const had = flags[k]!;
        flags[k] = had | f;
        if (had === 0) {
          first[k] = r;
          comp[k] = 0;
          // The step evaluator starts from 0 and adds the first value like any other.
          addKahan(acc, comp, k, 0, rowVals[j]!);
        } else {
          addKahan(acc, comp, k, acc[k]!, rowVals[j]!);
        }
      }
      return;
    }
    for (let j = 0; j < n; j++) {
      const f = rowFlags[j]!;
      if (f === 0) continue;
      const k = base + j;
      const v = rowVals[j]!;
      const had = flags[k]!;
      flags[k] = had | f;
      if (had === 0) {
        first[k] = r;
        count[k] = 1;
        comp[k] = 0;
        acc[k] = v;
        if (incremental !== undefined) incremental[k] = 0;
        continue;
      }
      const c = ++count[k]!;
      switch (op) {
        case 'avg':
          addMean(acc, comp, mean!, incremental!, k, v, c);
          break;
        case 'min': {
          const m = acc[k]!;
          if (m > v || m !== m) acc[k] = v;
          break;
        }
        case 'max': {
          const m = acc[k]!;
          if (m < v || m !== m) acc[k] = v;
          break;
        }
        default:
          break;
      }
    }
  }

  protected stepAt(j: number): Sample[] {
    const B = this.block;
    const order = this.order;
    order.length = 0;
    let sorted = true;
    for (let g = 0; g < this.groups.length; g++) {
      if (this.flags[g * B + j] === 0) continue;
      if (order.length > 0 && this.first[order[order.length - 1]! * B + j]! > this.first[g * B + j]!) sorted = false;
      order.push(g);
    }
    if (!sorted) order.sort((a, b) => this.first[a * B + j]! - this.first[b * B + j]!);
    const out = new Array<Sample>(order.length);
    for (let x = 0; x < order.length; x++) {
      const g = order[x]!;
      const k = g * B + j;
      out[x] = { labels: this.groups[g]!, value: this.value(k), dropName: (this.flags[k]! & DROP) !== 0 };
    }
    return out;
  }

  private value(k: number): number {
    switch (this.op) {
      case 'sum': {
        const s = this.acc[k]!;
        return Number.isFinite(s) ? s + this.comp[k]! : s;
      }
      case 'avg': {
        if (this.incremental![k]) return this.mean![k]! + this.comp[k]!;
        const n = this.count[k]!;
        return this.acc[k]! / n + this.comp[k]! / n;
      }
      case 'count':
        return this.count[k]!;
      case 'group':
        return 1;
      default:
        return this.acc[k]!;
    }
  }
}

/** Kahan–Neumaier step into cell k (as kahanInc): acc[k] = sum + inc. */
function addKahan(acc: Float64Array, comp: Float64Array, k: number, sum: number, inc: number): void {
  const t = sum + inc;
  if (t === Infinity || t === -Infinity) comp[k] = 0;
  else if (Math.abs(sum) >= Math.abs(inc)) comp[k] = comp[k]! + (sum - t + inc);
  else comp[k] = comp[k]! + (inc - t + sum);
  acc[k] = t;
}

/** One more value into an `avg` cell, as the step evaluator's avg (a Kahan sum until it overflows, then a running mean). */
function addMean(acc: Float64Array, comp: Float64Array, mean: Float64Array, incremental: Uint8Array, k: number, f: number, count: number): void {
  if (!incremental[k]) {
    const sum = acc[k]!;
    const c = comp[k]!;
    const t = sum + f;
    let nc: number;
    if (t === Infinity || t === -Infinity) nc = 0;
    else if (Math.abs(sum) >= Math.abs(f)) nc = c + (sum - t + f);
    else nc = c + (f - t + sum);
    if (Number.isFinite(t) || Number.isNaN(t)) {
      acc[k] = t;
      comp[k] = nc;
      return;
    }
    incremental[k] = 1;
    mean[k] = sum / (count - 1);
    comp[k] = c / (count - 1);
  }
  const q = (count - 1) / count;
  const m = q * mean[k]!;
  const c = q * comp[k]!;
  const inc = f / count;
  const t = m + inc;
  if (t === Infinity || t === -Infinity) comp[k] = 0;
  else if (Math.abs(m) >= Math.abs(inc)) comp[k] = c + (m - t + inc);
  else comp[k] = c + (inc - t + m);
  mean[k] = t;
}

/** `f(x[d])` with only number literals besides the range vector, as a row source; else undefined. */
function rangeCallRows(ev: Evaluator, e: Call): RangeFnRows | undefined {
  const fn = RANGE_FUNCTIONS[e.func];
  const sig = FUNCTIONS.get(e.func);
  if (!fn || !sig) return undefined;
  const matrixIdx = sig.argTypes.indexOf('matrix');
  if (matrixIdx < 0) return undefined;
  const args: number[] = [];
  let ms: MatrixSelector | undefined;
  for (let i = 0; i < e.args.length; i++) {
    const a = unwrapParens(e.args[i]!);
    if (i === matrixIdx) {
      if (a.type !== 'matrixSelector') return undefined;
      ms = a;
    } else if (a.type === 'number') {
      args.push(a.value);
    } else {
      return undefined;
    }
  }
  if (!ms) return undefined;
  if (e.func === 'quantile_over_time') {
    // The step evaluator warns at every step; the annotations are a set.
    const q = args[0]!;
    if (Number.isNaN(q) || q < 0 || q > 1) ev.annos.warn(`quantile value should be between 0 and 1, got ${Number.isNaN(q) ? 'NaN' : String(q)}`);
  }
  return new RangeFnRows(ev, ms, fn, e.func, args);
}

/**
 * Finds the subtrees of a range query's expression that evaluate columnar (see the file comment)
 * and builds their roots. Subqueries are left alone: their inner steps are not query steps.
 */
export function planColumnar(ev: Evaluator, expr: Expr): Map<Expr, ColumnarRoot> {
  const roots = new Map<Expr, ColumnarRoot>();
  const steps = ev.stepTimes!.length;
  const walk = (e: Expr): void => {
    switch (e.type) {
      case 'aggregate': {
        if (AGG_OPS.has(e.op) && e.param === undefined) {
          const inner = unwrapParens(e.expr);
          const src = inner.type === 'call' ? rangeCallRows(ev, inner) : inner.type === 'vectorSelector' ? new InstantRows(ev, inner) : undefined;
          if (src) {
            roots.set(e, new AggregateRoot(ev, e.op, e, src, steps));
            return;
          }
        }
        walk(e.expr);
        if (e.param) walk(e.param);
        return;
      }
      case 'call': {
        const src = rangeCallRows(ev, e);
        if (src) {
          roots.set(e, new RowsRoot(ev, src, steps));
          return;
        }
        for (const a of e.args) walk(a);
        return;
      }
      case 'paren':
      case 'unary':
        walk(e.expr);
        return;
      case 'binary':
        walk(e.lhs);
        walk(e.rhs);
        return;
      default:
        return;
    }
  };
  walk(expr);
  return roots;
}
