/**
 * PromQL engine micro-benchmark: the five dashboard queries of bench/metrics.ts evaluated by
 * the engine alone, against an in-memory SeriesSource, so storage is out of the picture.
 *
 *   npx tsx bench/promql-engine.ts [--series=1000,10000] [--hours=24] [--runs=7] [--warmup=2]
 *                                  [--baseline=/path/to/other/promql/index.ts] [--only=NAME]
 *
 * Data: bench/metrics.ts's generator (`benchSeries`, same seed), so the series and values are
 * the ones its remote-write payloads carry: 25 series per instance (10 request counters, 11 `le`
 * buckets, _sum, _count, 2 gauges), one sample every 15 s, 7.3 s off the query step grid.
 * Every query runs as a range query (as the dashboards and bench/metrics.ts do) and as an
 * instant query at the end of the data. `select` time (building SeriesData from the column
 * store) is measured separately and reported beside the total, so "engine" = total − select.
 * With --baseline, a second engine (e.g. an older copy of src/query/promql) runs interleaved
 * with this one, run by run, and the answers of both are compared.
 */
import { matcherPredicate } from '../src/query/promql/labels.js';
import * as current from '../src/query/promql/index.js';
import type { LabelMatcher, Labels } from '../src/core/labels.js';
import type { SeriesData, SeriesSource, QueryResult } from '../src/query/promql/index.js';
import { arg, BENCH_SEED, benchSeries, benchTimeline, mulberry32, SAMPLE_OFFSET_MS, STEP_MS } from './metrics.js';

interface ColumnSeries {
  labels: Labels;
  v: Float64Array;
}

/** Columnar in-memory source: one shared timestamp column, one value column per series. */
class ColumnSource implements SeriesSource {
  selectMs = 0;
  constructor(
    private readonly ts: Float64Array,
    private readonly series: ColumnSeries[],
  ) {}

  select(matchers: LabelMatcher[], minT: number, maxT: number): Promise<SeriesData[]> {
    const t0 = performance.now();
    const preds = matchers.map(matcherPredicate);
    let lo = 0;
    while (lo < this.ts.length && this.ts[lo]! < minT) lo++;
    let hi = lo;
    while (hi < this.ts.length && this.ts[hi]! <= maxT) hi++;
    const out: SeriesData[] = [];
    for (const s of this.series) {
      if (!preds.every((p) => p(s.labels))) continue;
      const samples = new Array<{ t: number; v: number }>(hi - lo);
      for (let i = lo; i < hi; i++) samples[i - lo] = { t: this.ts[i]!, v: s.v[i]! };
      out.push({ labels: { ...s.labels }, samples });
    }
    this.selectMs += performance.now() - t0;
    return Promise.resolve(out);
  }
}

/** bench/metrics.ts's series and values (same seed, same order), stored as columns. */
function build(count: number, hours: number, endMs: number): ColumnSource {
  const { steps, startMs } = benchTimeline({ series: count, hours }, endMs);
  const ts = new Float64Array(steps);
  for (let i = 0; i < steps; i++) ts[i] = startMs + i * STEP_MS - SAMPLE_OFFSET_MS;
  const gen = benchSeries(count);
  const cols = gen.map(() => new Float64Array(steps));
  const rand = mulberry32(BENCH_SEED);
  for (let i = 0; i < steps; i++) for (let j = 0; j < gen.length; j++) cols[j]![i] = gen[j]!.next(rand);
  return new ColumnSource(ts, gen.map((g, j) => ({ labels: Object.fromEntries(g.labels), v: cols[j]! })));
}

interface Case {
  name: string;
  query: string;
  /** Range of the range query in seconds. */
  rangeS: number;
}

const CASES: Case[] = [
  { name: 'rate', query: 'rate(bench_http_requests_total{instance="inst-1"}[5m])', rangeS: 3600 },
  { name: 'sum by', query: 'sum by (code) (rate(bench_http_requests_total[5m]))', rangeS: 3600 },
  { name: 'histogram_quantile', query: 'histogram_quantile(0.99, sum by (le) (rate(bench_request_duration_seconds_bucket[5m])))', rangeS: 3600 },
  { name: 'topk', query: 'topk(5, bench_memory_bytes)', rangeS: 3600 },
  { name: '24h range', query: 'sum(rate(bench_cpu_seconds_total{instance=~"inst-[0-4]"}[5m]))', rangeS: 86_400 },
];

type EngineCtor = typeof current.PromqlEngine;

