/**
 * Go (RE2) regular expressions in JavaScript: Prometheus users write Go syntax in label
 * matchers, alert matchers, object label selectors and templates.
 */

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
