/**
 * Nagios plugin output and performance data, as the Monitoring Plugins Development Guidelines
 * define them (sections "Plugin Output", "Performance data", "Threshold and ranges"):
 *
 *   TEXT [| PERFDATA]\n          first line: status text, optionally perfdata after "|"
 *   LONG TEXT …\n                 further lines: long output …
 *   LONG TEXT [| PERFDATA]\n      … until a line holding "|": from there on, the rest of that
 *   PERFDATA …\n                  line and all later lines are perfdata (Nagios 3+ concatenates)
 *
 *   perfdata item: 'label'=value[UOM];[warn];[crit];[min];[max]
 *
 * Pure functions, no I/O: shared by the `command` check, the agent and anything that accepts
 * Nagios-style results. A malformed item never throws; it is reported in `invalid` so a plugin
 * with one bad label still yields its other metrics.
 */
import type { CheckMetric } from './check-result.js';

export interface PluginOutput {
  /** First line without its perfdata, trimmed. */
  text: string;
  /** Lines after the first, without perfdata; '' when none. */
  longOutput: string;
  /** All perfdata text (first line's and the long output's), joined with a space. */
  perfdata: string;
}

/** Splits plugin stdout into status text, long output and perfdata (Nagios 3+ rules). */
export function splitPluginOutput(stdout: string): PluginOutput {
  const lines = stdout.replace(/\r\n/g, '\n').replace(/\n+$/, '').split('\n');
  const first = lines[0] ?? '';
  const bar = first.indexOf('|');
  const text = (bar >= 0 ? first.slice(0, bar) : first).trim();
  const perf: string[] = [];
  if (bar >= 0) perf.push(first.slice(bar + 1).trim());
  const long: string[] = [];
  let inPerf = false;
  for (const line of lines.slice(1)) {
    if (inPerf) {
      perf.push(line.trim());
      continue;
    }
    const i = line.indexOf('|');
    if (i >= 0) {
      inPerf = true;
      if (line.slice(0, i).trim() !== '') long.push(line.slice(0, i));
      perf.push(line.slice(i + 1).trim());
    } else {
      long.push(line);
    }
  }
  return { text, longOutput: long.join('\n'), perfdata: perf.filter((p) => p !== '').join(' ') };
}

export const PERFDATA_UNITS = ['', 's', 'ms', 'us', '%', 'B', 'KB', 'MB', 'GB', 'TB', 'c'] as const;

export interface PerfdataItem {
  label: string;
  /** undefined when the plugin wrote "U" (value could not be determined). */
  value: number | undefined;
  unit?: string;
  warn?: string;
  crit?: string;
  min?: number;
  max?: number;
}

export interface PerfdataParse {
  items: PerfdataItem[];
  /** Tokens that are not valid perfdata, each with the reason, e.g. `"x=abc": value is not a number`. */
  invalid: string[];
}

