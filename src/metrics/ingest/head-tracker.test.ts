import { describe, expect, it } from 'vitest';
import { STALE_NAN } from '../../query/promql/index.js';
import { HeadTracker } from './head-tracker.js';

describe('HeadTracker (Prometheus head rules, out_of_order_time_window 0)', () => {
  it('accepts newer samples, an exact repeat, and refuses older or conflicting ones', () => {
    const h = new HeadTracker();
    expect(h.admit('a', 1000, 1)).toBe('ok');
    expect(h.admit('a', 2000, 2)).toBe('ok');
    expect(h.admit('a', 2000, 2)).toBe('repeat');
    expect(h.admit('a', 2000, 3)).toBe('duplicate');
    expect(h.admit('a', 1500, 9)).toBe('out_of_order');
    expect(h.admit('b', 1500, 9)).toBe('ok');
  });
  it('treats NaN repeats as repeats and a stale marker as a different value', () => {
    const h = new HeadTracker();
    expect(h.admit('a', 1000, NaN)).toBe('ok');
    expect(h.admit('a', 1000, NaN)).toBe('repeat');
    expect(h.admit('a', 1000, STALE_NAN)).toBe('duplicate');
  });
  it('accepts older samples inside an out-of-order window', () => {
    const h = new HeadTracker(10_000);
    h.admit('a', 60_000, 1);
    expect(h.admit('a', 55_000, 1)).toBe('ok');
    expect(h.admit('a', 40_000, 1)).toBe('out_of_order');
  });
  it('forgets a series so a retried batch is judged afresh, and bounds its memory', () => {
    const h = new HeadTracker(0, 2);
    h.admit('a', 1000, 1);
    h.forget('a');
    expect(h.admit('a', 1000, 1)).toBe('ok');
    h.admit('b', 1, 1);
    h.admit('c', 1, 1);
    expect(h.size).toBeLessThanOrEqual(2);
  });
});
