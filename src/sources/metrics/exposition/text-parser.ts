import { ExpositionParseError } from './errors.js';
import {
  C_BACKSLASH,
  C_COMMA,
  C_EQ,
  C_HASH,
  C_LBRACE,
  C_QUOTE,
  C_RBRACE,
  C_SPACE,
  C_TAB,
  decodeBody,
  findDuplicateLabel,
  isLabelNameChar,
  scanLabelName,
  scanMetricName,
  sliceReusing,
} from './lexing.js';
import { readGoFloat, readInt64Ms } from './numbers.js';
import type { MetricFamily, MetricType, SampleSink } from './types.js';

/*
 * Prometheus text exposition format 0.0.4, with the rules of prometheus/common's TextParser
 * (the reference parser of the format): blanks and tabs between tokens, an optional trailing
 * comma in label sets, only \\ \" \n escapes in label values, int64 millisecond timestamps,
 * every line (the last one too) ends with \n, at most one HELP and one TYPE per family, TYPE
 * before the family's first sample, `quantile`/`le` must be numbers on summaries/histograms.
 * Families may be interleaved (samples are merged into the family of their name), and
 * `x_sum`/`x_count`/`x_bucket` belong to a declared summary or histogram `x`.
 * HELP text keeps unknown escapes as written instead of failing: some exporters write them.
 */

const TEXT_TYPES: Record<string, MetricType> = {
  counter: 'counter',
  gauge: 'gauge',
  histogram: 'histogram',
  summary: 'summary',
  untyped: 'unknown',
};

interface TextFamily {
  family: MetricFamily;
  /** Set by TYPE, or implicitly by the first sample (then a later TYPE is an error). */
  typed: boolean;
  helped: boolean;
}

function isBlank(c: number): boolean {
  return c === C_SPACE || c === C_TAB;
}

class TextScanner {
  private lineNo = 1;
  private lineStart = 0;
  private lineEnd = 0;
  private readonly families: MetricFamily[] = [];
  private readonly byName = new Map<string, TextFamily>();
  private readonly ln: string[] = [];
  private readonly lv: string[] = [];
  private lc = 0;
  private lastName = '';
  private lastFamily: TextFamily | undefined;
  /** Families that received a sample (their `samples` array may stay empty with a flat sink). */
  private readonly sampled = new Set<MetricFamily>();

  constructor(
    private readonly text: string,
    private readonly sink: SampleSink,
  ) {}

  run(): MetricFamily[] {
    const s = this.text;
    const len = s.length;
    let pos = len > 0 && s.charCodeAt(0) === 0xfeff ? 1 : 0;
    while (pos < len) {
      const nl = s.indexOf('\n', pos);
      this.lineStart = pos;
      this.lineEnd = nl < 0 ? len : nl;
      let i = pos;
      while (i < this.lineEnd && isBlank(s.charCodeAt(i))) i++;
      if (i < this.lineEnd) {
        if (s.charCodeAt(i) === C_HASH) this.commentLine(i + 1);
        else this.sampleLine(i);
        // Checked after the line so that a line with a real error reports that error.
        if (nl < 0) this.fail('a line feed at the end of the last line', s.slice(pos, len));
      }
      pos = this.lineEnd + 1;
      this.lineNo++;
    }
    // As in the reference parser, HELP or TYPE for a name without samples makes no family.
    return this.families.filter((f) => f.samples.length > 0 || this.sampled.has(f));
  }

  private fail(expected: string, found?: string): never {
    throw new ExpositionParseError('text', this.lineNo, expected, found ?? this.text.slice(this.lineStart, this.lineEnd));
  }

  private skipBlanks(i: number): number {
    const s = this.text;
    const end = this.lineEnd;
    while (i < end && isBlank(s.charCodeAt(i))) i++;
    return i;
  }

  private tokenEnd(i: number): number {
    const s = this.text;
    const end = this.lineEnd;
    while (i < end && !isBlank(s.charCodeAt(i))) i++;
    return i;
  }

  private familyFor(name: string): TextFamily {
    let tf = this.byName.get(name);
    if (tf === undefined) {
      const family: MetricFamily = { name, type: 'unknown', help: '', unit: '', samples: [] };
      this.families.push(family);
      tf = { family, typed: false, helped: false };
      this.byName.set(name, tf);
    }
    return tf;
  }

