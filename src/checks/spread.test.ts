import { describe, expect, it } from 'vitest';
import { nextSlotMs, phaseOffsetMs } from './spread.js';

describe('deterministic spread', () => {
  it('gives each name a fixed phase inside the interval', () => {
    expect(phaseOffsetMs('shop-top', 60_000)).toBe(phaseOffsetMs('shop-top', 60_000));
    expect(phaseOffsetMs('shop-top', 60_000)).not.toBe(phaseOffsetMs('shop-api', 60_000));
    for (const n of ['a', 'b', 'web-1', 'db.primary']) {
      const o = phaseOffsetMs(n, 30_000);
      expect(o).toBeGreaterThanOrEqual(0);
      expect(o).toBeLessThan(30_000);
    }
  });

  it('spreads 10,000 checks at 60 s evenly: no second of the minute gets more than twice its share', () => {
    const perSecond = new Array(60).fill(0);
    for (let i = 0; i < 10_000; i++) perSecond[Math.floor(phaseOffsetMs(`check-${i}`, 60_000) / 1000)]++;
    const share = 10_000 / 60;
    expect(Math.max(...perSecond)).toBeLessThan(2 * share);
    expect(Math.min(...perSecond)).toBeGreaterThan(share / 2);
  });

  it('finds the next slot on the phase, strictly after the given time', () => {
    expect(nextSlotMs(0, 500, 1000)).toBe(500);
    expect(nextSlotMs(500, 500, 1000)).toBe(1500);
    expect(nextSlotMs(1499, 500, 1000)).toBe(1500);
    expect(nextSlotMs(1_700_000_000_123, 7_000, 60_000) % 60_000).toBe(7_000);
    expect(nextSlotMs(-10, 0, 1000)).toBe(0);
  });
});
