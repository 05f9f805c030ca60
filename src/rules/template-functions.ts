/**
 * The template functions Prometheus offers to alert templates (humanize*, printf, toUpper,
 * reReplaceAll, …) and Go's builtins (eq, lt, and, index, len, …), reimplemented with Go's
 * output. Functions that query the TSDB or reach other templates are refused at apply.
 */
import { formatGoE, formatGoF, formatGoFloat, formatGoG } from './go-format.js';
import { re2ToJs, re2ReplacementToJs } from './re2.js';

/** A template value: Go strings, float64 (number), int (bigint), bool, maps, slices, nil, or "no value". */
export type TemplateValue = string | number | bigint | boolean | null | undefined | { [k: string]: string } | TemplateValue[];

export class TemplateExecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateExecError';
  }
}

/** Functions Kansoku refuses, with the reason given at apply. */
export const REFUSED_FUNCTIONS: Record<string, string> = {
  query: 'templates cannot run PromQL queries in Kansoku; put the value in the rule expression or a label',
  first: 'it reads query() results, which Kansoku templates do not run',
  label: 'it reads query() results, which Kansoku templates do not run',
  value: 'it reads query() results, which Kansoku templates do not run',
  strvalue: 'it reads query() results, which Kansoku templates do not run',
  sortByLabel: 'it reads query() results, which Kansoku templates do not run',
  args: 'console-template function, not available to alert templates',
  tmpl: 'console-template function, not available to alert templates',
  safeHtml: 'alert annotations are plain text',
  graphLink: 'console-template function, not available to alert templates',
  tableLink: 'console-template function, not available to alert templates',
  call: 'templates have no callable values',
  slice: 'not in the supported subset (use reReplaceAll)',
};

/** [min, max] arguments (max -1: any number). */
export const FUNCTION_ARITY: Record<string, [number, number]> = {
  humanize: [1, 1],
  humanize1024: [1, 1],
  humanizeDuration: [1, 1],
  humanizePercentage: [1, 1],
  humanizeTimestamp: [1, 1],
  toUpper: [1, 1],
  toLower: [1, 1],
  title: [1, 1],
  reReplaceAll: [3, 3],
  match: [2, 2],
  stripPort: [1, 1],
  stripDomain: [1, 1],
  parseDuration: [1, 1],
  externalURL: [0, 0],
  pathPrefix: [0, 0],
  printf: [1, -1],
  print: [0, -1],
  println: [0, -1],
  len: [1, 1],
  index: [1, -1],
  eq: [2, -1],
  ne: [2, 2],
  lt: [2, 2],
  le: [2, 2],
  gt: [2, 2],
  ge: [2, 2],
  and: [1, -1],
  or: [1, -1],
  not: [1, 1],
  urlquery: [0, -1],
  html: [0, -1],
};

export interface FunctionContext {
  externalURL: string;
}

/** Go's printing of a value with %v / print. */
export function printValue(v: TemplateValue): string {
  if (v === undefined) return '<no value>';
  if (v === null) return '<nil>';
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return formatGoFloat(v);
  if (typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `[${v.map(printValue).join(' ')}]`;
  return `map[${Object.keys(v)
    .sort()
    .map((k) => `${k}:${v[k]}`)
    .join(' ')}]`;
}

/** Go's truth: zero values and "no value" are false. */
export function isTrue(v: TemplateValue): boolean {
  if (v === undefined || v === null) return false;
  if (typeof v === 'string') return v !== '';
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'bigint') return v !== 0n;
  if (typeof v === 'boolean') return v;
  if (Array.isArray(v)) return v.length > 0;
  return Object.keys(v).length > 0;
}

function goType(v: TemplateValue): string {
  if (v === undefined || v === null) return '<nil>';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'number') return 'float64';
  if (typeof v === 'bigint') return 'int';
  if (typeof v === 'boolean') return 'bool';
  if (Array.isArray(v)) return '[]interface {}';
  return 'map[string]string';
}