  /** The family a sample name belongs to: its own, or a declared summary/histogram it is a part of. */
  private familyOfSample(name: string): TextFamily {
    // Consecutive samples nearly always share a name; a TYPE line resets the cache.
    if (name === this.lastName && this.lastFamily !== undefined) return this.lastFamily;
    const tf = this.lookupFamily(name);
    this.lastName = name;
    this.lastFamily = tf;
    return tf;
  }

  private lookupFamily(name: string): TextFamily {
    const own = this.byName.get(name);
    if (own !== undefined) return own;
    const base = name.endsWith('_sum') ? name.slice(0, -4)
      : name.endsWith('_count') ? name.slice(0, -6)
      : name.endsWith('_bucket') ? name.slice(0, -7)
      : undefined;
    if (base !== undefined) {
      const tf = this.byName.get(base);
      if (tf !== undefined) {
        const t = tf.family.type;
        if (t === 'histogram' || (t === 'summary' && !name.endsWith('_bucket'))) return tf;
      }
    }
    return this.familyFor(name);
  }

  /** `#` lines: HELP and TYPE with a name are metadata, anything else is a comment. */
  private commentLine(i: number): void {
    const s = this.text;
    const end = this.lineEnd;
    i = this.skipBlanks(i);
    const kwEnd = this.tokenEnd(i);
    const kw = s.slice(i, kwEnd);
    if (kw !== 'HELP' && kw !== 'TYPE') return;
    i = this.skipBlanks(kwEnd);
    if (i === end) return;
    const nameEnd = scanMetricName(s, i, end);
    if (nameEnd < end && !isBlank(s.charCodeAt(nameEnd))) this.fail(`a valid metric name after "# ${kw}"`, s.slice(i, this.tokenEnd(i)));
    if (nameEnd === i) this.fail(`a valid metric name after "# ${kw}"`, s.slice(i, this.tokenEnd(i)));
    const name = s.slice(i, nameEnd);
    i = this.skipBlanks(nameEnd);
    if (i === end) return; // "# HELP name" alone is a comment, as in the reference parser
    const tf = this.familyFor(name);
    if (kw === 'HELP') {
      if (tf.helped) this.fail(`at most one HELP line for "${name}"`);
      tf.helped = true;
      tf.family.help = this.readHelp(i, end);
      return;
    }
    const tEnd = this.tokenEnd(i);
    const type = TEXT_TYPES[s.slice(i, tEnd).toLowerCase()];
    if (type === undefined) this.fail('a type of counter, gauge, histogram, summary or untyped', s.slice(i, tEnd));
    if (this.skipBlanks(tEnd) !== end) this.fail('the end of the line after the type', s.slice(tEnd, end));
    if (tf.typed) this.fail(`one TYPE line for "${name}", before its first sample`);
    tf.typed = true;
    tf.family.type = type;
    this.lastFamily = undefined;
  }

  private readHelp(start: number, end: number): string {
    const s = this.text;
    let bs = start;
    while (bs < end && s.charCodeAt(bs) !== C_BACKSLASH) bs++;
    if (bs === end) return s.slice(start, end);
    let out = '';
    let from = start;
    for (let i = bs; i < end - 1; i++) {
      if (s.charCodeAt(i) !== C_BACKSLASH) continue;
      const e = s.charCodeAt(i + 1);
      if (e === 110 || e === C_BACKSLASH) {
        out += s.slice(from, i) + (e === 110 ? '\n' : '\\');
        i++;
        from = i + 1;
      }
    }
    return out + s.slice(from, end);
  }

  private sampleLine(i: number): void {
    const s = this.text;
    const end = this.lineEnd;
    const nameEnd = scanMetricName(s, i, end);
    if (nameEnd === i) this.fail('a metric name ([a-zA-Z_:][a-zA-Z0-9_:]*) or a "#" comment', s.slice(i, this.tokenEnd(i)));
    const name = sliceReusing(s, i, nameEnd, this.lastName);
    i = nameEnd;
    if (i < end && !isBlank(s.charCodeAt(i)) && s.charCodeAt(i) !== C_LBRACE) {
      this.fail(`a blank or "{" after the metric name "${name}"`, s.slice(nameEnd, this.tokenEnd(nameEnd)));
    }
    i = this.skipBlanks(i);
    this.lc = 0;
    if (i < end && s.charCodeAt(i) === C_LBRACE) i = this.skipBlanks(this.readLabels(i + 1));
    const lc = this.lc;
    if (i === end) this.fail(`a value after "${name}"`);
    const vEnd = this.tokenEnd(i);
    const value = readGoFloat(s, i, vEnd);
    if (value === undefined) this.fail('a float sample value', s.slice(i, vEnd));
    i = this.skipBlanks(vEnd);
    let ts: number | undefined;
    if (i < end) {
      const tEnd = this.tokenEnd(i);
      ts = readInt64Ms(s, i, tEnd);
      if (ts === undefined) this.fail('a timestamp in integer milliseconds after the value', s.slice(i, tEnd));
      if (this.skipBlanks(tEnd) !== end) this.fail('the end of the line after the timestamp', s.slice(tEnd, end));
    }

    const tf = this.familyOfSample(name);
    tf.typed = true;
    const f = tf.family;
    this.sampled.add(f);
    if (f.type === 'summary' && name === f.name) this.checkNumericLabel(lc, 'quantile');
    if (f.type === 'histogram' && name.length === f.name.length + 7) this.checkNumericLabel(lc, 'le');
    this.sink.sample(f, name, this.ln, this.lv, lc, value, ts, undefined);
  }

