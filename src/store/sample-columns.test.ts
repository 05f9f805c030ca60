import { describe, expect, it } from 'vitest';
import { ColumnarSeries, columnsOf } from './sample-columns.js';

const make = () => new ColumnarSeries({ __name__: 'm' }, Float64Array.from([1000, 2000]), Float64Array.from([1, 2]));

describe('ColumnarSeries', () => {
  it('hands out its columns until samples are read, then the points only', () => {
    const s = make();
    expect(Array.from(s.columns!.t)).toEqual([1000, 2000]);
    const pts = s.samples;
    expect(pts).toEqual([{ t: 1000, v: 1 }, { t: 2000, v: 2 }]);
    expect(s.samples).toBe(pts);
    // The points may now be changed by the caller, so the columns no longer describe the series.
    expect(s.columns).toBeUndefined();
    pts.push({ t: 3000, v: 3 });
    expect(columnsOf(s).t).toEqual(Float64Array.from([1000, 2000, 3000]));
  });

  it('looks like a plain { labels, samples } object to deep equality, JSON and spreading', () => {
    expect([make()]).toEqual([{ labels: { __name__: 'm' }, samples: [{ t: 1000, v: 1 }, { t: 2000, v: 2 }] }]);
    expect(JSON.parse(JSON.stringify(make()))).toEqual({ labels: { __name__: 'm' }, samples: [{ t: 1000, v: 1 }, { t: 2000, v: 2 }] });
    expect(Object.keys(make())).toEqual(['labels', 'samples']);
    const copy = { ...make() };
    expect(copy.samples).toEqual([{ t: 1000, v: 1 }, { t: 2000, v: 2 }]);
  });

  it('takes assigned samples as the new data', () => {
    const s = make();
    s.samples = [{ t: 5, v: 5 }];
    expect(s.columns).toBeUndefined();
    expect(s.samples).toEqual([{ t: 5, v: 5 }]);
  });

  it('builds columns from plain samples', () => {
    const c = columnsOf({ labels: {}, samples: [{ t: 1, v: 2 }] });
    expect(Array.from(c.t)).toEqual([1]);
    expect(Array.from(c.v)).toEqual([2]);
  });
});