function toFloat(v: TemplateValue): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'string') {
    const t = v.trim();
    const n = /^[-+]?(inf|infinity)$/i.test(t) ? (t.startsWith('-') ? -Infinity : Infinity) : /^nan$/i.test(t) ? NaN : t === '' ? NaN : Number(t);
    if (Number.isNaN(n) && !/^nan$/i.test(t)) throw new TemplateExecError(`strconv.ParseFloat: parsing ${JSON.stringify(v)}: invalid syntax`);
    return n;
  }
  throw new TemplateExecError(`can't convert ${goType(v)} to float`);
}

function toStr(v: TemplateValue, fn: string): string {
  if (typeof v === 'string') return v;
  throw new TemplateExecError(`wrong type for value; expected string; got ${goType(v)} (in ${fn})`);
}

const SI_UP = ['k', 'M', 'G', 'T', 'P', 'E', 'Z', 'Y'];
const SI_DOWN = ['m', 'u', 'n', 'p', 'f', 'a', 'z', 'y'];

export function humanize(x: number): string {
  let v = x;
  if (v === 0 || !Number.isFinite(v)) return formatGoG(v, 4);
  let prefix = '';
  if (Math.abs(v) >= 1) {
    for (const p of SI_UP) {
      if (Math.abs(v) < 1000) break;
      prefix = p;
      v /= 1000;
    }
  } else {
    for (const p of SI_DOWN) {
      if (Math.abs(v) >= 1) break;
      prefix = p;
      v *= 1000;
    }
  }
  return formatGoG(v, 4) + prefix;
}

export function humanize1024(x: number): string {
  let v = x;
  if (Math.abs(v) <= 1 || !Number.isFinite(v)) return formatGoG(v, 4);
  let prefix = '';
  for (const p of ['ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei', 'Zi', 'Yi']) {
    if (Math.abs(v) < 1024) break;
    prefix = p;
    v /= 1024;
  }
  return formatGoG(v, 4) + prefix;
}

export function humanizeDuration(x: number): string {
  let v = x;
  if (!Number.isFinite(v)) return formatGoG(v, 4);
  if (v === 0) return formatGoG(v, 4) + 's';
  if (Math.abs(v) >= 1) {
    let sign = '';
    if (v < 0) {
      sign = '-';
      v = -v;
    }
    const d = Math.trunc(v);
    const seconds = d % 60;
    const minutes = Math.trunc(d / 60) % 60;
    const hours = Math.trunc(d / 3600) % 24;
    const days = Math.trunc(d / 86400);
    if (days !== 0) return `${sign}${days}d ${hours}h ${minutes}m ${seconds}s`;
    if (hours !== 0) return `${sign}${hours}h ${minutes}m ${seconds}s`;
    if (minutes !== 0) return `${sign}${minutes}m ${seconds}s`;
    return `${sign}${formatGoG(v, 4)}s`;
  }
  let prefix = '';
  for (const p of SI_DOWN) {
    if (Math.abs(v) >= 1) break;
    prefix = p;
    v *= 1000;
  }
  return `${formatGoG(v, 4)}${prefix}s`;
}

