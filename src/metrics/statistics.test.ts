import { describe, expect, it } from 'vitest';
import { ValidationError } from '../lib/errors.js';
import { customMetricsToSamples, seriesNameFor } from './ingest/custom-metrics.js';
import { computeStatistics, parseStatisticsQuery, weightedPercentile } from './statistics.js';
import { MemoryTelemetryStore } from './test-support/memory-telemetry-store.js';

const NOW = Date.UTC(2026, 10, 22, 12, 0, 0);
const sec = (ms: number) => ms / 1000;

function issuesOf(fn: () => unknown): { path: string; message: string }[] {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ValidationError);
    return (e as ValidationError).issues;
  }
  throw new Error('expected a ValidationError');
}

describe('custom metrics push (CloudWatch style)', () => {
  it('names series <namespace>_<name> with dimension labels', () => {
    expect(seriesNameFor('Shop/Checkout', 'Latency.p')).toBe('Shop_Checkout_Latency_p');
    expect(seriesNameFor('9lives', 'x')).toBe('_9lives_x');
    const b = customMetricsToSamples({ namespace: 'Shop/Checkout', metrics: [{ name: 'Orders', dimensions: { region: 'eu' }, value: 3, timestamp: sec(NOW - 5000) }] }, NOW);
    expect(b.samples).toEqual([{ labels: { __name__: 'Shop_Checkout_Orders', region: 'eu' }, t: NOW - 5000, v: 3 }]);
  });

  it('writes count/sum/min/max beside the mean for distributions and statistic sets', () => {
    const b = customMetricsToSamples({ namespace: 'N', metrics: [{ name: 'm', values: [10, 20], counts: [3, 1] }, { name: 's', statisticValues: { sum: 100, min: 1, max: 60, sampleCount: 4 } }] }, NOW);
    const byName = Object.fromEntries(b.samples.map((s) => [s.labels.__name__, s.v]));
    expect(byName).toEqual({ N_m: 12.5, N_m_count: 4, N_m_sum: 50, N_m_min: 10, N_m_max: 20, N_s: 25, N_s_count: 4, N_s_sum: 100, N_s_min: 1, N_s_max: 60 });
  });

  it('merges datums of one series at one instant instead of letting the later replace the earlier', () => {
    const b = customMetricsToSamples({ namespace: 'N', metrics: [{ name: 'm', value: 1, timestamp: sec(NOW) }, { name: 'm', value: 5, timestamp: sec(NOW) }] }, NOW);
    const byName = Object.fromEntries(b.samples.map((s) => [s.labels.__name__, s.v]));
    expect(byName).toMatchObject({ N_m: 3, N_m_count: 2, N_m_sum: 6, N_m_min: 1, N_m_max: 5 });
  });

  it('rejects the whole push naming each bad field', () => {
    expect(issuesOf(() => customMetricsToSamples({ namespace: 'N', metrics: [{ name: 'm' }] }, NOW))[0]).toEqual({ path: 'metrics.0', message: expect.stringContaining('exactly one of value') });
    expect(issuesOf(() => customMetricsToSamples({ namespace: 'N', metrics: [{ name: 'm', value: 1, dimensions: { 'a-b': 'x' } }] }, NOW))[0]!.path).toBe('metrics.0.dimensions.a-b');
    expect(issuesOf(() => customMetricsToSamples({ namespace: 'N', metrics: [{ name: 'm', values: [1, 2], counts: [1] }] }, NOW))[0]!.path).toBe('metrics.0.counts');
    expect(issuesOf(() => customMetricsToSamples({ namespace: 'N', metrics: [{ name: 'm', value: 1, timestamp: sec(NOW - 15 * 86_400_000) }] }, NOW))[0]).toEqual({ path: 'metrics.0.timestamp', message: 'is more than two weeks old' });
    expect(issuesOf(() => customMetricsToSamples({ namespace: 'N', metrics: [{ name: 'm', value: 1, unit: 'Furlongs' }] }, NOW))[0]!.path).toBe('metrics.0.unit');
    expect(issuesOf(() => customMetricsToSamples({ namespace: 'N', metrics: [{ name: 'm', value: 1, extra: true }] }, NOW))[0]!.path).toBe('metrics.0');
    expect(issuesOf(() => customMetricsToSamples({ metrics: [] }, NOW)).map((i) => i.path)).toEqual(expect.arrayContaining(['namespace', 'metrics']));
  });
});

