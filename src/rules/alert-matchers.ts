/**
 * Alertmanager's matcher syntax, shared by rule dependencies, routes, inhibition rules, silences
 * and maintenance windows: `name="value"`, `name!="value"`, `name=~"regex"`, `name!~"regex"`,
 * unquoted values (`severity=critical`), and a comma-separated list optionally in braces
 * (`{service="db", env=~"prod|stage"}`). As in Alertmanager, a missing label matches as the
 * empty string and regexes are anchored RE2.
 */
import type { LabelMatcher, Labels, MatchOp } from '../core/labels.js';
import { compileAnchoredRegex, matcherPredicate } from '../query/promql/labels.js';

export type { LabelMatcher, MatchOp };

export class MatcherSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MatcherSyntaxError';
  }
}

const TERM_RE = /^\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(=~|!~|!=|=)\s*(.*?)\s*$/s;

function unquote(raw: string, term: string): string {
  if (!raw.startsWith('"')) {
    if (/["\s]/.test(raw) && raw !== '') throw new MatcherSyntaxError(`matcher ${term}: unquoted values may not contain quotes or spaces; quote the value`);
    return raw;
  }
  if (!raw.endsWith('"') || raw.length < 2) throw new MatcherSyntaxError(`matcher ${term}: missing closing quote`);
  try {
    return JSON.parse(raw) as string;
  } catch {
    throw new MatcherSyntaxError(`matcher ${term}: bad escape in quoted value`);
  }
}

/** Splits on commas outside double quotes. */
function splitTerms(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (quoted && c === '\\') {
      cur += c + (s[i + 1] ?? '');
      i++;
      continue;
    }
    if (c === '"') quoted = !quoted;
    if (c === ',' && !quoted) {
      out.push(cur);
      cur = '';
      continue;
    }
    cur += c;
  }
  if (quoted) throw new MatcherSyntaxError(`matchers ${s}: missing closing quote`);
  out.push(cur);
  return out;
}

/** Parses one matcher or a braced list; throws MatcherSyntaxError with the reason. */
export function parseMatchers(input: string): LabelMatcher[] {
  let s = input.trim();
  if (s.startsWith('{')) {
    if (!s.endsWith('}')) throw new MatcherSyntaxError(`matchers ${input}: missing closing "}"`);
    s = s.slice(1, -1);
  }
  const out: LabelMatcher[] = [];
  const terms = splitTerms(s);
  terms.forEach((term, i) => {
    if (term.trim() === '' && (i === terms.length - 1 || terms.length === 1)) return;
    const m = TERM_RE.exec(term);
    if (!m) throw new MatcherSyntaxError(`bad matcher ${JSON.stringify(term.trim())}: expected name="value", name!="value", name=~"regex" or name!~"regex"`);
    const value = unquote(m[3]!, term.trim());
    const op = m[2] as MatchOp;
    if (op === '=~' || op === '!~') {
      try {
        compileAnchoredRegex(value);
      } catch (err) {
        throw new MatcherSyntaxError(`matcher ${term.trim()}: invalid regular expression: ${(err as Error).message}`);
      }
    }
    out.push({ name: m[1]!, op, value });
  });
  return out;
}

/** Parses a list of matcher strings (each may hold several) into one conjunction. */
export function parseMatcherList(list: readonly string[]): LabelMatcher[] {
  return list.flatMap((s) => parseMatchers(s));
}

/** Formats a matcher as Alertmanager prints it: name="value" with Go quoting. */
export function formatMatcher(m: LabelMatcher): string {
  return `${m.name}${m.op}${JSON.stringify(m.value)}`;
}

const OP_ORDER: MatchOp[] = ['=', '!=', '=~', '!~'];

/** `{a="b", c=~"d"}`, sorted as Alertmanager's Matchers.String() sorts them (by name, then matcher type, then value). */
export function formatMatchers(ms: readonly LabelMatcher[]): string {
  const rank = (op: MatchOp): number => OP_ORDER.indexOf(op);
  const sorted = [...ms].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : rank(a.op) - rank(b.op) || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0)));
  return `{${sorted.map(formatMatcher).join(',')}}`;
}

export type LabelPredicate = (labels: Labels) => boolean;

/** Compiles matchers once (regexes included) into a predicate over label sets. */
export function compileMatchers(ms: readonly LabelMatcher[]): LabelPredicate {
  // The same Go-RE2 translation and anchoring as PromQL selectors (Alertmanager's matchers are RE2 too).
  const preds: LabelPredicate[] = ms.map(matcherPredicate);
  return (l) => preds.every((p) => p(l));
}

/** Returns the reason a list of matcher strings is invalid, or undefined. */
export function checkMatchers(list: readonly string[]): string | undefined {
  try {
    parseMatcherList(list);
    return undefined;
  } catch (err) {
    if (err instanceof MatcherSyntaxError) return err.message;
    throw err;
  }
}
