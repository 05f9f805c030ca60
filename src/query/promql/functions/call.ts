import type { Labels } from '../../../core/labels.js';
import { PromqlEvalError } from '../errors.js';
import type { Evaluator } from '../eval/evaluator.js';
import { resolveAt } from '../eval/preload.js';
import type { EvalValue, RangeSeries, Sample } from '../eval/values.js';
import type { Call, Expr } from '../parser/ast.js';
import { FUNCTIONS } from '../parser/functions.js';
import { compareLabels, METRIC_NAME } from '../labels.js';
import { histogramFraction, histogramQuantile, histogramQuantiles, type BucketCache } from './histogram.js';
import { labelJoin, labelReplace } from './label-functions.js';
import { RANGE_FUNCTIONS } from './range.js';
import { DATE_FUNCTIONS, SIMPLE_FUNCTIONS } from './simple.js';
import { naturalLess } from './natsort.js';

const KEEPS_NAME = new Set(['last_over_time', 'first_over_time']);
const COUNTER_SUFFIXES = ['_total', '_sum', '_count', '_bucket'];
const SORTS = new Set(['sort', 'sort_desc', 'sort_by_label', 'sort_by_label_desc']);

function unwrapParens(e: Expr): Expr {
  return e.type === 'paren' ? unwrapParens(e.expr) : e;
}

/** Labels absent() reports: the equality matchers of the selector, minus repeated names. */
function absentLabels(arg: Expr): Labels {
  const e = arg.type === 'matrixSelector' ? arg.selector : arg;
  if (e.type !== 'vectorSelector') return {};
  const out: Labels = {};
  const seen = new Set<string>();
  for (const m of e.matchers) {
    if (m.name === METRIC_NAME) continue;
    if (m.op === '=' && !seen.has(m.name)) {
      out[m.name] = m.value;
      seen.add(m.name);
    } else {
      delete out[m.name];
    }
  }
  for (const k of Object.keys(out)) if (out[k] === '') delete out[k];
  return out;
}

function evalString(ev: Evaluator, e: Expr, t: number): string {
  const v = ev.eval(e, t);
  if (v.kind !== 'string') throw new PromqlEvalError(`expected string, got ${v.kind}`);
  return v.v;
}

function vec(samples: Sample[]): EvalValue {
  return { kind: 'vector', samples };
}

