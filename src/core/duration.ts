import { z } from 'zod';

/**
 * Durations as Prometheus writes them: "30s", "1m30s", "2h", "500ms", "1d", "1w", "1y".
 * Units must appear from largest to smallest, each at most once.
 */
const UNIT_MS: Record<string, number> = {
  y: 365 * 24 * 3600_000,
  w: 7 * 24 * 3600_000,
  d: 24 * 3600_000,
  h: 3600_000,
  m: 60_000,
  s: 1000,
  ms: 1,
};
const ORDER = ['y', 'w', 'd', 'h', 'm', 's', 'ms'];
const DURATION_RE = /^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/;

/** Parses a Prometheus-style duration into milliseconds; returns undefined when malformed. */
export function parseDurationMs(text: string): number | undefined {
  if (text === '0') return 0;
  const m = DURATION_RE.exec(text);
  if (!m || text === '') return undefined;
  let total = 0;
  for (let i = 0; i < ORDER.length; i++) {
    const part = m[i + 1];
    if (part !== undefined) total += Number(part) * UNIT_MS[ORDER[i]!]!;
  }
  return total;
}

/** Formats milliseconds the way Prometheus prints durations ("1m30s", "0s"). */
export function formatDurationMs(ms: number): string {
  if (ms === 0) return '0s';
  let rest = Math.round(ms);
  let out = '';
  for (const unit of ORDER) {
    const size = UNIT_MS[unit]!;
    const n = Math.floor(rest / size);
    if (n > 0) {
      out += `${n}${unit}`;
      rest -= n * size;
    }
  }
  return out;
}

/** zod type for a duration field: keeps the text, validates the form. */
export const durationSchema = z
  .string()
  .refine((s) => parseDurationMs(s) !== undefined, {
    message: 'expected a duration like "30s", "5m", "1h30m" or "500ms"',
  });
