import type { AtModifier, Expr, VectorSelector } from '../parser/ast.js';

/** Time window (ms, inclusive) a selector needs from storage over the whole query. */
export interface Window {
  minT: number;
  maxT: number;
}

export interface PreloadParams {
  queryStart: number;
  queryEnd: number;
  lookbackMs: number;
}

export function resolveAt(at: AtModifier, p: { queryStart: number; queryEnd: number }): number {
  if (at.kind === 'start') return p.queryStart;
  if (at.kind === 'end') return p.queryEnd;
  return at.ms;
}

/**
 * Walks the expression and computes, per vector selector, the storage window needed when the
 * node is evaluated at every time in [from, to]; offsets, `@`, ranges and subqueries widen or
 * move the window.
 */
export function selectorWindows(expr: Expr, p: PreloadParams): Map<VectorSelector, Window> {
  const out = new Map<VectorSelector, Window>();
  const add = (vs: VectorSelector, minT: number, maxT: number): void => {
    const w = out.get(vs);
    if (w) {
      w.minT = Math.min(w.minT, minT);
      w.maxT = Math.max(w.maxT, maxT);
    } else {
      out.set(vs, { minT, maxT });
    }
  };
  const walk = (e: Expr, from: number, to: number): void => {
    switch (e.type) {
      case 'vectorSelector': {
        const [f, t] = e.at ? [resolveAt(e.at, p), resolveAt(e.at, p)] : [from, to];
        add(e, f - e.offsetMs - p.lookbackMs, t - e.offsetMs);
        return;
      }
      case 'matrixSelector': {
        const vs = e.selector;
        const [f, t] = vs.at ? [resolveAt(vs.at, p), resolveAt(vs.at, p)] : [from, to];
        add(vs, f - vs.offsetMs - e.rangeMs, t - vs.offsetMs);
        return;
      }
      case 'subquery': {
        const [f, t] = e.at ? [resolveAt(e.at, p), resolveAt(e.at, p)] : [from, to];
        walk(e.expr, f - e.offsetMs - e.rangeMs, t - e.offsetMs);
        return;
      }
      case 'paren':
      case 'unary':
        walk(e.expr, from, to);
        return;
      case 'binary':
        walk(e.lhs, from, to);
        walk(e.rhs, from, to);
        return;
      case 'aggregate':
        walk(e.expr, from, to);
        if (e.param) walk(e.param, from, to);
        return;
      case 'call':
        for (const a of e.args) walk(a, from, to);
        return;
      default:
        return;
    }
  };
  walk(expr, p.queryStart, p.queryEnd);
  return out;
}