describe('statistics query parameters', () => {
  it('fills defaults and names bad fields', () => {
    const q = parseStatisticsQuery({ namespace: 'N', name: 'm', statistics: 'Sum,p99.9' }, NOW);
    expect(q).toMatchObject({ periodMs: 60_000, endMs: NOW, startMs: NOW - 3_600_000, statistics: ['Sum', 'p99.9'], dimensions: {}, groupBy: [] });
    const paths = issuesOf(() => parseStatisticsQuery({ name: 'm', statistics: 'Median', period: '1.5', dimensions: 'oops' }, NOW)).map((i) => i.path);
    expect(paths).toEqual(expect.arrayContaining(['namespace', 'statistics', 'period', 'dimensions']));
    expect(issuesOf(() => parseStatisticsQuery({ namespace: 'N', name: 'm', statistics: 'Sum', period: '1', start: String(sec(NOW - 86_400_000)), end: String(sec(NOW)) }, NOW))[0]!.path).toBe('period');
    expect(issuesOf(() => parseStatisticsQuery({ namespace: 'N', name: 'm', statistics: 'Sum', start: String(sec(NOW)), end: String(sec(NOW - 1000)) }, NOW))[0]!.path).toBe('start');
  });
});

describe('statistics', () => {
  it('computes per-period Sum, Average, Minimum, Maximum, SampleCount and percentiles by dimension', async () => {
    const store = new MemoryTelemetryStore();
    const push = (metrics: unknown[]) => store.appendSamples(customMetricsToSamples({ namespace: 'Shop', metrics }, NOW).samples);
    const p0 = NOW - 3_600_000; // an hour-aligned period start
    await push([
      { name: 'Latency', dimensions: { region: 'eu' }, value: 10, timestamp: sec(p0 + 1000) },
      { name: 'Latency', dimensions: { region: 'eu' }, value: 30, timestamp: sec(p0 + 2000) },
      { name: 'Latency', dimensions: { region: 'eu' }, values: [1, 100], counts: [1, 1], timestamp: sec(p0 + 3000) },
      { name: 'Latency', dimensions: { region: 'us' }, statisticValues: { sum: 40, min: 2, max: 20, sampleCount: 4 }, timestamp: sec(p0 + 4000) },
      { name: 'Latency', dimensions: { region: 'eu' }, value: 7, timestamp: sec(p0 + 3_600_000 - 1) },
    ]);
    const q = parseStatisticsQuery({ namespace: 'Shop', name: 'Latency', period: '1h', statistics: 'Sum,Average,Minimum,Maximum,SampleCount,p50', groupBy: 'region', start: String(sec(p0)), end: String(sec(NOW)) }, NOW);
    const r = await computeStatistics(store, q, 'Milliseconds');
    expect(r.metric).toBe('Shop_Latency');
    expect(r.results.map((x) => x.dimensions)).toEqual([{ region: 'eu' }, { region: 'us' }]);
    const eu = r.results[0]!.datapoints;
    expect(eu).toHaveLength(1);
    expect(eu[0]).toMatchObject({ timestamp: new Date(p0).toISOString(), sum: 148, sampleCount: 5, minimum: 1, maximum: 100, average: 148 / 5, unit: 'Milliseconds' });
    // Weighted nearest rank over 7, 10, 30 and the distribution's mean 50.5 (weight 2): the 50th percentile is 30.
    expect(eu[0]!.extendedStatistics).toEqual({ p50: 30 });
    expect(r.results[1]!.datapoints[0]).toMatchObject({ sum: 40, sampleCount: 4, minimum: 2, maximum: 20, average: 10 });

    const filtered = await computeStatistics(store, parseStatisticsQuery({ namespace: 'Shop', name: 'Latency', period: '30m', statistics: 'SampleCount', dimensions: 'region=us', start: String(sec(p0)), end: String(sec(NOW)) }, NOW));
    expect(filtered.results).toEqual([{ dimensions: {}, datapoints: [{ timestamp: new Date(p0).toISOString(), sampleCount: 4 }] }]);
  });

  it('computes plain values with the store\'s aggregation, without reading samples', async () => {
    const store = new MemoryTelemetryStore();
    let selects = 0;
    const select = store.selectSeries.bind(store);
    store.selectSeries = (q) => (selects++, select(q));
    const p0 = NOW - 3_600_000;
    await store.appendSamples(customMetricsToSamples({ namespace: 'Shop', metrics: [1, 2, 3, 4, 100].map((v, i) => ({ name: 'Orders', dimensions: { region: 'eu' }, value: v, timestamp: sec(p0 + i * 1000) })) }, NOW).samples);
    const q = parseStatisticsQuery({ namespace: 'Shop', name: 'Orders', period: '1h', statistics: 'Sum,Average,SampleCount,Minimum,Maximum,p50,p99', start: String(sec(p0)), end: String(sec(NOW)) }, NOW);
    const r = await computeStatistics(store, q);
    expect(r.results).toEqual([{ dimensions: {}, datapoints: [{ timestamp: new Date(p0).toISOString(), sum: 110, average: 22, sampleCount: 5, minimum: 1, maximum: 100, extendedStatistics: { p50: 3, p99: 100 } }] }]);
    expect(selects).toBe(0);
  });

  it('combines distributions from rollup aggregates: counts, extremes and (equal-count) sums exact', async () => {
    const row = (name: string, count: number, sum: number, min: number, max: number) => ({ group: { __name__: name }, t: 0, count, sum, min, max, first: min, last: max, quantiles: [min] });
    // Plain 10 and 30, one distribution of (1, 100) stored as mean 50.5 with companions.
    const store = {
      aggregateSamples: async () => ({
        resolution: '1h' as const,
        series: 5,
        rows: [row('N_m', 3, 90.5, 10, 50.5), row('N_m_count', 1, 2, 2, 2), row('N_m_sum', 1, 101, 101, 101), row('N_m_min', 1, 1, 1, 1), row('N_m_max', 1, 100, 100, 100)],
      }),
    } as unknown as Parameters<typeof computeStatistics>[0];
    const q = parseStatisticsQuery({ namespace: 'N', name: 'm', period: '1h', statistics: 'Sum,SampleCount,Minimum,Maximum,Average', start: '0', end: '3600' }, NOW);
    const r = await computeStatistics(store, q);
    expect(r.results[0]!.datapoints[0]).toEqual({ timestamp: new Date(0).toISOString(), sum: 141, sampleCount: 4, minimum: 1, maximum: 100, average: 141 / 4 });
  });

  it('allows long ranges with long periods, keeping the 1,440 datapoints cap', () => {
    const day = 86_400_000;
    expect(parseStatisticsQuery({ namespace: 'N', name: 'm', statistics: 'Sum', period: '1d', start: String(sec(NOW - 90 * day)), end: String(sec(NOW)) }, NOW).periodMs).toBe(day);
    expect(parseStatisticsQuery({ namespace: 'N', name: 'm', statistics: 'Sum', period: '2h', start: String(sec(NOW - 90 * day)), end: String(sec(NOW)) }, NOW).periodMs).toBe(7_200_000);
    // 90 days at 1 h would be 2,160 datapoints.
    expect(issuesOf(() => parseStatisticsQuery({ namespace: 'N', name: 'm', statistics: 'Sum', period: '1h', start: String(sec(NOW - 90 * day)), end: String(sec(NOW)) }, NOW))[0]!.path).toBe('period');
  });

  it('weightedPercentile is nearest-rank over weights', () => {
    const obs = [{ value: 1, count: 98 }, { value: 5, count: 1 }, { value: 9, count: 1 }];
    expect(weightedPercentile(obs, 50)).toBe(1);
    expect(weightedPercentile(obs, 99)).toBe(5);
    expect(weightedPercentile(obs, 100)).toBe(9);
  });
});