export function evalCall(ev: Evaluator, e: Call, t: number): EvalValue {
  const name = e.func;
  const sig = FUNCTIONS.get(name)!;
  const matrixIdx = sig.argTypes.indexOf('matrix');
  if (matrixIdx >= 0) return evalRangeFunction(ev, e, t, matrixIdx);

  if (SORTS.has(name) && ev.isRangeQuery) {
    ev.annos.warn('sort is ineffective for range queries since results are always ordered by labels');
  }

  switch (name) {
    case 'time':
      return { kind: 'scalar', v: t / 1000 };
    case 'start':
      return { kind: 'scalar', v: ev.p.queryStart / 1000 };
    case 'end':
      return { kind: 'scalar', v: ev.p.queryEnd / 1000 };
    case 'range':
      return { kind: 'scalar', v: (ev.p.queryEnd - ev.p.queryStart) / 1000 };
    case 'step':
      return { kind: 'scalar', v: ev.isRangeQuery ? ev.p.queryStep / 1000 : 0 };
    case 'pi':
      return { kind: 'scalar', v: Math.PI };
    case 'scalar': {
      const v = ev.evalVector(e.args[0]!, t);
      return { kind: 'scalar', v: v.length === 1 ? v[0]!.value : NaN };
    }
    case 'vector':
      return vec([{ labels: {}, value: ev.evalScalar(e.args[0]!, t), dropName: false }]);
    case 'max_of':
    case 'min_of': {
      const a = ev.evalScalar(e.args[0]!, t);
      const b = ev.evalScalar(e.args[1]!, t);
      return { kind: 'scalar', v: name === 'max_of' ? Math.max(a, b) : Math.min(a, b) };
    }
    case 'absent': {
      const v = ev.evalVector(e.args[0]!, t);
      return vec(v.length > 0 ? [] : [{ labels: absentLabels(e.args[0]!), value: 1, dropName: true }]);
    }
    case 'timestamp': {
      const arg = e.args[0]!;
      const v = ev.evalVector(arg, t);
      const direct = arg.type === 'vectorSelector';
      return vec(v.map((s) => ({ labels: s.labels, value: (direct && s.sampleT !== undefined ? s.sampleT : t) / 1000, dropName: true })));
    }
    case 'sort':
    case 'sort_desc': {
      const v = [...ev.evalVector(e.args[0]!, t)];
      const desc = name === 'sort_desc';
      v.sort((a, b) => {
        const an = Number.isNaN(a.value);
        const bn = Number.isNaN(b.value);
        if (an || bn) return an === bn ? 0 : an ? 1 : -1;
        return desc ? b.value - a.value : a.value - b.value;
      });
      return vec(v);
    }
    case 'sort_by_label':
    case 'sort_by_label_desc': {
      const v = [...ev.evalVector(e.args[0]!, t)];
      const names = e.args.slice(1).map((a) => evalString(ev, a, t));
      const dir = name === 'sort_by_label_desc' ? -1 : 1;
      v.sort((a, b) => {
        for (const n of names) {
          const x = a.labels[n] ?? '';
          const y = b.labels[n] ?? '';
          if (x === y) continue;
          return (naturalLess(x, y) ? -1 : 1) * dir;
        }
        return compareLabels(a.labels, b.labels) * dir;
      });
      return vec(v);
    }
    case 'clamp':
    case 'clamp_min':
    case 'clamp_max': {
      const v = ev.evalVector(e.args[0]!, t);
      let lo = -Infinity;
      let hi = Infinity;
      if (name === 'clamp') {
        lo = ev.evalScalar(e.args[1]!, t);
        hi = ev.evalScalar(e.args[2]!, t);
      } else if (name === 'clamp_min') {
        lo = ev.evalScalar(e.args[1]!, t);
      } else {
        hi = ev.evalScalar(e.args[1]!, t);
      }
      if (hi < lo) return vec([]);
      return vec(v.map((s) => ({ labels: s.labels, value: goMax(lo, goMin(hi, s.value)), dropName: true })));
    }
    case 'round': {
      const v = ev.evalVector(e.args[0]!, t);
      const toNearest = e.args.length > 1 ? ev.evalScalar(e.args[1]!, t) : 1;
      const inv = 1 / toNearest;
      return vec(v.map((s) => ({ labels: s.labels, value: Math.floor(s.value * inv + 0.5) / inv, dropName: true })));
    }
    case 'histogram_quantile': {
      const q = ev.evalScalar(e.args[0]!, t);
      let cache = ev.nodeState.get(e) as BucketCache | undefined;
      if (!cache) ev.nodeState.set(e, (cache = new Map()));
      return vec(histogramQuantile(q, ev.evalVector(e.args[1]!, t), ev.annos, cache));
    }
    case 'histogram_quantiles': {
      const label = evalString(ev, e.args[1]!, t);
      const qs = e.args.slice(2).map((a) => ev.evalScalar(a, t));
      return vec(histogramQuantiles(ev.evalVector(e.args[0]!, t), label, qs, ev.annos));
    }
    case 'histogram_fraction': {
      const lo = ev.evalScalar(e.args[0]!, t);
      const hi = ev.evalScalar(e.args[1]!, t);
      return vec(histogramFraction(lo, hi, ev.evalVector(e.args[2]!, t), ev.annos));
    }
    case 'label_replace': {
      const [, dst, repl, src, re] = e.args.map((a, i) => (i === 0 ? '' : evalString(ev, a, t)));
      return vec(labelReplace(ev.evalVector(e.args[0]!, t), dst!, repl!, src!, re!));
    }
    case 'label_join': {
      const strs = e.args.slice(1).map((a) => evalString(ev, a, t));
      return vec(labelJoin(ev.evalVector(e.args[0]!, t), strs[0]!, strs[1]!, strs.slice(2)));
    }
    case 'histogram_avg':
    case 'histogram_count':
    case 'histogram_sum':
    case 'histogram_stddev':
    case 'histogram_stdvar':
      // These read native histograms only; float samples are ignored, as in Prometheus.
      ev.evalVector(e.args[0]!, t);
      return vec([]);
    default:
      break;
  }

  const date = DATE_FUNCTIONS[name];
  if (date) {
    if (e.args.length === 0) return vec([{ labels: {}, value: date(Math.trunc(t / 1000)), dropName: false }]);
    const v = ev.evalVector(e.args[0]!, t);
    return vec(v.map((s) => ({ labels: s.labels, value: Number.isFinite(s.value) ? date(Math.trunc(s.value)) : NaN, dropName: true })));
  }
  const simple = SIMPLE_FUNCTIONS[name];
  if (simple) {
    const v = ev.evalVector(e.args[0]!, t);
    return vec(v.map((s) => ({ labels: s.labels, value: simple(s.value), dropName: true })));
  }
  throw new PromqlEvalError(`function "${name}" is not supported`);
}

