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

/** The output labels of the group of `l`. */
export function groupingLabels(l: Labels, grouping: string[], without: boolean): Labels {
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

/** The key of the group of `l`; `sortedGrouping` is the by/without list sorted. */
export function groupKey(l: Labels, sortedGrouping: string[], without: boolean): string {
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

/** One output group of an aggregation node, kept across the steps of a query. */
interface GroupSlot {
  labels: Labels;
  /** Step stamp of the last step that touched the group; the fields below belong to that step. */
  stamp: number;
  samples: Sample[];
  values: number[];
  dropName: boolean;
  sum: number;
  c: number;
}

/**
 * Grouping state of one aggregation node for a whole query. Input label sets are usually the
 * same objects at every step, so the grouping key is computed once per series (identity map)
 * and the group's output labels object is built once per group (which in turn keeps the next
 * node's caches hitting).
 */
interface GroupTable {
  sorted: string[];
  byKey: Map<string, GroupSlot>;
  byLabels: Map<Labels, GroupSlot>;
  /**
   * The previous step's input, by position: a range query's input usually lists the same
   * label-set objects in the same order at every step, and comparing one pointer is much
   * cheaper than a Map lookup per series per step.
   */
  posLabels: Labels[];
  posSlot: GroupSlot[];
  stamp: number;
}

function groupTable(ev: Evaluator, e: AggregateExpr): GroupTable {
  let g = ev.nodeState.get(e) as GroupTable | undefined;
  if (!g) {
    g = { sorted: [...e.grouping].sort(), byKey: new Map(), byLabels: new Map(), posLabels: [], posSlot: [], stamp: 0 };
    ev.nodeState.set(e, g);
  }
  return g;
}

/** Groups `input` (in first-appearance order, as Prometheus does) with per-step slots. */
function partitionCached(table: GroupTable, e: AggregateExpr, input: Sample[], collect: 'samples' | 'values' | 'sum'): GroupSlot[] {
  const stamp = ++table.stamp;
  // Label sets made anew at every step (e.g. by a binary operator) would only grow the identity map.
  if (table.byLabels.size > 4 * input.length + 1024) table.byLabels.clear();
  const order: GroupSlot[] = [];
  for (let i = 0; i < input.length; i++) {
    const s = input[i]!;
    let g: GroupSlot | undefined;
    if (table.posLabels[i] === s.labels) {
      g = table.posSlot[i]!;
    } else {
      g = table.byLabels.get(s.labels);
      if (!g) {
        const k = groupKey(s.labels, table.sorted, e.without);
        g = table.byKey.get(k);
        if (!g) {
          g = { labels: groupingLabels(s.labels, e.grouping, e.without), stamp: 0, samples: [], values: [], dropName: false, sum: 0, c: 0 };
          table.byKey.set(k, g);
        }
        table.byLabels.set(s.labels, g);
      }
      table.posLabels[i] = s.labels;
      table.posSlot[i] = g;
    }
    if (g.stamp !== stamp) {
      g.stamp = stamp;
      g.samples = [];
      g.values.length = 0;
      g.dropName = false;
      g.sum = 0;
      g.c = 0;
      order.push(g);
    }
    if (s.dropName) g.dropName = true;
    if (collect === 'sum') {
      // Kahan–Neumaier as kahanInc, inlined: this runs once per input series per step.
      const inc = s.value;
      const sum = g.sum;
      const t = sum + inc;
      if (t === Infinity || t === -Infinity) g.c = 0;
      else if (Math.abs(sum) >= Math.abs(inc)) g.c += sum - t + inc;
      else g.c += inc - t + sum;
      g.sum = t;
    } else if (collect === 'values') {
      g.values.push(s.value);
    } else {
      g.samples.push(s);
    }
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

  const table = groupTable(ev, e);
  const out: Sample[] = [];
  if (e.op === 'sum') {
    for (const g of partitionCached(table, e, input, 'sum')) {
      out.push({ labels: g.labels, value: Number.isFinite(g.sum) ? g.sum + g.c : g.sum, dropName: g.dropName });
    }
    return { kind: 'vector', samples: out };
  }
  for (const g of partitionCached(table, e, input, 'values')) {
    out.push({ labels: g.labels, value: aggregateValues(e.op, g.values, param), dropName: g.dropName });
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
  for (const g of partitionCached(groupTable(ev, e), e, input, 'samples')) {
    if (e.op === 'limitk') {
      for (let i = 0; i < k && i < g.samples.length; i++) out.push(g.samples[i]!);
      continue;
    }
    const ranked = topK(g.samples, k, e.op === 'topk');
    for (const s of ranked) out.push(s);
  }
  return out;
}

/** a ranks before b: larger (topk) or smaller (bottomk) first; NaN last for both, as Prometheus's heaps. */
function ranksBefore(a: number, b: number, top: boolean): boolean {
  if (Number.isNaN(a)) return false;
  if (Number.isNaN(b)) return true;
  return top ? a > b : a < b;
}

/**
 * The first k of `samples` in the order of a stable sort by rank, without sorting them all:
 * a sorted buffer of at most k entries, where a newcomer goes after the entries it does not
 * rank before (so ties keep input order). O(n) for the usual small k and a vector that is not
 * adversarially ordered; large k falls back to a sort.
 */
function topK(samples: Sample[], k: number, top: boolean): Sample[] {
  if (k > 64 && k * 8 > samples.length) {
    const ranked = [...samples].sort((a, b) => (ranksBefore(a.value, b.value, top) ? -1 : ranksBefore(b.value, a.value, top) ? 1 : 0));
    return ranked.slice(0, k);
  }
  const best: Sample[] = [];
  for (let i = 0; i < samples.length; i++) {
    const s = samples[i]!;
    if (best.length === k && !ranksBefore(s.value, best[k - 1]!.value, top)) continue;
    let j = best.length < k ? best.length : k - 1;
    // Shift worse entries down; an equal entry stays ahead of the newcomer.
    while (j > 0 && ranksBefore(s.value, best[j - 1]!.value, top)) {
      if (j < k) best[j] = best[j - 1]!;
      j--;
    }
    best[j] = s;
  }
  return best;
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
