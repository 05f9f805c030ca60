import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../../lib/prng.js';
import { PromqlEngine, type EngineOptions, type QueryResult } from '../engine.js';
import { toPrometheusJson } from '../json.js';
import { MemorySeriesSource, STALE_NAN } from '../storage.js';

const SEC = 1000;
const MIN = 60 * SEC;

/** Deterministic, so a failure reproduces. */
const prng = mulberry32;

/**
 * Series that exercise the edges of the series-by-series evaluation: irregular intervals, gaps
 * longer than the lookback, counter resets, stale markers, NaN, ±Inf, -0, sums that overflow
 * (avg switches to a running mean), empty grouping labels, a counter without a counter suffix,
 * classic histogram buckets, and two series that collide once `__name__` is dropped.
 */
function source(): MemorySeriesSource {
  const rand = prng(7);
  const s = new MemorySeriesSource();
  const jobs = ['api', 'web', ''];
  for (let i = 0; i < 12; i++) {
    const job = jobs[i % 3]!;
    const labels = { __name__: 'http_requests_total', instance: `i${i}`, ...(job ? { job } : {}), code: i % 2 ? '200' : '500' };
    const pts: { t: number; v: number }[] = [];
    let v = 0;
    for (let t = 0; t < 40 * MIN; t += 10 * SEC + Math.floor(rand() * 20 * SEC)) {
      if (i === 3 && t > 12 * MIN && t < 20 * MIN) continue; // a gap longer than the lookback
      v = rand() < 0.03 ? rand() * 5 : v + Math.floor(rand() * 50); // occasional reset
      pts.push({ t, v });
      if (i === 4 && pts.length === 60) pts.push({ t: t + SEC, v: STALE_NAN });
    }
    s.add(labels, pts);
  }
  const weird = [NaN, Infinity, -Infinity, -0, 1.7e308, 1.7e308, -1.7e308, 3, 0.1, 0.2];
  for (let i = 0; i < 6; i++) {
    const pts: { t: number; v: number }[] = [];
    for (let k = 0, t = 5 * SEC * i; t < 40 * MIN; k++, t += 30 * SEC) pts.push({ t, v: (k + i) % 7 === 0 ? weird[(k + i) % weird.length]! : rand() * 100 - 50 });
    s.add({ __name__: 'temperature', instance: `i${i}`, job: i < 3 ? 'api' : 'web' }, pts);
  }
  // Sums of these overflow to +Inf: avg switches to its incremental mean.
  for (let i = 0; i < 3; i++) s.add({ __name__: 'huge', instance: `i${i}` }, Array.from({ length: 80 }, (_, k) => ({ t: k * 30 * SEC, v: 1.5e308 - i * 1e306 })));
  s.add({ __name__: 'queue_depth', instance: 'i0' }, Array.from({ length: 80 }, (_, k) => ({ t: k * 30 * SEC, v: (k * 7) % 13 })));
  const bounds = ['0.1', '0.5', '1', '+Inf'];
  for (let inst = 0; inst < 3; inst++) {
    const counts = [0, 0, 0, 0];
    const series = bounds.map(() => [] as { t: number; v: number }[]);
    for (let t = inst * SEC; t < 40 * MIN; t += 15 * SEC) {
      for (let n = Math.floor(rand() * 10); n > 0; n--) {
        const x = rand() * 2;
        bounds.forEach((b, bi) => {
          if (b === '+Inf' || x <= Number(b)) counts[bi]!++;
        });
      }
      bounds.forEach((_, bi) => series[bi]!.push({ t, v: counts[bi]! }));
    }
    bounds.forEach((le, bi) => s.add({ __name__: 'latency_bucket', instance: `i${inst}`, le }, series[bi]!));
  }
  s.add({ __name__: 'dup_a_total', instance: 'x' }, Array.from({ length: 40 }, (_, k) => ({ t: k * MIN, v: k })));
  s.add({ __name__: 'dup_b_total', instance: 'x' }, Array.from({ length: 40 }, (_, k) => ({ t: 20 * MIN + k * MIN, v: k })));
  // Group "a" is first seen at row 0 while that series lasts, at row 2 after: the groups' order
  // in the step's vector changes, and topk keeps the first of equal values.
  s.add({ __name__: 'tie', g: 'a', i: '0' }, Array.from({ length: 20 }, (_, k) => ({ t: k * 30 * SEC, v: 1 })));
  s.add({ __name__: 'tie', g: 'b', i: '1' }, Array.from({ length: 80 }, (_, k) => ({ t: k * 30 * SEC, v: 1 })));
  s.add({ __name__: 'tie', g: 'a', i: '2' }, Array.from({ length: 80 }, (_, k) => ({ t: k * 30 * SEC, v: 1 })));
  return s;
}

