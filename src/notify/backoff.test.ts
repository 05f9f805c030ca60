import { describe, expect, it } from 'vitest';
import { backoffDelayMs, parseRetryAfterMs } from './backoff.js';

describe('backoff', () => {
  const policy = { initialMs: 1000, maxMs: 60_000, factor: 2, jitter: 0.2 };

  it('doubles per retry up to the cap, spread by jitter', () => {
    const mid = () => 0.5;
    expect([1, 2, 3, 4, 10].map((n) => backoffDelayMs(n, policy, mid))).toEqual([1000, 2000, 4000, 8000, 60_000]);
    expect(backoffDelayMs(3, policy, () => 0)).toBe(3200);
    expect(backoffDelayMs(3, policy, () => 0.999999)).toBe(4800);
    expect(backoffDelayMs(20, policy, () => 0.999999)).toBe(60_000);
  });

  it('reads Retry-After as seconds or an HTTP date', () => {
    const now = Date.parse('2026-03-02T00:00:00Z');
    expect(parseRetryAfterMs('120', now)).toBe(120_000);
    expect(parseRetryAfterMs('Mon, 02 Mar 2026 00:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfterMs('soon', now)).toBeUndefined();
    expect(parseRetryAfterMs(null, now)).toBeUndefined();
  });
});