  private checkNumericLabel(lc: number, label: string): void {
    for (let k = 0; k < lc; k++) {
      if (this.ln[k] !== label) continue;
      const v = this.lv[k]!;
      if (v === '' || readGoFloat(v, 0, v.length) === undefined) this.fail(`a number as the value of the "${label}" label`, v);
    }
  }

  /** Labels after `{`, blanks allowed around tokens, into ln/lv/lc; returns the index after "}". */
  private readLabels(i: number): number {
    const s = this.text;
    const end = this.lineEnd;
    let n = 0;
    i = this.skipBlanks(i);
    while (i < end && s.charCodeAt(i) !== C_RBRACE) {
      const nEnd = scanLabelName(s, i, end);
      if (nEnd === i || (nEnd < end && isLabelNameChar(s.charCodeAt(nEnd)))) {
        this.fail('a label name ([a-zA-Z_][a-zA-Z0-9_]*)', s.slice(i, Math.min(end, i + 20)));
      }
      const lname = sliceReusing(s, i, nEnd, this.ln[n]);
      if (lname === '__name__') this.fail('a label name other than the reserved "__name__"', lname);
      i = this.skipBlanks(nEnd);
      if (i >= end || s.charCodeAt(i) !== C_EQ) this.fail(`"=" after label name "${lname}"`, s.slice(i, Math.min(end, i + 20)));
      i = this.skipBlanks(i + 1);
      if (i >= end || s.charCodeAt(i) !== C_QUOTE) this.fail(`a double-quoted value for label "${lname}"`, s.slice(i, Math.min(end, i + 20)));
      i++;
      const vStart = i;
      let out: string | undefined;
      let from = i;
      for (;;) {
        if (i >= end) this.fail(`a closing quote for the value of label "${lname}" on the same line`);
        const c = s.charCodeAt(i);
        if (c === C_QUOTE) break;
        if (c === C_BACKSLASH) {
          const e = s.charCodeAt(i + 1);
          if (i + 1 >= end || (e !== C_BACKSLASH && e !== C_QUOTE && e !== 110)) {
            this.fail('only \\\\, \\" or \\n escapes in label values', s.slice(i, i + 2));
          }
          out = (out ?? '') + s.slice(from, i) + (e === 110 ? '\n' : e === C_QUOTE ? '"' : '\\');
          i += 2;
          from = i;
          continue;
        }
        i++;
      }
      const value = out === undefined ? s.slice(vStart, i) : out + s.slice(from, i);
      this.ln[n] = lname;
      this.lv[n] = value;
      n++;
      i = this.skipBlanks(i + 1);
      if (i < end && s.charCodeAt(i) === C_COMMA) {
        i = this.skipBlanks(i + 1);
        continue;
      }
      if (i >= end || s.charCodeAt(i) !== C_RBRACE) this.fail('"," or "}" after a label value', s.slice(i, Math.min(end, i + 20)));
    }
    if (i >= end) this.fail('"}" closing the label set');
    const dup = findDuplicateLabel(this.ln, n);
    if (dup >= 0) this.fail(`label "${this.ln[dup]}" at most once`);
    this.lc = n;
    return i + 1;
  }
}

/**
 * Scans a Prometheus text-format body, handing every sample to `sink`; returns the families.
 * Throws ExpositionParseError.
 */
export function scanTextFormat(body: string | Uint8Array, sink: SampleSink): MetricFamily[] {
  const text = decodeBody(body);
  if (text === undefined) throw new ExpositionParseError('text', 1, 'a UTF-8 encoded body', '');
  return new TextScanner(text, sink).run();
}