const QUERIES = [
  'rate(http_requests_total[5m])',
  'increase(http_requests_total[2m])',
  'delta(temperature[3m])',
  'irate(http_requests_total[1m])',
  'idelta(temperature[2m])',
  'deriv(temperature[5m])',
  'predict_linear(temperature[5m], 600)',
  'avg_over_time(temperature[5m])',
  'sum_over_time(temperature[4m])',
  'count_over_time(http_requests_total[1m])',
  'min_over_time(temperature[3m])',
  'max_over_time(temperature[3m])',
  'ts_of_max_over_time(temperature[3m])',
  'last_over_time(temperature[2m])',
  'first_over_time(http_requests_total[2m])',
  'present_over_time(http_requests_total[30s])',
  'stddev_over_time(temperature[5m])',
  'quantile_over_time(0.9, temperature[5m])',
  'quantile_over_time(2, temperature[5m])',
  'mad_over_time(temperature[5m])',
  'changes(http_requests_total[5m])',
  'resets(http_requests_total[10m])',
  'double_exponential_smoothing(temperature[5m], 0.5, 0.3)',
  'rate(queue_depth[5m])',
  'rate(http_requests_total[5m] offset 3m)',
  'rate(http_requests_total[5m] @ 600)',
  'rate(http_requests_total[5m] @ end())',
  'sum by (code) (rate(http_requests_total[5m]))',
  'sum by (job) (increase(http_requests_total[5m]))',
  'sum without (instance) (rate(http_requests_total[5m]))',
  'sum(rate(http_requests_total[5m]))',
  'avg by (job) (rate(http_requests_total[5m]))',
  'count by (job) (http_requests_total)',
  'group by (code) (http_requests_total)',
  'min by (job) (temperature)',
  'max by (job) (temperature)',
  'avg(temperature)',
  'sum(temperature)',
  'avg(huge)',
  'sum by (instance) (huge)',
  'max(avg_over_time(huge[5m]))',
  'sum by (job) (temperature offset 2m)',
  'sum(temperature @ 300)',
  'sum by (__name__) (last_over_time(temperature[2m]))',
  'histogram_quantile(0.9, sum by (le) (rate(latency_bucket[5m])))',
  'histogram_quantile(0.5, sum by (le, instance) (rate(latency_bucket[5m])))',
  'sum(rate(http_requests_total{code="500"}[5m])) / sum(rate(http_requests_total[5m]))',
  'rate(http_requests_total[5m]) > 10',
  'sum(sum by (job) (rate(http_requests_total[5m])))',
  'max_over_time(sum(rate(http_requests_total[5m]))[10m:1m])',
  'rate(({__name__=~"dup_.*"})[5m])',
  'sum by (instance) (rate({__name__=~"dup_.*"}[5m]))',
  'topk(1, group by (g) (tie))',
  'bottomk(1, max by (g) (max_over_time(tie[1m])))',
  'rate(missing_total[5m])',
  'sum(rate(missing_total[5m]))',
];

type Outcome = { ok: true; json: unknown; warnings: string[]; infos: string[] } | { ok: false; error: string };

