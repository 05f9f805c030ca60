import type { Labels } from '../../../core/labels.js';
import { PromqlEvalError } from '../errors.js';
import { COMPARISON_OPS, type BinaryExpr, type BinaryOp, type VectorMatching } from '../parser/ast.js';
import { keyForLabels, keyWithoutLabels, labelsKey, METRIC_NAME } from '../labels.js';
import type { Evaluator } from './evaluator.js';
import type { EvalValue, Sample } from './values.js';

const ARITHMETIC: ReadonlySet<string> = new Set(['+', '-', '*', '/', '%', '^', 'atan2']);

/** Go's math.Mod: result has the sign of the dividend, NaN for a zero divisor. */
function goMod(a: number, b: number): number {
  return a % b;
}

function goPow(a: number, b: number): number {
  // Go returns 1 for Pow(NaN, 0) and Pow(1, NaN)... JS agrees on x**0 but not on 1**NaN.
  if (a === 1) return 1;
  if (a === -1 && !Number.isFinite(b) && !Number.isNaN(b)) return 1;
  return Math.pow(a, b);
}

export function arithmetic(op: BinaryOp, a: number, b: number): number {
  switch (op) {
    case '+':
      return a + b;
    case '-':
      return a - b;
    case '*':
      return a * b;
    case '/':
      return a / b;
    case '%':
      return goMod(a, b);
    case '^':
      return goPow(a, b);
    case 'atan2':
      return Math.atan2(a, b);
    default:
      throw new PromqlEvalError(`operator "${op}" not allowed for arithmetic`);
  }
}

export function compare(op: BinaryOp, a: number, b: number): boolean {
  switch (op) {
    case '==':
      return a === b;
    case '!=':
      return a !== b;
    case '>':
      return a > b;
    case '<':
      return a < b;
    case '>=':
      return a >= b;
    case '<=':
      return a <= b;
    default:
      throw new PromqlEvalError(`operator "${op}" is not a comparison`);
  }
}

export function evalBinary(ev: Evaluator, e: BinaryExpr, t: number): EvalValue {
  const lhs = ev.eval(e.lhs, t);
  const rhs = ev.eval(e.rhs, t);
  const isCmp = COMPARISON_OPS.has(e.op);
  if (lhs.kind === 'scalar' && rhs.kind === 'scalar') {
    const v = isCmp ? (compare(e.op, lhs.v, rhs.v) ? 1 : 0) : arithmetic(e.op, lhs.v, rhs.v);
    return { kind: 'scalar', v };
  }
  if (lhs.kind === 'vector' && rhs.kind === 'scalar') {
    return { kind: 'vector', samples: vectorScalar(e, lhs.samples, rhs.v, false) };
  }
  if (lhs.kind === 'scalar' && rhs.kind === 'vector') {
    return { kind: 'vector', samples: vectorScalar(e, rhs.samples, lhs.v, true) };
  }
  if (lhs.kind === 'vector' && rhs.kind === 'vector') {
    const m = e.matching!;
    switch (e.op) {
      case 'and':
        return { kind: 'vector', samples: vectorAnd(lhs.samples, rhs.samples, m) };
      case 'or':
        return { kind: 'vector', samples: vectorOr(lhs.samples, rhs.samples, m) };
      case 'unless':
        return { kind: 'vector', samples: vectorUnless(lhs.samples, rhs.samples, m) };
      default:
        return { kind: 'vector', samples: vectorBinop(e, lhs.samples, rhs.samples, m) };
    }
  }
  throw new PromqlEvalError('binary expression must contain only scalar and instant vector types');
}

function vectorScalar(e: BinaryExpr, vec: Sample[], scalar: number, swap: boolean): Sample[] {
  const out: Sample[] = [];
  const isCmp = COMPARISON_OPS.has(e.op);
  for (const s of vec) {
    const [a, b] = swap ? [scalar, s.value] : [s.value, scalar];
    let value: number;
    let keep = true;
    if (isCmp) {
      keep = compare(e.op, a, b);
      value = s.value;
    } else {
      value = arithmetic(e.op, a, b);
    }
    if (e.returnBool) {
      value = keep ? 1 : 0;
      keep = true;
    }
    if (!keep) continue;
    const dropName = s.dropName || !isCmp || e.returnBool;
    out.push({ labels: s.labels, value, dropName });
  }
  return out;
}

export function matchSignature(m: VectorMatching): (l: Labels) => string {
  if (m.on) {
    const names = [...m.labels].sort();
    return (l) => keyForLabels(l, names);
  }
  return (l) => keyWithoutLabels(l, m.labels);
}

