import { describe, expect, it } from 'vitest';
import type { MatchedSeriesRow } from './queries.js';
import { SeriesMatchCache } from './series-match-cache.js';

const m = [{ name: '__name__', op: '=' as const, value: 'up' }];
const DAY = 86_400_000;

function counter(rows: MatchedSeriesRow[] = [{ id: '1', series_labels: { __name__: 'up' } }]) {
  const c = { calls: 0, lookup: async () => (c.calls++, rows) };
  return c;
}

describe('SeriesMatchCache', () => {
  it('answers a repeated lookup over the same days from memory until series are inserted', async () => {
    const cache = new SeriesMatchCache(Infinity);
    const c = counter();
    await cache.get(m, 10 * DAY + 5, 11 * DAY + 7, c.lookup);
    expect(await cache.get(m, 10 * DAY + 99, 11 * DAY + 100, c.lookup)).toEqual([{ id: '1', series_labels: { __name__: 'up' } }]);
    expect(c.calls).toBe(1);
    await cache.get(m, 9 * DAY, 11 * DAY, c.lookup); // other days
    await cache.get([{ name: '__name__', op: '=~', value: 'up' }], 10 * DAY, 11 * DAY, c.lookup); // other matchers
    expect(c.calls).toBe(3);
    cache.invalidate();
    await cache.get(m, 10 * DAY, 11 * DAY, c.lookup);
    expect(c.calls).toBe(4);
  });

  it('does not keep an answer when series were inserted while the lookup ran', async () => {
    const cache = new SeriesMatchCache(Infinity);
    const c = counter();
    await cache.get(m, 0, 1, async () => {
      cache.invalidate();
      return c.lookup();
    });
    await cache.get(m, 0, 1, c.lookup);
    expect(c.calls).toBe(2);
  });

  it('expires entries after maxAgeMs (other writers of a ClickHouse server)', async () => {
    let now = 1000;
    const cache = new SeriesMatchCache(10_000, () => now);
    const c = counter();
    await cache.get(m, 0, 1, c.lookup);
    now += 10_000;
    await cache.get(m, 0, 1, c.lookup);
    expect(c.calls).toBe(1);
    now += 1;
    await cache.get(m, 0, 1, c.lookup);
    expect(c.calls).toBe(2);
  });
});
