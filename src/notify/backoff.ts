/**
 * Exponential backoff with jitter, the one place retry delays are decided (ARCHITECTURE §3.1
 * wants it in src/lib/backoff.ts; it lives here until that exists). Jitter spreads retries of
 * many notifications that failed together (one receiver down) so they do not return in a wave.
 */
export interface BackoffPolicy {
  /** Delay before the first retry. */
  initialMs: number;
  /** Upper bound for any delay. */
  maxMs: number;
  /** Growth per attempt (2 doubles). */
  factor: number;
  /** Fraction of the delay randomised, 0..1: 0.2 gives delay × [0.8, 1.2). */
  jitter: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { initialMs: 1000, maxMs: 5 * 60_000, factor: 2, jitter: 0.2 };

/**
 * Delay before retry number `retry` (1 = the first retry). `random` returns [0, 1); inject it
 * for determinism in tests.
 */
export function backoffDelayMs(retry: number, policy: BackoffPolicy = DEFAULT_BACKOFF, random: () => number = Math.random): number {
  const n = Math.max(1, Math.floor(retry));
  const base = Math.min(policy.maxMs, policy.initialMs * Math.pow(policy.factor, n - 1));
  const jitter = Math.min(Math.max(policy.jitter, 0), 1);
  const spread = base * jitter * (2 * random() - 1);
  return Math.max(0, Math.min(policy.maxMs, Math.round(base + spread)));
}

/**
 * Reads an HTTP Retry-After header (delay-seconds or an HTTP-date, RFC 9110 §10.2.3) as
 * milliseconds from `nowMs`; undefined when absent or unreadable.
 */
export function parseRetryAfterMs(value: string | null | undefined, nowMs: number = Date.now()): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}
