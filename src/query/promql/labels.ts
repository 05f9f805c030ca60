import type { LabelMatcher, Labels } from '../../core/labels.js';

export const METRIC_NAME = '__name__';

// The RE2 translation lives in core so object label selectors and alert matchers share it.
export { translateGoRegex, compileAnchoredRegex } from '../../core/go-regex.js';
import { compileAnchoredRegex } from '../../core/go-regex.js';

/** A predicate for one matcher; a missing label matches as the empty string. */
export function matcherPredicate(m: LabelMatcher): (labels: Labels) => boolean {
  switch (m.op) {
    case '=':
      return (l) => (l[m.name] ?? '') === m.value;
    case '!=':
      return (l) => (l[m.name] ?? '') !== m.value;
    case '=~': {
      const re = compileAnchoredRegex(m.value);
      return (l) => re.test(l[m.name] ?? '');
    }
    case '!~': {
      const re = compileAnchoredRegex(m.value);
      return (l) => !re.test(l[m.name] ?? '');
    }
  }
}

/** Canonical key of a label set (sorted names), used for identity and hashing. */
export function labelsKey(labels: Labels): string {
  const names = Object.keys(labels).sort();
  let s = '';
  for (const n of names) s += `${n}\u0000${labels[n]}\u0001`;
  return s;
}

/** Key over only the given label names (missing labels count as empty). */
export function keyForLabels(labels: Labels, names: readonly string[]): string {
  let s = '';
  for (const n of names) {
    const v = labels[n];
    if (v !== undefined && v !== '') s += `${n}\u0000${v}\u0001`;
  }
  return s;
}

/** Key over all labels except the given names and always except `__name__`. */
export function keyWithoutLabels(labels: Labels, names: readonly string[]): string {
  const skip = new Set(names);
  skip.add(METRIC_NAME);
  let s = '';
  for (const n of Object.keys(labels).sort()) {
    if (skip.has(n)) continue;
    const v = labels[n]!;
    if (v !== '') s += `${n}\u0000${v}\u0001`;
  }
  return s;
}

export function dropMetricName(labels: Labels): Labels {
  if (!(METRIC_NAME in labels)) return labels;
  const out = { ...labels };
  delete out[METRIC_NAME];
  return out;
}

/** Compares label sets the way Prometheus sorts them: by sorted (name, value) pairs. */
export function compareLabels(a: Labels, b: Labels): number {
  const an = Object.keys(a).sort();
  const bn = Object.keys(b).sort();
  const n = Math.min(an.length, bn.length);
  for (let i = 0; i < n; i++) {
    const x = an[i]!;
    const y = bn[i]!;
    if (x !== y) return x < y ? -1 : 1;
    const xv = a[x]!;
    const yv = b[y]!;
    if (xv !== yv) return xv < yv ? -1 : 1;
  }
  return an.length - bn.length;
}

/** Formats labels as Prometheus prints them: `name{a="b", c="d"}`. */
export function formatLabels(labels: Labels): string {
  const name = labels[METRIC_NAME];
  const rest = Object.keys(labels)
    .filter((k) => k !== METRIC_NAME)
    .sort()
    .map((k) => `${k}=${JSON.stringify(labels[k])}`);
  if (name !== undefined && /^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(name)) {
    return rest.length ? `${name}{${rest.join(', ')}}` : name;
  }
  const all = Object.keys(labels)
    .sort()
    .map((k) => `${k}=${JSON.stringify(labels[k])}`);
  return `{${all.join(', ')}}`;
}