/** Go's time.Time.String() of a UTC instant: "2026-01-02 03:04:05.5 +0000 UTC". */
export function humanizeTimestamp(seconds: number): string {
  if (!Number.isFinite(seconds)) return formatGoG(seconds, 4);
  const ms = Math.round(seconds * 1000);
  const iso = new Date(ms).toISOString();
  const frac = ms % 1000 === 0 ? '' : '.' + iso.slice(20, 23).replace(/0+$/, '');
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}${frac} +0000 UTC`;
}

function goTitle(s: string): string {
  return s.replace(/(^|[^\p{L}\p{N}_'])(\p{L})/gu, (_m, pre: string, ch: string) => pre + ch.toUpperCase());
}

function basicKind(v: TemplateValue): 'bool' | 'int' | 'float' | 'string' | 'invalid' {
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'bigint') return 'int';
  if (typeof v === 'number') return 'float';
  if (typeof v === 'string') return 'string';
  return 'invalid';
}

function compare(a: TemplateValue, b: TemplateValue, ordered: boolean): number {
  const ka = basicKind(a);
  const kb = basicKind(b);
  if (ka === 'invalid' || kb === 'invalid') throw new TemplateExecError(a === undefined || b === undefined ? 'invalid type for comparison' : 'non-comparable type');
  if (ka !== kb) throw new TemplateExecError('incompatible types for comparison');
  if (ordered && ka === 'bool') throw new TemplateExecError('invalid type for comparison');
  if (a === b) return 0;
  if (ka === 'float' && Number.isNaN(a) ) return NaN;
  return (a as number) < (b as number) ? -1 : 1;
}

const PRINTF_RE = /%([-+# 0]*)(\d+|\*)?(?:\.(\d*|\*))?([a-zA-Z%])/g;

/** Go's fmt.Sprintf for the verbs alert templates use: %s %v %d %f %e %g %q %x %t %%. */
export function goSprintf(format: string, args: TemplateValue[]): string {
  let argi = 0;
  let out = format.replace(PRINTF_RE, (_m, flags: string, width: string | undefined, prec: string | undefined, verb: string) => {
    if (verb === '%') return '%';
    if (argi >= args.length) return `%!${verb}(MISSING)`;
    const a = args[argi++]!;
    const p = prec === undefined ? undefined : prec === '' ? 0 : Number(prec);
    let s: string;
    const bad = (): string => `%!${verb}(${goType(a)}=${printValue(a)})`;
    switch (verb) {
      case 'v':
        s = typeof a === 'number' && p !== undefined ? formatGoG(a, p) : printValue(a);
        break;
      case 's':
        if (typeof a !== 'string') return bad();
        s = p === undefined ? a : a.slice(0, p);
        break;
      case 'q':
        if (typeof a !== 'string') return bad();
        s = JSON.stringify(a);
        break;
      case 'd':
        if (typeof a !== 'bigint') return bad();
        s = a.toString();
        if (flags.includes('+') && a >= 0n) s = '+' + s;
        break;
      case 'x':
      case 'X':
        if (typeof a === 'bigint') s = a.toString(16);
        else if (typeof a === 'string') s = Buffer.from(a).toString('hex');
        else return bad();
        if (verb === 'X') s = s.toUpperCase();
        break;
      case 't':
        if (typeof a !== 'boolean') return bad();
        s = String(a);
        break;
      case 'f':
      case 'F':
      case 'e':
      case 'g': {
        if (typeof a !== 'number') return bad();
        s = verb === 'e' ? formatGoE(a, p ?? 6) : verb === 'g' ? formatGoG(a, p) : formatGoF(a, p ?? 6);
        if (flags.includes('+') && a >= 0) s = '+' + s;
        break;
      }
      default:
        return `%!${verb}(${goType(a)}=${printValue(a)})`;
    }
    if (width !== undefined && width !== '*') {
      const w = Number(width);
      if (s.length < w) {
        if (flags.includes('-')) s = s.padEnd(w);
        else if (flags.includes('0') && /^[-+]?[\d.]/.test(s) && verb !== 's') {
          const sign = /^[-+]/.test(s) ? s[0]! : '';
          s = sign + s.slice(sign.length).padStart(w - sign.length, '0');
        } else s = s.padStart(w);
      }
    }
    return s;
  });
  if (argi < args.length) {
    out += '%!(EXTRA ' + args.slice(argi).map((a) => `${goType(a)}=${printValue(a)}`).join(', ') + ')';
  }
  return out;
}

function sprint(args: TemplateValue[]): string {
  // Go's Sprint adds spaces between operands when neither is a string.
  let out = '';
  args.forEach((a, i) => {
    if (i > 0 && typeof a !== 'string' && typeof args[i - 1] !== 'string') out += ' ';
    out += printValue(a);
  });
  return out;
}

export function callFunction(name: string, args: TemplateValue[], cx: FunctionContext): TemplateValue {
  switch (name) {
    case 'humanize':
      return humanize(toFloat(args[0]));
    case 'humanize1024':
      return humanize1024(toFloat(args[0]));
    case 'humanizeDuration':
      return humanizeDuration(toFloat(args[0]));
    case 'humanizePercentage':
      return formatGoG(toFloat(args[0]) * 100, 4) + '%';
    case 'humanizeTimestamp':
      return humanizeTimestamp(toFloat(args[0]));
    case 'toUpper':
      return toStr(args[0], name).toUpperCase();
    case 'toLower':
      return toStr(args[0], name).toLowerCase();
    case 'title':
      return goTitle(toStr(args[0], name));
    case 'reReplaceAll': {
      const re = new RegExp(...re2ToJs(toStr(args[0], name), 'g'));
      return toStr(args[2], name).replace(re, re2ReplacementToJs(toStr(args[1], name)));
    }
    case 'match':
      return new RegExp(...re2ToJs(toStr(args[0], name), '')).test(toStr(args[1], name));
    case 'stripPort': {
      const s = toStr(args[0], name);
      const v6 = /^\[(.*)\]:\d*$/.exec(s);
      if (v6) return v6[1]!;
      const m = /^([^:]*):\d*$/.exec(s);
      return m ? m[1]! : s;
    }
    case 'stripDomain': {
      const s = toStr(args[0], name);
      const m = /^([^:]*?)(:\d+)?$/.exec(s);
      if (!m || /^\[|^\d+\.\d+\.\d+\.\d+$/.test(m[1]!)) return s;
      return m[1]!.split('.')[0]! + (m[2] ?? '');
    }
    case 'parseDuration': {
      const s = toStr(args[0], name);
      const m = /^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/.exec(s);
      if (!m || s === '') throw new TemplateExecError(`not a valid duration string: ${JSON.stringify(s)}`);
      const mult = [365 * 86400, 7 * 86400, 86400, 3600, 60, 1, 0.001];
      return mult.reduce((acc, k, i) => acc + Number(m[i + 1] ?? 0) * k, 0);
    }
    case 'externalURL':
      return cx.externalURL;
    case 'pathPrefix':
      try {
        return new URL(cx.externalURL).pathname.replace(/\/$/, '');
      } catch {
        return '';
      }
    case 'printf':
      return goSprintf(toStr(args[0], name), args.slice(1));
    case 'print':
      return sprint(args);
    case 'println':
      return args.map(printValue).join(' ') + '\n';
    case 'len': {
      const a = args[0];
      if (typeof a === 'string') return BigInt(Buffer.byteLength(a));
      if (Array.isArray(a)) return BigInt(a.length);
      if (a && typeof a === 'object') return BigInt(Object.keys(a).length);
      throw new TemplateExecError(`len of type ${goType(a)}`);
    }
    case 'index': {
      let cur = args[0];
      for (const key of args.slice(1)) {
        if (Array.isArray(cur)) {
          if (typeof key !== 'bigint') throw new TemplateExecError('cannot index slice/array with non-integer');
          if (key < 0n || key >= BigInt(cur.length)) throw new TemplateExecError(`index out of range: ${key}`);
          cur = cur[Number(key)];
        } else if (cur && typeof cur === 'object') {
          if (typeof key !== 'string') throw new TemplateExecError(`value has type ${goType(key)}; should be string`);
          cur = (cur as Record<string, string>)[key] ?? '';
        } else {
          throw new TemplateExecError(`can't index item of type ${goType(cur)}`);
        }
      }
      return cur;
    }
    case 'eq':
      return args.slice(1).some((b) => compare(args[0], b, false) === 0);
    case 'ne':
      return compare(args[0], args[1], false) !== 0;
    case 'lt':
      return compare(args[0], args[1], true) < 0;
    case 'le':
      return compare(args[0], args[1], true) <= 0;
    case 'gt':
      return compare(args[0], args[1], true) > 0;
    case 'ge':
      return compare(args[0], args[1], true) >= 0;
    case 'and': {
      for (const a of args) if (!isTrue(a)) return a;
      return args[args.length - 1];
    }
    case 'or': {
      for (const a of args) if (isTrue(a)) return a;
      return args[args.length - 1];
    }
    case 'not':
      return !isTrue(args[0]);
    case 'urlquery':
      return encodeURIComponent(sprint(args)).replace(/%20/g, '+');
    case 'html':
      return sprint(args).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&#34;', "'": '&#39;' })[c]!);
    default:
      throw new TemplateExecError(`function "${name}" not defined`);
  }
}
