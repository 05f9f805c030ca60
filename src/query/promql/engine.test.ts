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
});
