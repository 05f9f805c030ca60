import type { Labels } from '../../../core/labels.js';
import { PromqlEvalError } from '../errors.js';
import type { AggregateExpr } from '../parser/ast.js';
import { keyForLabels, keyWithoutLabels, METRIC_NAME } from '../labels.js';
import { kahanInc, quantile } from '../functions/math.js';
import type { Evaluator } from './evaluator.js';
import { formatFloatPlain } from '../format.js';
import { formatGoFloat, type EvalValue, type Sample } from './values.js';

interface Group {
  labels: Labels;
  samples: Sample[];
  dropName: boolean;
}

function groupingLabels(l: Labels, grouping: string[], without: boolean): Labels {
  if (without) {
    const out: Labels = { ...l };
    for (const g of grouping) delete out[g];
    delete out[METRIC_NAME];
    return out;
  }
  const out: Labels = {};
  for (const g of grouping) {
    const v = l[g];
    if (v !== undefined && v !== '') out[g] = v;
  }
  return out;
}

function groupKey(l: Labels, sortedGrouping: string[], without: boolean): string {
  return without ? keyWithoutLabels(l, sortedGrouping) : keyForLabels(l, sortedGrouping);
}

function partition(samples: Sample[], grouping: string[], without: boolean): Group[] {
  const sorted = [...grouping].sort();
  const groups = new Map<string, Group>();
  const order: Group[] = [];
  for (const s of samples) {
    const k = groupKey(s.labels, sorted, without);
    let g = groups.get(k);
    if (!g) {
      g = { labels: groupingLabels(s.labels, grouping, without), samples: [], dropName: false };
      groups.set(k, g);
      order.push(g);
    }
    g.samples.push(s);
    if (s.dropName) g.dropName = true;
  }
  return order;
}

export function evalAggregate(ev: Evaluator, e: AggregateExpr, t: number): EvalValue {
  let param: number | undefined;
  let label: string | undefined;
  if (e.param) {
    const pv = ev.eval(e.param, t);
    if (pv.kind === 'scalar') param = pv.v;
    else if (pv.kind === 'string') label = pv.v;
  }
  const input = ev.evalVector(e.expr, t);

  if (e.op === 'count_values') {
    if (!label) throw new PromqlEvalError(`invalid label name "${label ?? ''}"`);
    const grouping = e.without ? e.grouping : [...e.grouping, label];
    const relabeled = input.map((s) => ({ ...s, labels: { ...s.labels, [label]: formatFloatPlain(s.value) }, dropName: false }));
    return {
      kind: 'vector',
      samples: partition(relabeled, grouping, e.without).map((g) => ({
        labels: g.labels,
        value: g.samples.length,
        dropName: false,
      })),
    };
  }

  if (e.op === 'topk' || e.op === 'bottomk' || e.op === 'limitk' || e.op === 'limit_ratio') {
    return { kind: 'vector', samples: selectK(ev, e, input, param!) };
  }

  if (e.op === 'quantile') {
    const q = param!;
    if (Number.isNaN(q) || q < 0 || q > 1) ev.annos.warn(`quantile value should be between 0 and 1, got ${formatGoFloat(q)}`);
  }

  const out: Sample[] = [];
  for (const g of partition(input, e.grouping, e.without)) {
    const vals = g.samples.map((s) => s.value);
    out.push({ labels: g.labels, value: aggregateValues(e.op, vals, param), dropName: g.dropName });
  }
  return { kind: 'vector', samples: out };
}

function aggregateValues(op: AggregateExpr['op'], vals: number[], param: number | undefined): number {
  switch (op) {
    case 'sum': {
      let sum = 0;
      let c = 0;
      for (const v of vals) [sum, c] = kahanInc(v, sum, c);
      return Number.isFinite(sum) ? sum + c : sum;
    }
    case 'avg': {
      let sum = vals[0]!;
      let c = 0;
      let mean = 0;
      let incremental = false;
      for (let i = 1; i < vals.length; i++) {
        const count = i + 1;
        const f = vals[i]!;
        if (!incremental) {
          const [ns, nc] = kahanInc(f, sum, c);
          if (Number.isFinite(ns) || Number.isNaN(ns)) {
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
      return sum / vals.length + c / vals.length;
    }
    case 'count':
      return vals.length;
    case 'group':
      return 1;
    case 'min': {
      let m = vals[0]!;
      for (const v of vals) if (m > v || Number.isNaN(m)) m = v;
      return m;
    }
    case 'max': {
      let m = vals[0]!;
      for (const v of vals) if (m < v || Number.isNaN(m)) m = v;
      return m;
    }
    case 'stddev':
    case 'stdvar': {
      let count = 0;
      let mean = 0;
      let acc = 0;
      const first = vals[0]!;
      if (!Number.isFinite(first)) acc = NaN;
      mean = first;
      count = 1;
      for (let i = 1; i < vals.length; i++) {
        const f = vals[i]!;
        count++;
        const delta = f - mean;
        mean += delta / count;
        acc += delta * (f - mean);
      }
      const variance = acc / count;
      return op === 'stddev' ? Math.sqrt(variance) : variance;
    }
    case 'quantile':
      return quantile(param!, vals);
    default:
      throw new PromqlEvalError(`unknown aggregation "${op}"`);
  }
}

function selectK(ev: Evaluator, e: AggregateExpr, input: Sample[], param: number): Sample[] {
  if (e.op === 'limit_ratio') {
    if (Number.isNaN(param)) throw new PromqlEvalError('Ratio value is NaN');
    let r = param;
    if (r > 1) {
      ev.annos.warn(`ratio value should be between -1 and 1, got ${formatGoFloat(r)}, capping to 1`);
      r = 1;
    } else if (r < -1) {
      ev.annos.warn(`ratio value should be between -1 and 1, got ${formatGoFloat(r)}, capping to -1`);
      r = -1;
    }
    if (r === 0) return [];
    const out: Sample[] = [];
    for (const g of partition(input, e.grouping, e.without)) {
      for (const s of g.samples) if (ratioSampled(r, s.labels)) out.push(s);
    }
    return out;
  }
  if (Number.isNaN(param)) throw new PromqlEvalError('Parameter value is NaN');
  if (param >= 9.223372036854776e18) throw new PromqlEvalError(`Scalar value ${formatGoFloat(param)} overflows int64`);
  if (param <= -9.223372036854776e18) throw new PromqlEvalError(`Scalar value ${formatGoFloat(param)} underflows int64`);
  const k = Math.min(Math.trunc(param), input.length);
  if (k < 1) return [];
  const out: Sample[] = [];
  for (const g of partition(input, e.grouping, e.without)) {
    if (e.op === 'limitk') {
      out.push(...g.samples.slice(0, k));
      continue;
    }
    const top = e.op === 'topk';
    // NaN sorts last for both directions, matching Prometheus's heaps.
    const ranked = [...g.samples].sort((a, b) => {
      const an = Number.isNaN(a.value);
      const bn = Number.isNaN(b.value);
      if (an || bn) return an === bn ? 0 : an ? 1 : -1;
      return top ? b.value - a.value : a.value - b.value;
    });
    out.push(...ranked.slice(0, k));
  }
  return out;
}

/** Deterministic per-series sampling for limit_ratio, keyed on the label set. */
function ratioSampled(r: number, labels: Labels): boolean {
  const key = Object.keys(labels)
    .sort()
    .map((k) => `${k}\u0000${labels[k]}`)
    .join('\u0001');
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  const frac = h / 0x100000000;
  return r >= 0 ? frac < r : frac >= 1 + r;
}
