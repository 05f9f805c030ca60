import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { LabelMatcher, Labels } from '../../../core/labels.js';
import { PromqlEngine, type QueryResult } from '../engine.js';
import { PromqlParseError } from '../errors.js';
import { formatLabels, labelsKey, translateGoRegex } from '../labels.js';
import { MemorySeriesSource, STALE_NAN, type SeriesData, type SeriesSource } from '../storage.js';
import { parseScript, type EvalCommand, type ExpectLine, type LoadCommand } from './script.js';
import { parseMetric, parseSeriesLine, expandValues, type SeriesValue } from './series-notation.js';

export interface EvalFailure {
  line: number;
  expr: string;
  reason: string;
}

export interface FileReport {
  file: string;
  total: number;
  passed: number;
  failed: number;
  skipped: number;
  failures: EvalFailure[];
  skips: EvalFailure[];
}

/** Engine settings upstream's test engine uses (promqltest.NewTestEngine). */
const TEST_ENGINE = { lookbackDeltaMs: 5 * 60_000, maxSamples: 10_000, subqueryStepMs: 60_000, maxPointsPerSeries: 1e9 };

/** A source that remembers whether a query touched a series holding native histograms. */
class TrackingSource implements SeriesSource {
  touchedHistogram = false;
  constructor(
    private readonly inner: MemorySeriesSource,
    private readonly histogramSeries: Set<string>,
  ) {}
  async select(matchers: LabelMatcher[], minT: number, maxT: number, signal?: AbortSignal): Promise<SeriesData[]> {
    const out = await this.inner.select(matchers, minT, maxT, signal);
    if (out.some((s) => this.histogramSeries.has(labelsKey(s.labels)))) this.touchedHistogram = true;
    return out;
  }
}

/** Go's almost.Equal with epsilon 1e-6; NaN equals NaN. */
export function almostEqual(a: number, b: number, eps = 1e-6): boolean {
  if (Number.isNaN(a) && Number.isNaN(b)) return true;
  if (a === b) return true;
  const minNormal = 2.2250738585072014e-308;
  const absSum = Math.abs(a) + Math.abs(b);
  const diff = Math.abs(a - b);
  if (a === 0 || b === 0 || absSum < minNormal) return diff < eps * minNormal;
  return diff / Math.min(absSum, Number.MAX_VALUE) < eps;
}

function matches(e: ExpectLine, text: string): boolean {
  if (!e.match) return true;
  if (e.match.kind === 'msg') return e.match.text === text;
  const { source, flags } = translateGoRegex(e.match.text);
  return new RegExp(source, flags).test(text);
}

function checkAnnotations(cmd: EvalCommand, kind: 'warn' | 'info', got: string[]): string | undefined {
  const exp = cmd.expects.filter((e) => e.type === kind);
  const none = cmd.expects.some((e) => e.type === `no_${kind}`);
  if (none && got.length > 0) return `expected no ${kind} annotations, got ${JSON.stringify(got)}`;
  if (exp.length === 0) return undefined;
  for (const e of exp) {
    if (!got.some((g) => matches(e, g))) return `expected ${kind} annotation matching ${JSON.stringify(e.match?.text ?? '.*')}, got ${JSON.stringify(got)}`;
  }
  for (const g of got) {
    if (!exp.some((e) => matches(e, g))) return `unexpected ${kind} annotation ${JSON.stringify(g)}`;
  }
  return undefined;
}

interface ExpectedSeries {
  labels: Labels;
  values: SeriesValue[];
  pos: number;
}