const NUMBER_RE = /^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/;
// value then UOM: the UOM is whatever follows the number (guidelines list s ms us % B KB MB GB TB c,
// but real plugins also write e.g. "MiB" or "bps"; keep it rather than drop the metric).
const VALUE_UOM_RE = /^([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|U)([^\d;\s]*)$/;

/** Splits the perfdata string into tokens, honouring quoted labels ('a b'=1, ''''=1 for a quote). */
function tokenize(perfdata: string): string[] {
  const tokens: string[] = [];
  let i = 0;
  const s = perfdata;
  while (i < s.length) {
    while (i < s.length && /\s/.test(s[i]!)) i++;
    if (i >= s.length) break;
    let tok = '';
    if (s[i] === "'") {
      // Quoted label: '' inside stands for one quote; the label ends at a lone quote.
      tok += "'";
      i++;
      while (i < s.length) {
        if (s[i] === "'" && s[i + 1] === "'") {
          tok += "''";
          i += 2;
        } else if (s[i] === "'") {
          tok += "'";
          i++;
          break;
        } else {
          tok += s[i];
          i++;
        }
      }
    }
    while (i < s.length && !/\s/.test(s[i]!)) {
      tok += s[i];
      i++;
    }
    tokens.push(tok);
  }
  return tokens;
}

function parseLabel(raw: string): string | undefined {
  if (raw.startsWith("'")) {
    if (!raw.endsWith("'") || raw.length < 2) return undefined;
    return raw.slice(1, -1).replace(/''/g, "'");
  }
  return raw;
}

/** Parses a perfdata string into items; never throws. */
export function parsePerfdata(perfdata: string): PerfdataParse {
  const items: PerfdataItem[] = [];
  const invalid: string[] = [];
  for (const tok of tokenize(perfdata)) {
    const eq = tok.lastIndexOf('=');
    if (eq <= 0) {
      invalid.push(`"${tok}": expected 'label'=value[UOM];[warn];[crit];[min];[max]`);
      continue;
    }
    const label = parseLabel(tok.slice(0, eq));
    if (label === undefined || label === '') {
      invalid.push(`"${tok}": label is empty or its quotes are unbalanced`);
      continue;
    }
    const fields = tok.slice(eq + 1).split(';');
    const vm = VALUE_UOM_RE.exec(fields[0] ?? '');
    if (!vm) {
      invalid.push(`"${tok}": value is not a number or "U"`);
      continue;
    }
    const item: PerfdataItem = { label, value: vm[1] === 'U' ? undefined : Number(vm[1]) };
    if (vm[2]) item.unit = vm[2];
    const [, warn, crit, min, max] = fields;
    if (warn) item.warn = warn;
    if (crit) item.crit = crit;
    let bad: string | undefined;
    for (const [key, text] of [
      ['min', min],
      ['max', max],
    ] as const) {
      if (!text) continue;
      // min/max carry the value's UOM in some plugins ("0B"); the guidelines say [-0-9.] only.
      const m = VALUE_UOM_RE.exec(text);
      if (!m || m[1] === 'U' || !NUMBER_RE.test(m[1]!)) bad = `"${tok}": ${key} "${text}" is not a number`;
      else item[key] = Number(m[1]);
    }
    for (const [key, text] of [
      ['warn', warn],
      ['crit', crit],
    ] as const) {
      if (text && parseRange(text) === undefined) bad = `"${tok}": ${key} "${text}" is not a range like 10, 10:, ~:10, 10:20 or @10:20`;
    }
    if (bad) {
      invalid.push(bad);
      continue;
    }
    items.push(item);
  }
  return { items, invalid };
}

/** Perfdata items as check metrics; items whose value is "U" are left out (there is no number). */
export function perfdataToMetrics(items: PerfdataItem[]): CheckMetric[] {
  const out: CheckMetric[] = [];
  for (const it of items) {
    if (it.value === undefined) continue;
    const m: CheckMetric = { name: it.label, value: it.value };
    if (it.unit !== undefined) m.unit = it.unit;
    if (it.warn !== undefined) m.warn = it.warn;
    if (it.crit !== undefined) m.crit = it.crit;
    if (it.min !== undefined) m.min = it.min;
    if (it.max !== undefined) m.max = it.max;
    out.push(m);
  }
  return out;
}

/** A Nagios threshold range: alert when the value is outside [start, end], or inside when `inside`. */
export interface NagiosRange {
  start: number;
  end: number;
  inside: boolean;
}

/**
 * Parses "[@]start:end" ("10" = 0..10, "10:" = 10..∞, "~:10" = -∞..10, "@10:20" = alert inside).
 * Real plugins print numbers with decimals ("150.000") and sometimes a UOM; both are accepted.
 */
export function parseRange(text: string): NagiosRange | undefined {
  let t = text.trim();
  const inside = t.startsWith('@');
  if (inside) t = t.slice(1);
  const num = (s: string): number | undefined => {
    const m = /^([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)[a-zA-Z%]*$/.exec(s);
    return m ? Number(m[1]) : undefined;
  };
  const colon = t.indexOf(':');
  let start: number | undefined;
  let end: number | undefined;
  if (colon < 0) {
    start = 0;
    end = num(t);
  } else {
    const a = t.slice(0, colon);
    const b = t.slice(colon + 1);
    start = a === '~' ? -Infinity : a === '' ? 0 : num(a);
    end = b === '' ? Infinity : num(b);
  }
  if (start === undefined || end === undefined || start > end) return undefined;
  return { start, end, inside };
}

/** True when `value` should raise an alert under `range` (endpoints inclusive, as Nagios does). */
export function isAlertedBy(range: NagiosRange, value: number): boolean {
  const within = value >= range.start && value <= range.end;
  return range.inside ? within : !within;
}