function vectorAnd(lhs: Sample[], rhs: Sample[], m: VectorMatching): Sample[] {
  if (lhs.length === 0 || rhs.length === 0) return [];
  const sig = matchSignature(m);
  const right = new Set(rhs.map((s) => sig(s.labels)));
  return lhs.filter((s) => right.has(sig(s.labels)));
}

function vectorOr(lhs: Sample[], rhs: Sample[], m: VectorMatching): Sample[] {
  if (lhs.length === 0) return rhs;
  if (rhs.length === 0) return lhs;
  const sig = matchSignature(m);
  const left = new Set(lhs.map((s) => sig(s.labels)));
  return [...lhs, ...rhs.filter((s) => !left.has(sig(s.labels)))];
}

function vectorUnless(lhs: Sample[], rhs: Sample[], m: VectorMatching): Sample[] {
  if (lhs.length === 0 || rhs.length === 0) return lhs;
  const sig = matchSignature(m);
  const right = new Set(rhs.map((s) => sig(s.labels)));
  return lhs.filter((s) => !right.has(sig(s.labels)));
}

/** The labels used to match a sample, printed for error messages. */
function matchedLabelsString(l: Labels, m: VectorMatching): string {
  const keep: Labels = {};
  for (const [k, v] of Object.entries(l)) {
    const listed = m.labels.includes(k);
    if (m.on ? listed : !listed && k !== METRIC_NAME) keep[k] = v;
  }
  return labelsString(keep);
}

/** `{a="b", c="d"}` with sorted names, as Prometheus prints a label set. */
export function labelsString(l: Labels): string {
  return `{${Object.keys(l)
    .sort()
    .map((k) => `${k}=${JSON.stringify(l[k])}`)
    .join(', ')}}`;
}

function resultLabels(ls: Labels, rs: Labels, e: BinaryExpr, m: VectorMatching): Labels {
  const out: Labels = { ...ls };
  if (ARITHMETIC.has(e.op)) delete out[METRIC_NAME];
  if (m.card === 'one-to-one') {
    if (m.on) {
      for (const k of Object.keys(out)) if (!m.labels.includes(k)) delete out[k];
    } else {
      for (const k of m.labels) delete out[k];
    }
  }
  for (const k of m.include) {
    const v = rs[k];
    if (v !== undefined && v !== '') out[k] = v;
    else delete out[k];
  }
  return out;
}

function vectorBinop(e: BinaryExpr, lhsIn: Sample[], rhsIn: Sample[], m: VectorMatching): Sample[] {
  if (lhsIn.length === 0 || rhsIn.length === 0) return [];
  const swapSides = m.card === 'one-to-many';
  const [lhs, rhs] = swapSides ? [rhsIn, lhsIn] : [lhsIn, rhsIn];
  const sig = matchSignature(m);
  const right = new Map<string, Sample>();
  for (const rs of rhs) {
    const k = sig(rs.labels);
    const dup = right.get(k);
    if (dup) {
      const side = swapSides ? 'left' : 'right';
      const [d1, d2] = [labelsString(rs.labels), labelsString(dup.labels)].sort();
      throw new PromqlEvalError(
        `found duplicate series for the match group ${matchedLabelsString(rs.labels, m)} on the ${side} hand-side of the operation: [${d1}, ${d2}];many-to-many matching not allowed: matching labels must be unique on one side`,
      );
    }
    right.set(k, rs);
  }
  const isCmp = COMPARISON_OPS.has(e.op);
  const matchedOneToOne = new Set<string>();
  const matchedMany = new Map<string, Set<string>>();
  const out: Sample[] = [];
  for (const ls of lhs) {
    const k = sig(ls.labels);
    const rs = right.get(k);
    if (!rs) continue;
    const [a, b] = swapSides ? [rs.value, ls.value] : [ls.value, rs.value];
    let value: number;
    let keep = true;
    if (isCmp) {
      keep = compare(e.op, a, b);
      value = a;
    } else {
      value = arithmetic(e.op, a, b);
    }
    if (e.returnBool) value = keep ? 1 : 0;
    const labels = resultLabels(ls.labels, rs.labels, e, m);
    if (m.card === 'one-to-one') {
      if (matchedOneToOne.has(k)) {
        throw new PromqlEvalError('multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)');
      }
      matchedOneToOne.add(k);
    } else {
      const lk = labelsKey(labels);
      let set = matchedMany.get(k);
      if (!set) {
        set = new Set();
        matchedMany.set(k, set);
      }
      if (set.has(lk)) throw new PromqlEvalError('multiple matches for labels: grouping labels must ensure unique matches');
      set.add(lk);
    }
    if (!keep && !e.returnBool) continue;
    // Prometheus resets the flag here; inheriting it keeps `rate(x[5m]) > y` nameless, as without delayed removal.
    out.push({ labels, value, dropName: e.returnBool || (isCmp && ls.dropName) });
  }
  return out;
}
