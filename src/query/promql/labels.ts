import type { LabelMatcher, Labels } from '../../core/labels.js';

export const METRIC_NAME = '__name__';

/**
 * Translates an RE2 (Go) regular expression into a JavaScript one. PromQL users write Go
 * syntax: inline flag groups like `(?i:...)`, leading `(?i)`, `(?P<name>...)`, `\z`, `\Q..\E`.
 * Node 20 has no inline modifiers, so case-insensitive groups are expanded into classes.
 */
export function translateGoRegex(src: string): { source: string; flags: string } {
  let out = '';
  let i = 0;
  // Stack of case-insensitivity per group depth.
  const ciStack: boolean[] = [false];
  let ci = false;
  let inClass = false;
  while (i < src.length) {
    const c = src[i]!;
    if (c === '\\') {
      const n = src[i + 1];
      if (n === undefined) throw new Error('trailing backslash at end of expression');
      if (n === 'Q') {
        const end = src.indexOf('\\E', i + 2);
        const lit = end < 0 ? src.slice(i + 2) : src.slice(i + 2, end);
        for (const ch of lit) out += ci && !inClass ? caseClass(ch) : escapeLiteral(ch);
        i = end < 0 ? src.length : end + 2;
        continue;
      }
      if (n === 'z') {
        out += '$(?![\\s\\S])';
        i += 2;
        continue;
      }
      if (n === 'A') {
        out += '^';
        i += 2;
        continue;
      }
      if (ci && !inClass && /[a-zA-Z]/.test(n) && !/[dDwWsSbBpPnrtfvx0-9]/.test(n)) {
        out += caseClass(n);
        i += 2;
        continue;
      }
      out += c + n;
      i += 2;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      if (ci && /[a-zA-Z]/.test(c)) {
        out += c.toLowerCase() === c ? c + c.toUpperCase() : c + c.toLowerCase();
      } else if (c === '[' && src[i + 1] === ':') {
        const end = src.indexOf(':]', i + 2);
        const name = src.slice(i + 2, end);
        out += POSIX_CLASSES[name] ?? '';
        i = end + 2;
        continue;
      } else {
        out += c;
      }
      i++;
      continue;
    }
    if (c === '[') {
      inClass = true;
      out += c;
      i++;
      if (src[i] === '^') {
        out += '^';
        i++;
      }
      if (src[i] === ']') {
        out += '\\]';
        i++;
      }
      continue;
    }
    if (c === '(') {
      if (src[i + 1] === '?') {
        const m = /^\(\?([imsU-]*)(:|\))/.exec(src.slice(i));
        if (m) {
          const flags = m[1]!;
          const neg = flags.indexOf('-');
          const on = neg < 0 ? flags : flags.slice(0, neg);
          const off = neg < 0 ? '' : flags.slice(neg + 1);
          let newCi: boolean = ci;
          if (on.includes('i')) newCi = true;
          if (off.includes('i')) newCi = false;
          if (m[2] === ')') {
            // Flags for the rest of the current group.
            ci = newCi;
            ciStack[ciStack.length - 1] = ci;
            i += m[0].length;
            continue;
          }
          ciStack.push(newCi);
          ci = newCi;
          out += '(?:';
          i += m[0].length;
          continue;
        }
        if (src.startsWith('(?P<', i)) {
          out += '(?<';
          i += 4;
          ciStack.push(ci);
          continue;
        }
      }
      ciStack.push(ci);
      out += c;
      i++;
      continue;
    }
    if (c === ')') {
      ciStack.pop();
      ci = ciStack[ciStack.length - 1] ?? false;
      out += c;
      i++;
      continue;
    }
    if (ci && /[a-zA-Z]/.test(c)) {
      out += caseClass(c);
      i++;
      continue;
    }
    out += c;
    i++;
  }
  return { source: out, flags: 's' };
}

const POSIX_CLASSES: Record<string, string> = {
  alnum: '0-9A-Za-z',
  alpha: 'A-Za-z',
  ascii: '\\x00-\\x7F',
  blank: '\\t ',
  cntrl: '\\x00-\\x1F\\x7F',
  digit: '0-9',
  graph: '!-~',
  lower: 'a-z',
  print: ' -~',
  punct: '!-\\/:-@\\[-`{-~',
  space: '\\t\\n\\v\\f\\r ',
  upper: 'A-Z',
  word: '0-9A-Za-z_',
  xdigit: '0-9A-Fa-f',
};

function caseClass(ch: string): string {
  const lo = ch.toLowerCase();
  const up = ch.toUpperCase();
  return lo === up ? escapeLiteral(ch) : `[${lo}${up}]`;
}

function escapeLiteral(ch: string): string {
  return /[\\^$.*+?()[\]{}|/-]/.test(ch) ? `\\${ch}` : ch;
}

const regexCache = new Map<string, RegExp>();

/** Compiles a Go regex anchored at both ends, as Prometheus does for label matchers. */
export function compileAnchoredRegex(pattern: string): RegExp {
  let re = regexCache.get(pattern);
  if (!re) {
    const { source, flags } = translateGoRegex(pattern);
    re = new RegExp(`^(?:${source})$`, flags);
    if (regexCache.size > 1000) regexCache.clear();
    regexCache.set(pattern, re);
  }
  return re;
}

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
