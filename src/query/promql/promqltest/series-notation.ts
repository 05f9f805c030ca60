import type { Labels } from '../../../core/labels.js';
import { readString } from '../parser/lexer.js';

/** One value of the expanding notation: a float, an omitted point, a stale marker or a native histogram. */
export type SeriesValue = { kind: 'float'; v: number } | { kind: 'omitted' } | { kind: 'stale' } | { kind: 'histogram'; text: string };

export interface SeriesLine {
  labels: Labels;
  values: SeriesValue[];
}

/** Parses Go's float syntax as strconv.ParseFloat accepts it in test files (Inf, NaN, hex, exponents). */
export function parseGoFloat(text: string, allowHex = true): number | undefined {
  const s = text.trim();
  if (/^[+-]?(inf|infinity)$/i.test(s)) return s.startsWith('-') ? -Infinity : Infinity;
  if (/^[+-]?nan$/i.test(s)) return NaN;
  if (allowHex && /^[+-]?0[xX][0-9a-fA-F]+$/.test(s)) return (s.startsWith('-') ? -1 : 1) * parseInt(s.replace(/^[+-]/, ''), 16);
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) return Number(s);
  return undefined;
}

/** Parses `name{a="b", "c"="d"}` (either part optional) at the start of `line`; returns labels and the rest. */
export function parseMetric(line: string): { labels: Labels; rest: string } {
  const labels: Labels = {};
  let i = 0;
  const nameMatch = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line);
  if (nameMatch) {
    labels.__name__ = nameMatch[0];
    i = nameMatch[0].length;
  }
  if (line[i] === '{') {
    i++;
    for (;;) {
      while (line[i] === ' ' || line[i] === '\t') i++;
      if (line[i] === '}') {
        i++;
        break;
      }
      let name: string;
      if (line[i] === '"' || line[i] === "'" || line[i] === '`') {
        const r = readString(line, i);
        name = r.value;
        i = r.end;
      } else {
        const m = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(line.slice(i));
        if (!m) throw new Error(`cannot parse label name at ${JSON.stringify(line.slice(i, i + 20))}`);
        name = m[0];
        i += name.length;
      }
      while (line[i] === ' ') i++;
      if (line[i] === '=') {
        i++;
        while (line[i] === ' ') i++;
        const r = readString(line, i);
        if (r.value !== '') labels[name] = r.value;
        i = r.end;
      } else {
        // A bare quoted string is the metric name.
        labels.__name__ = name;
      }
      while (line[i] === ' ') i++;
      if (line[i] === ',') i++;
    }
  }
  return { labels, rest: line.slice(i) };
}

function splitValues(rest: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < rest.length) {
    while (i < rest.length && /\s/.test(rest[i]!)) i++;
    if (i >= rest.length) break;
    if (rest.startsWith('{{', i)) {
      // A histogram, possibly followed by +{{...}}x3 or x3.
      let j = i;
      let depth = 0;
      while (j < rest.length) {
        if (rest.startsWith('{{', j)) {
          depth++;
          j += 2;
        } else if (rest.startsWith('}}', j)) {
          depth--;
          j += 2;
          if (depth === 0 && !/^[+-]\{\{/.test(rest.slice(j))) break;
        } else {
          j++;
        }
      }
      while (j < rest.length && !/\s/.test(rest[j]!)) j++;
      out.push(rest.slice(i, j));
      i = j;
      continue;
    }
    let j = i;
    while (j < rest.length && !/\s/.test(rest[j]!)) j++;
    out.push(rest.slice(i, j));
    i = j;
  }
  return out;
}

/** Expands the promtool series notation: `1 2+3x4 _ stale _x3 -1-1x2`. */
export function expandValues(rest: string): SeriesValue[] {
  const out: SeriesValue[] = [];
  for (const tok of splitValues(rest)) {
    if (tok.startsWith('{{')) {
      const m = /x(\d+)$/.exec(tok);
      const n = m && !tok.endsWith('}}') ? Number(m[1]) + 1 : 1;
      for (let k = 0; k < n; k++) out.push({ kind: 'histogram', text: tok });
      continue;
    }
    if (tok === '_') {
      out.push({ kind: 'omitted' });
      continue;
    }
    if (tok === 'stale') {
      out.push({ kind: 'stale' });
      continue;
    }
    const blank = /^_x(\d+)$/.exec(tok);
    if (blank) {
      for (let k = 0; k < Number(blank[1]); k++) out.push({ kind: 'omitted' });
      continue;
    }
    const staleTimes = /^stalex(\d+)$/.exec(tok);
    if (staleTimes) {
      for (let k = 0; k <= Number(staleTimes[1]); k++) out.push({ kind: 'stale' });
      continue;
    }
    const single = parseGoFloat(tok, false);
    if (single !== undefined) {
      out.push({ kind: 'float', v: single });
      continue;
    }
    const num = String.raw`(?:[+-]?(?:inf|nan|(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?))`;
    const rep = new RegExp(`^(${num})x(\\d+)$`, 'i').exec(tok);
    if (rep) {
      const v = parseGoFloat(rep[1]!, false)!;
      for (let k = 0; k <= Number(rep[2]); k++) out.push({ kind: 'float', v });
      continue;
    }
    const inc = new RegExp(`^(${num})([+-](?:inf|nan|(?:\\d+\\.?\\d*|\\.\\d+)(?:e[+-]?\\d+)?))x(\\d+)$`, 'i').exec(tok);
    if (inc) {
      let v = parseGoFloat(inc[1]!, false)!;
      const step = parseGoFloat(inc[2]!, false)!;
      for (let k = 0; k <= Number(inc[3]); k++) {
        out.push({ kind: 'float', v });
        v += step;
      }
      continue;
    }
    throw new Error(`cannot parse series value ${JSON.stringify(tok)}`);
  }
  return out;
}

export function parseSeriesLine(line: string): SeriesLine {
  const { labels, rest } = parseMetric(line.trim());
  return { labels, values: expandValues(rest) };
}