function compareResult(cmd: EvalCommand, r: QueryResult): string | undefined {
  const ordered = cmd.expects.some((e) => e.type === 'ordered');
  if (cmd.expectedString !== undefined) {
    if (r.resultType !== 'string') return `expected string, got ${r.resultType}`;
    return r.result.value === cmd.expectedString ? undefined : `expected string ${JSON.stringify(cmd.expectedString)}, got ${JSON.stringify(r.result.value)}`;
  }
  if (cmd.expectedScalar !== undefined) {
    if (r.resultType !== 'scalar') return `expected scalar, got ${r.resultType}`;
    return almostEqual(r.result.value, cmd.expectedScalar) ? undefined : `expected scalar ${cmd.expectedScalar}, got ${r.result.value}`;
  }
  const expected = new Map<string, ExpectedSeries>();
  cmd.expected.forEach((line, i) => {
    const s = parseSeriesLine(line);
    expected.set(labelsKey(s.labels), { labels: s.labels, values: s.values, pos: i });
  });
  if (r.resultType === 'scalar' || r.resultType === 'string') return `expected vector or matrix result, got ${r.resultType}`;
  if (r.resultType === 'vector') {
    const seen = new Set<string>();
    for (const [pos, s] of r.result.entries()) {
      const k = labelsKey(s.metric);
      const exp = expected.get(k);
      if (!exp) return `unexpected metric ${formatLabels(s.metric)} in result, has value ${s.value}`;
      if (ordered && exp.pos !== pos) return `expected metric ${formatLabels(s.metric)} at position ${exp.pos + 1} but was at ${pos + 1}`;
      const ev = exp.values[0];
      if (!ev || ev.kind !== 'float') return `expected ${ev?.kind ?? 'nothing'} for ${formatLabels(s.metric)}, got float ${s.value}`;
      if (!almostEqual(ev.v, s.value)) return `expected ${ev.v} for ${formatLabels(s.metric)} but got ${s.value}`;
      seen.add(k);
    }
    for (const [k, e] of expected) if (!seen.has(k)) return `expected metric ${formatLabels(e.labels)} not found`;
    return undefined;
  }
  if (ordered) return 'expected ordered result, but query returned a matrix';
  const start = cmd.rangeVector ? cmd.rangeVector.fromMs : cmd.atMs;
  const step = cmd.rangeVector ? cmd.rangeVector.stepMs : cmd.stepMs;
  const end = cmd.rangeVector ? cmd.rangeVector.toMs : cmd.endMs;
  const seen = new Set<string>();
  for (const s of r.result) {
    const k = labelsKey(s.metric);
    const exp = expected.get(k);
    const got = s.values.map((p) => `${p.v}@${p.t / 1000}s`).join(' ');
    if (!exp) return `unexpected metric ${formatLabels(s.metric)} in result, has ${got}`;
    seen.add(k);
    const want: { t: number; v: number }[] = [];
    exp.values.forEach((v, i) => {
      if (v.kind === 'float') want.push({ t: start + i * step, v: v.v });
    });
    if (want.some((w) => w.t > end)) return `expected ${want.length} points for ${formatLabels(exp.labels)}, but the time range cannot hold them`;
    if (want.length !== s.values.length) return `expected ${want.length} points for ${formatLabels(exp.labels)}, got ${got}`;
    for (let i = 0; i < want.length; i++) {
      const a = s.values[i]!;
      const w = want[i]!;
      if (a.t !== w.t) return `expected point ${i} of ${formatLabels(exp.labels)} at ${w.t / 1000}s, got ${got}`;
      if (!almostEqual(a.v, w.v)) return `expected ${w.v} at ${w.t / 1000}s for ${formatLabels(exp.labels)}, got ${got}`;
    }
  }
  for (const [k, e] of expected) if (!seen.has(k)) return `expected metric ${formatLabels(e.labels)} not found`;
  return undefined;
}

function loadInto(store: MemorySeriesSource, histogramSeries: Set<string>, cmd: LoadCommand): void {
  for (const line of cmd.series) {
    const { labels, rest } = parseMetric(line);
    const values = expandValues(rest);
    const samples: { t: number; v: number }[] = [];
    values.forEach((v, i) => {
      const t = i * cmd.intervalMs;
      if (v.kind === 'float') samples.push({ t, v: v.v });
      else if (v.kind === 'stale') samples.push({ t, v: STALE_NAN });
      else if (v.kind === 'histogram') histogramSeries.add(labelsKey(labels));
    });
    store.add(labels, samples);
    if (cmd.withNhcb && labels.__name__?.endsWith('_bucket') && labels.le !== undefined) {
      // Upstream also loads a native histogram with custom buckets named without `_bucket`.
      const nh: Labels = { ...labels, __name__: labels.__name__.slice(0, -'_bucket'.length) };
      delete nh.le;
      histogramSeries.add(labelsKey(nh));
      store.add(nh, []);
    }
  }
}