interface Timing {
  total: number[];
  select: number[];
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n % 2 ? s[(n - 1) / 2]! : (s[n / 2 - 1]! + s[n / 2]!) / 2;
}

/** Flattens a result to (labels, t, value) triples for comparison. */
function flatten(r: QueryResult): Map<string, number> {
  const out = new Map<string, number>();
  const key = (m: Labels) => JSON.stringify(Object.entries(m).sort());
  if (r.resultType === 'vector') for (const s of r.result) out.set(`${key(s.metric)}@${s.t}`, s.value);
  else if (r.resultType === 'matrix') for (const s of r.result) for (const p of s.values) out.set(`${key(s.metric)}@${p.t}`, p.v);
  else if (r.resultType === 'scalar') out.set(`@${r.result.t}`, r.result.value);
  return out;
}

function sameResult(a: QueryResult, b: QueryResult): string | undefined {
  const x = flatten(a);
  const y = flatten(b);
  if (x.size !== y.size) return `${x.size} vs ${y.size} points`;
  for (const [k, v] of x) {
    const w = y.get(k);
    if (w === undefined) return `point ${k} missing`;
    if (!(v === w || (Number.isNaN(v) && Number.isNaN(w)) || Math.abs(v - w) <= 1e-9 * Math.max(Math.abs(v), Math.abs(w)))) return `${k}: ${v} vs ${w}`;
  }
  return undefined;
}

async function timeOnce(Engine: EngineCtor, src: ColumnSource, c: Case, mode: 'range' | 'instant', endMs: number): Promise<{ total: number; select: number; result: QueryResult }> {
  const engine = new Engine(src, { timeoutMs: 600_000 });
  src.selectMs = 0;
  const t0 = performance.now();
  const result = mode === 'range' ? await engine.rangeQuery(c.query, endMs - c.rangeS * 1000, endMs, STEP_MS) : await engine.instantQuery(c.query, endMs);
  return { total: performance.now() - t0, select: src.selectMs, result };
}

async function main(): Promise<void> {
  const sizes = (arg('series') ?? '1000,10000').split(',').map(Number);
  const hours = Number(arg('hours') ?? 24);
  const runs = Number(arg('runs') ?? 7);
  const warmup = Number(arg('warmup') ?? 2);
  const only = arg('only');
  const baselinePath = arg('baseline');
  const engines: { name: string; Engine: EngineCtor }[] = [{ name: 'current', Engine: current.PromqlEngine }];
  if (baselinePath) {
    const mod = (await import(baselinePath)) as typeof current;
    engines.unshift({ name: 'baseline', Engine: mod.PromqlEngine });
  }
  // The data's last sample is 7.3 s before endMs, on a 15 s grid like the remote-write bench.
  const endMs = Math.floor(Date.UTC(2025, 0, 2) / STEP_MS) * STEP_MS;
  console.log(`| series | query | mode | ${engines.map((e) => `${e.name} total ms (select ms)`).join(' | ')}${engines.length > 1 ? ' | speed-up |' : ''}`);
  console.log(`|---|---|---|${engines.map(() => '---|').join('')}${engines.length > 1 ? '---|' : ''}`);
  for (const size of sizes) {
    const src = build(size, hours, endMs);
    for (const c of CASES) {
      if (only && c.name !== only) continue;
      for (const mode of ['range', 'instant'] as const) {
        const timings = engines.map((): Timing => ({ total: [], select: [] }));
        const results: QueryResult[] = [];
        for (let i = 0; i < warmup + runs; i++) {
          for (let k = 0; k < engines.length; k++) {
            const r = await timeOnce(engines[k]!.Engine, src, c, mode, endMs);
            if (i >= warmup) {
              timings[k]!.total.push(r.total);
              timings[k]!.select.push(r.select);
            }
            if (i === 0) results[k] = r.result;
          }
        }
        let diff: string | undefined;
        if (results.length > 1) diff = sameResult(results[0]!, results[1]!);
        const cells = timings.map((tm) => `${median(tm.total).toFixed(1)} (${median(tm.select).toFixed(1)})`);
        const speedup = engines.length > 1 ? ` | ${(median(timings[0]!.total) / median(timings[1]!.total)).toFixed(2)}×` : '';
        console.log(`| ${size} | ${c.name} | ${mode} | ${cells.join(' | ')}${speedup} |${diff ? ` RESULTS DIFFER: ${diff}` : ''}`);
      }
    }
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
