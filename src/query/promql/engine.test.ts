import { describe, expect, it } from 'vitest';
import { PromqlEngine } from './engine.js';
import { TooManySamplesError } from './errors.js';
import { toPrometheusJson } from './json.js';
import { MemorySeriesSource, STALE_NAN } from './storage.js';

const MIN = 60_000;

function source(): MemorySeriesSource {
  const s = new MemorySeriesSource();
  // Counter with a reset at 5m; gauge that goes stale at 3m.
  s.add({ __name__: 'req_total', job: 'a' }, [0, 10, 20, 30, 40, 5, 15].map((v, i) => ({ t: i * MIN, v })));
  s.add({ __name__: 'req_total', job: 'b' }, [0, 20, 40, 60, 80, 100, 120].map((v, i) => ({ t: i * MIN, v })));
  s.add({ __name__: 'temp', job: 'a' }, [{ t: 0, v: 1 }, { t: MIN, v: 2 }, { t: 2 * MIN, v: 3 }, { t: 3 * MIN, v: STALE_NAN }]);
  return s;
}

describe('PromqlEngine', () => {
  it('handles counter resets in increase()', async () => {
    const r = await new PromqlEngine(source()).instantQuery('increase(req_total{job="a"}[6m])', 6 * MIN);
    expect(r.resultType).toBe('vector');
    if (r.resultType !== 'vector') return;
    // The window (0, 6m] holds 10..40, reset, 5, 15: raw increase 30 + 15 = 45 over 5m of samples,
    // extrapolated one interval back to the window start: 45 * 6/5.
    expect(r.result[0]!.value).toBeCloseTo(54, 9);
    expect(r.result[0]!.metric).toEqual({ job: 'a' });
  });

  it('ends a series at a staleness marker instead of using the lookback window', async () => {
    const e = new PromqlEngine(source());
    const before = await e.instantQuery('temp', 2 * MIN + 30_000);
    const after = await e.instantQuery('temp', 3 * MIN + 30_000);
    expect(before.resultType === 'vector' && before.result.map((s) => s.value)).toEqual([3]);
    expect(after.resultType === 'vector' && after.result).toEqual([]);
  });

  it('gives the same answers from a source of plain point objects as from a columnar one', async () => {
    const columnar = source();
    const plain = {
      async select(...args: Parameters<MemorySeriesSource['select']>) {
        const out = await columnar.select(...args);
        // Reading `samples` drops the columns: the engine must take the point objects.
        return out.map((s) => ({ labels: s.labels, samples: s.samples }));
      },
    };
    expect((await columnar.select([], 0, 10 * MIN))[0]!.columns).toBeDefined();
    for (const q of ['temp', 'rate(req_total[3m])', 'sum by (job) (req_total)', 'count_over_time(temp[10m])']) {
      const a = await new PromqlEngine(columnar).rangeQuery(q, 0, 7 * MIN, 30_000);
      const b = await new PromqlEngine(plain).rangeQuery(q, 0, 7 * MIN, 30_000);
      expect(toPrometheusJson(b)).toEqual(toPrometheusJson(a));
    }
    // The stale marker ends `temp` from both sources.
    const r = await new PromqlEngine(plain).rangeQuery('temp', 0, 5 * MIN, MIN);
    expect(toPrometheusJson(r)).toEqual({ resultType: 'matrix', result: [{ metric: { __name__: 'temp', job: 'a' }, values: [[0, '1'], [60, '2'], [120, '3']] }] });
  });

  it('aligns range-query steps and sorts the matrix by labels', async () => {
    const r = await new PromqlEngine(source()).rangeQuery('sum by (job) (req_total)', 0, 2 * MIN, MIN);
    expect(toPrometheusJson(r)).toEqual({
      resultType: 'matrix',
      result: [
        { metric: { job: 'a' }, values: [[0, '0'], [60, '10'], [120, '20']] },
        { metric: { job: 'b' }, values: [[0, '0'], [60, '20'], [120, '40']] },
      ],
    });
  });

  it('rejects many-to-many matches and duplicate label sets like Prometheus', async () => {
    const e = new PromqlEngine(source());
    await expect(e.instantQuery('req_total + on() req_total', MIN)).rejects.toThrow(/many-to-many matching not allowed/);
    await expect(e.instantQuery('abs({__name__=~"req_total|temp", job="a"})', MIN)).rejects.toThrow(
      'vector cannot contain metrics with the same labelset',
    );
  });

  it('evaluates subqueries on the absolute step grid', async () => {
    const r = await new PromqlEngine(source()).instantQuery('count_over_time(req_total{job="b"}[3m:1m])', 3 * MIN + 30_000);
    expect(r.resultType === 'vector' && r.result[0]!.value).toBe(3);
  });

  it('stops a query that would hold too many samples', async () => {
    const e = new PromqlEngine(source(), { maxSamples: 5 });
    await expect(e.instantQuery('req_total[10m]', 6 * MIN)).rejects.toBeInstanceOf(TooManySamplesError);
  });

  it('emits the Prometheus JSON shape for scalars and strings', async () => {
    const e = new PromqlEngine(source());
    expect(toPrometheusJson(await e.instantQuery('1/0', 1500))).toEqual({ resultType: 'scalar', result: [1.5, '+Inf'] });
    expect(toPrometheusJson(await e.instantQuery('"x"', 0))).toEqual({ resultType: 'string', result: [0, 'x'] });
  });

  // The range path keeps state across steps (index windows, reset counts, grouping tables by
  // label-set object); every step of a range query must equal a fresh instant query at that time.
  it.each([
    'rate(req_total[3m])',
    'increase(req_total[2m])',
    'sum by (job) (rate(req_total[3m]))',
    'topk(1, req_total)',
    'bottomk(1, req_total)',
    'histogram_quantile(0.5, sum by (le) (rate(lat_bucket[3m])))',
    'max_over_time(rate(req_total[2m])[3m:1m])',
  ])('gives the same values per step in a range query as instant queries: %s', async (q) => {
    const src = source();
    // A flapping gauge and tied values exercise topk order; a bucket series with a reset and a stale end.
    src.add({ __name__: 'req_total', job: 'c' }, [0, 10, 20, 30, 40, 5, 15].map((v, i) => ({ t: i * MIN, v })));
    for (const [le, f] of [['1', 1], ['+Inf', 2]] as const) {
      src.add({ __name__: 'lat_bucket', le }, [0, 2, 4, 1, 3, 5, STALE_NAN].map((v, i) => ({ t: i * MIN, v: Number.isNaN(v) ? v : v * f })));
    }
    const e = new PromqlEngine(src);
    const range = await e.rangeQuery(q, 0, 7 * MIN, 30_000);
    expect(range.resultType).toBe('matrix');
    if (range.resultType !== 'matrix') return;
    const fromRange = new Map<string, number>();
    for (const s of range.result) for (const p of s.values) fromRange.set(`${JSON.stringify(s.metric)}@${p.t}`, p.v);
    const fromInstant = new Map<string, number>();
    for (let t = 0; t <= 7 * MIN; t += 30_000) {
      const r = await e.instantQuery(q, t);
      if (r.resultType !== 'vector') throw new Error(r.resultType);
      for (const s of r.result) fromInstant.set(`${JSON.stringify(s.metric)}@${t}`, s.value);
    }
    expect(fromRange.size).toBeGreaterThan(0);
    expect(fromRange).toEqual(fromInstant);
  });

  it('keeps input order among tied values in topk/bottomk, as a stable sort would', async () => {
    const src = new MemorySeriesSource();
    for (const [i, v] of [5, 3, 5, 5, NaN, 1, 1].entries()) src.add({ __name__: 'g', i: String(i) }, [{ t: 0, v }]);
    const e = new PromqlEngine(src);
    const ids = async (q: string) => {
      const r = await e.instantQuery(q, 0);
      return r.resultType === 'vector' ? r.result.map((s) => s.metric.i) : [];
    };
    expect(await ids('topk(2, g)')).toEqual(['0', '2']);
    expect(await ids('topk(4, g)')).toEqual(['0', '2', '3', '1']);
    expect(await ids('bottomk(1, g)')).toEqual(['5']);
    // NaN ranks last both ways.
    expect((await ids('topk(7, g)')).at(-1)).toBe('4');
    expect((await ids('bottomk(7, g)')).at(-1)).toBe('4');
  });

  it('counts a counter reset between the first two samples of a window', async () => {
    // Window (3m30s, 5m30s] of job a holds 40 then 5: raw increase 5, extrapolated 30 s each way.
    const e = new PromqlEngine(source());
    const r = await e.instantQuery('increase(req_total{job="a"}[2m])', 5 * MIN + 30_000);
    expect(r.resultType === 'vector' && r.result[0]!.value).toBeCloseTo(10, 9);
    const rr = await e.rangeQuery('increase(req_total{job="a"}[2m])', 4 * MIN + 30_000, 5 * MIN + 30_000, MIN);
    expect(rr.resultType === 'matrix' && rr.result[0]!.values.map((p) => p.v)).toEqual([20, 10]);
  });
});
