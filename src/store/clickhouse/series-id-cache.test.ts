import { describe, expect, it } from 'vitest';
import { seriesId } from './series-id.js';
import { SeriesIdCache } from './series-id-cache.js';

describe('SeriesIdCache', () => {
  it('gives the canonical series id, whatever the key order or empty labels', () => {
    const cache = new SeriesIdCache();
    const a = { __name__: 'up', job: 'api', instance: 'a:1' };
    expect(cache.idOf(a)).toBe(seriesId(a));
    expect(cache.idOf({ instance: 'a:1', job: 'api', __name__: 'up', zone: '' })).toBe(seriesId(a));
    expect(cache.idOf({ ...a, job: 'web' })).toBe(seriesId({ ...a, job: 'web' }));
  });

  it('keeps values that look like separators apart', () => {
    const cache = new SeriesIdCache();
    const x = { __name__: 'm', a: '1:b1:2', b: '' };
    const y = { __name__: 'm', a: '1', b: '2' };
    expect(cache.idOf(x)).toBe(seriesId(x));
    expect(cache.idOf(y)).toBe(seriesId(y));
    expect(cache.idOf(x)).not.toBe(cache.idOf(y));
  });

  it('stays bounded and correct across generations', () => {
    const cache = new SeriesIdCache(4);
    const sets = Array.from({ length: 20 }, (_, i) => ({ __name__: 'm', i: String(i) }));
    for (let round = 0; round < 2; round++) for (const s of sets) expect(cache.idOf(s)).toBe(seriesId(s));
    expect(cache.size).toBeLessThanOrEqual(8);
  });
});