async function runEval(store: MemorySeriesSource, histogramSeries: Set<string>, cmd: EvalCommand): Promise<{ status: 'pass' | 'fail' | 'skip'; reason?: string }> {
  if (cmd.expected.some((l) => l.includes('{{'))) return { status: 'skip', reason: 'expects native histogram samples' };
  const source = new TrackingSource(store, histogramSeries);
  const engine = new PromqlEngine(source, TEST_ENGINE);
  const expectFail = cmd.expects.find((e) => e.type === 'fail');
  let result: QueryResult;
  try {
    result = cmd.instant
      ? await engine.instantQuery(cmd.expr, cmd.atMs)
      : await engine.rangeQuery(cmd.expr, cmd.atMs, cmd.endMs, cmd.stepMs);
  } catch (err) {
    if (source.touchedHistogram) return { status: 'skip', reason: 'reads native histogram series' };
    const msg = err instanceof PromqlParseError ? err.message : (err as Error).message;
    if (!expectFail) return { status: 'fail', reason: `unexpected error: ${msg}` };
    if (expectFail.match) {
      const texts = err instanceof PromqlParseError ? [err.message, err.reason] : [msg];
      if (!texts.some((t) => matches(expectFail, t))) return { status: 'fail', reason: `expected error ${JSON.stringify(expectFail.match.text)}, got ${JSON.stringify(msg)}` };
    }
    return { status: 'pass' };
  }
  if (source.touchedHistogram) return { status: 'skip', reason: 'reads native histogram series' };
  if (expectFail) return { status: 'fail', reason: 'expected the query to fail, it succeeded' };
  const problem =
    checkAnnotations(cmd, 'warn', result.warnings) ?? checkAnnotations(cmd, 'info', result.infos) ?? compareResult(cmd, result);
  return problem ? { status: 'fail', reason: problem } : { status: 'pass' };
}

/** Runs one promqltest script against the Kansoku engine and counts its eval cases. */
export async function runPromqlTestFile(file: string): Promise<FileReport> {
  const report: FileReport = { file: path.basename(file), total: 0, passed: 0, failed: 0, skipped: 0, failures: [], skips: [] };
  const cmds = parseScript(await readFile(file, 'utf8'));
  const store = new MemorySeriesSource();
  const histogramSeries = new Set<string>();
  let loadError: string | undefined;
  for (const cmd of cmds) {
    if (cmd.kind === 'clear') {
      store.clear();
      histogramSeries.clear();
      loadError = undefined;
      continue;
    }
    if (cmd.kind === 'load') {
      try {
        loadInto(store, histogramSeries, cmd);
      } catch (err) {
        loadError = `load at line ${cmd.line} failed: ${(err as Error).message}`;
      }
      continue;
    }
    report.total++;
    let outcome: { status: 'pass' | 'fail' | 'skip'; reason?: string };
    try {
      outcome = loadError ? { status: 'fail', reason: loadError } : await runEval(store, histogramSeries, cmd);
    } catch (err) {
      outcome = { status: 'fail', reason: `harness error: ${(err as Error).message}` };
    }
    if (outcome.status === 'pass') report.passed++;
    else if (outcome.status === 'skip') {
      report.skipped++;
      report.skips.push({ line: cmd.line, expr: cmd.expr, reason: outcome.reason ?? '' });
    } else {
      report.failed++;
      report.failures.push({ line: cmd.line, expr: cmd.expr, reason: outcome.reason ?? '' });
    }
  }
  return report;
}
