import { createHash } from 'node:crypto';

/**
 * Deterministic spread: each check runs at a fixed phase within its interval, derived from a
 * hash of its name (as Prometheus offsets scrapes by a hash of the target). 10,000 checks at 60 s
 * then start about 167 per second instead of all at once, and a restart keeps every check's
 * phase, so results stay evenly spaced across restarts.
 */
export function phaseOffsetMs(name: string, intervalMs: number): number {
  if (intervalMs <= 1) return 0;
  // 48 bits of SHA-1: uniform, and exact as a JS number.
  const h = createHash('sha1').update(name).digest().readUIntBE(0, 6);
  return h % intervalMs;
}

/** The first time strictly after `afterMs` that lies on the check's phase: offset + k × interval. */
export function nextSlotMs(afterMs: number, offsetMs: number, intervalMs: number): number {
  if (intervalMs <= 0) return afterMs;
  const since = (((afterMs - offsetMs) % intervalMs) + intervalMs) % intervalMs;
  return afterMs - since + intervalMs;
}