async function outcome(p: Promise<QueryResult>): Promise<Outcome> {
  try {
    const r = await p;
    return { ok: true, json: toPrometheusJson(r), warnings: [...r.warnings].sort(), infos: [...r.infos].sort() };
  } catch (err) {
    return { ok: false, error: `${(err as Error).constructor.name}: ${(err as Error).message}` };
  }
}

async function both(query: string, start: number, end: number, step: number, opts: EngineOptions = {}): Promise<[Outcome, Outcome]> {
  const src = source();
  const columnar = await outcome(new PromqlEngine(src, opts).rangeQuery(query, start, end, step));
  const stepwise = await outcome(new PromqlEngine(src, { ...opts, columnar: false }).rangeQuery(query, start, end, step));
  return [columnar, stepwise];
}

describe('columnar range evaluation', () => {
  it('gives the step-by-step answers, annotations and errors for every query shape it covers', async () => {
    // Steps off the sample grid, on it, larger than the ranges, and a single-step range query.
    const ranges: [number, number, number][] = [
      [0, 40 * MIN, 15 * SEC],
      [3 * MIN + 7 * SEC, 38 * MIN, 60 * SEC],
      [0, 45 * MIN, 7 * MIN],
      [20 * MIN, 20 * MIN, 15 * SEC],
    ];
    let nonEmpty = 0;
    for (const q of QUERIES) {
      for (const [start, end, step] of ranges) {
        const [columnar, stepwise] = await both(q, start, end, step);
        expect(columnar, `${q} over ${start}..${end} step ${step}`).toEqual(stepwise);
        if (columnar.ok && (columnar.json as { result: unknown[] }).result.length > 0) nonEmpty++;
      }
    }
    // The comparison is not vacuous: most cases return data.
    expect(nonEmpty).toBeGreaterThan(QUERIES.length * 3);
  });

  it('reports the counter-name info, the quantile warning and a label-set collision as the step evaluator does', async () => {
    const [info] = await both('sum(rate(queue_depth[5m]))', 0, 10 * MIN, MIN);
    expect(info.ok && info.infos).toEqual(['PromQL info: metric might not be a counter, name does not end in _total/_sum/_count/_bucket: "queue_depth"']);
    const [warn] = await both('sum(quantile_over_time(2, temperature[5m]))', 0, 10 * MIN, MIN);
    expect(warn.ok && warn.warnings).toEqual(['PromQL warning: quantile value should be between 0 and 1, got 2']);
    // dup_a_total and dup_b_total overlap from 20m on: without their names they are one label set.
    const [dup] = await both('rate({__name__=~"dup_.*"}[5m])', 0, 30 * MIN, MIN);
    expect(dup).toEqual({ ok: false, error: 'PromqlEvalError: vector cannot contain metrics with the same labelset' });
  });

  it('stops at the same max-samples limits', async () => {
    for (const maxSamples of [1, 50, 200, 500, 1000, 2000, 5000, 20_000]) {
      for (const q of ['sum by (code) (rate(http_requests_total[5m]))', 'rate(http_requests_total[2m])', 'avg(temperature)']) {
        const [columnar, stepwise] = await both(q, 0, 40 * MIN, 30 * SEC, { maxSamples });
        expect(columnar, `${q} with maxSamples ${maxSamples}`).toEqual(stepwise);
      }
    }
    const [tooMany] = await both('sum(rate(http_requests_total[5m]))', 0, 40 * MIN, 30 * SEC, { maxSamples: 100 });
    expect(tooMany.ok).toBe(false);
  });

  it('evaluates wide selectors in several step blocks with the same answers', async () => {
    // 2,401 steps: a root evaluates at most 256 steps per block, so the windows carry over blocks.
    const [columnar, stepwise] = await both('rate(http_requests_total[1m])', 0, 40 * MIN, SEC);
    expect(columnar).toEqual(stepwise);
    const [agg, aggStepwise] = await both('sum by (instance) (rate(http_requests_total[1m]))', 0, 40 * MIN, SEC);
    expect(agg).toEqual(aggStepwise);
  });
});