/** Go's math.Max/Min propagate NaN. */
function goMax(a: number, b: number): number {
  return Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.max(a, b);
}
function goMin(a: number, b: number): number {
  return Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.min(a, b);
}

function rangeWindow(ev: Evaluator, arg: Expr, t: number): { start: number; end: number; rangeMs: number } {
  if (arg.type === 'matrixSelector') {
    const vs = arg.selector;
    const end = (vs.at ? resolveAt(vs.at, ev.p) : t) - vs.offsetMs;
    return { start: end - arg.rangeMs, end, rangeMs: arg.rangeMs };
  }
  if (arg.type === 'subquery') {
    const end = (arg.at ? resolveAt(arg.at, ev.p) : t) - arg.offsetMs;
    return { start: end - arg.rangeMs, end, rangeMs: arg.rangeMs };
  }
  throw new PromqlEvalError('expected a range vector argument');
}

function evalRangeFunction(ev: Evaluator, e: Call, t: number, matrixIdx: number): EvalValue {
  const name = e.func;
  const args: number[] = [];
  e.args.forEach((a, i) => {
    if (i !== matrixIdx) args.push(ev.evalScalar(a, t));
  });
  if (name === 'quantile_over_time') {
    const q = args[0]!;
    if (Number.isNaN(q) || q < 0 || q > 1) {
      ev.annos.warn(`quantile value should be between 0 and 1, got ${Number.isNaN(q) ? 'NaN' : String(q)}`);
    }
  }
  const matrixArg = unwrapParens(e.args[matrixIdx]!);
  const series: RangeSeries[] = ev.evalMatrix(matrixArg, t);
  if (name === 'absent_over_time') {
    const present = series.some((s) => s.hi > s.lo);
    return vec(present ? [] : [{ labels: absentLabels(matrixArg), value: 1, dropName: true }]);
  }
  const fn = RANGE_FUNCTIONS[name];
  if (!fn) throw new PromqlEvalError(`function "${name}" is not supported`);
  const w = rangeWindow(ev, matrixArg, t);
  const ctx = { t, rangeStart: w.start, rangeEnd: w.end, rangeMs: w.rangeMs, args };
  const keepsName = KEEPS_NAME.has(name);
  // The counter-name check needs each series once per query, not once per step: remember the
  // label sets already checked by position (a range query sees the same objects in the same order).
  let checked: Labels[] | undefined;
  if (name === 'rate' || name === 'increase') {
    checked = ev.nodeState.get(e) as Labels[] | undefined;
    if (!checked) ev.nodeState.set(e, (checked = []));
  }
  const out: Sample[] = [];
  for (let i = 0; i < series.length; i++) {
    const s = series[i]!;
    if (s.hi <= s.lo) continue;
    const v = fn(s.t, s.v, s.lo, s.hi, ctx, s);
    if (v === undefined) continue;
    out.push({ labels: s.labels, value: v, dropName: keepsName ? s.dropName : true });
    if (checked !== undefined && checked[i] !== s.labels) {
      checked[i] = s.labels;
      const metric = s.labels[METRIC_NAME];
      if (metric && !COUNTER_SUFFIXES.some((suf) => metric.endsWith(suf))) {
        ev.annos.info(`metric might not be a counter, name does not end in _total/_sum/_count/_bucket: ${JSON.stringify(metric)}`);
      }
    }
  }
  return vec(out);
}
