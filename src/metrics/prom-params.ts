/**
 * Request parameters of the Prometheus HTTP API, parsed as Prometheus parses them
 * (web/api/v1: parseTime, parseDuration, parseMatchersParam) so clients that work against
 * Prometheus get the same answers and the same error texts here.
 */
import type { LabelMatcher } from '../core/labels.js';
import { parseDurationMs } from '../core/duration.js';
import { parseExpr, PromqlParseError } from '../query/promql/index.js';
import { matcherPredicate } from '../query/promql/labels.js';
import { invalidParam } from './errors.js';

/** Prometheus's `minTime`/`maxTime` as Go formats them; clients (promtool) send them verbatim. */
export const MIN_TIME_TEXT = '-292273086-05-16T16:47:06Z';
export const MAX_TIME_TEXT = '292277025-08-18T07:12:54.999999999Z';
/** The instants those stand for, in ms; callers clamp them to what storage can hold. */
export const MIN_TIME_MS = -9_223_372_036_854;
export const MAX_TIME_MS = 9_223_372_036_854;

const FLOAT_RE = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const RFC3339_RE = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?([Zz]|([+-])(\d{2}):(\d{2}))$/;

/**
 * A timestamp as Prometheus accepts it: unix seconds with up to millisecond decimals, or
 * RFC 3339 (nanoseconds allowed). Returns epoch ms; throws undefined-free `reason` text.
 */
export function parseTimestampMs(text: string): number | undefined {
  if (FLOAT_RE.test(text)) {
    const t = Number(text);
    if (!Number.isFinite(t)) return undefined;
    const whole = Math.trunc(t);
    // Go: s, ns := math.Modf(t); ns = math.Round(ns*1000)/1000
    return whole * 1000 + Math.round((t - whole) * 1000);
  }
  const m = RFC3339_RE.exec(text);
  if (m) {
    const [, y, mo, d, h, mi, s, frac, zone, sign, zh, zm] = m;
    const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
    if (Number.isNaN(ms) || Number(mo) > 12 || Number(d) > 31 || Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) return undefined;
    const fracMs = frac ? Number((frac + '00').slice(0, 3)) : 0;
    const offset = zone === 'Z' || zone === 'z' ? 0 : (sign === '-' ? -1 : 1) * (Number(zh) * 60 + Number(zm)) * 60_000;
    return ms + fracMs - offset;
  }
  if (text === MIN_TIME_TEXT) return MIN_TIME_MS;
  if (text === MAX_TIME_TEXT) return MAX_TIME_MS;
  return undefined;
}

/** A time parameter; `fallback` when absent or empty (as Prometheus's parseTimeParam). */
export function timeParam(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined || text === '') return fallback;
  return requiredTimeParam(name, text);
}

/** A time parameter that must be present (query_range's start and end). */
export function requiredTimeParam(name: string, text: string | undefined): number {
  const ms = parseTimestampMs(text ?? '');
  if (ms === undefined) throw invalidParam(name, `cannot parse ${JSON.stringify(text ?? '')} to a valid timestamp`);
  return ms;
}

/** A duration: seconds as a float ("15", "0.5") or Prometheus's "1m30s" form. Returns ms. */
export function parseDurationParamMs(text: string): number | undefined {
  if (FLOAT_RE.test(text)) {
    const d = Number(text);
    if (!Number.isFinite(d) || Math.abs(d) * 1e9 > 9.223372036854776e18) return undefined;
    // Go keeps nanoseconds, then the engine truncates to ms.
    return Math.trunc(Math.round(d * 1e6) / 1e3);
  }
  return parseDurationMs(text);
}

export function durationParam(name: string, text: string | undefined): number {
  const ms = text === undefined ? undefined : parseDurationParamMs(text);
  if (ms === undefined) throw invalidParam(name, `cannot parse ${JSON.stringify(text ?? '')} to a valid duration`);
  return ms;
}

export function optionalDurationParam(name: string, text: string | undefined): number | undefined {
  if (text === undefined || text === '') return undefined;
  return durationParam(name, text);
}

/** A non-negative integer `limit`; 0 or absent means no limit, as in Prometheus. */
export function limitParam(name: string, text: string | undefined): number | undefined {
  if (text === undefined || text === '') return undefined;
  if (!/^\d+$/.test(text)) throw invalidParam(name, `cannot parse ${JSON.stringify(text)}: must be a non-negative integer`);
  const n = Number(text);
  return n === 0 ? undefined : n;
}

/**
 * `match[]` selectors: each must be a plain series selector (no offset, no @) with at least one
 * matcher that does not match the empty string, so a selector cannot mean "every series".
 */
export function matchersParam(values: readonly string[]): LabelMatcher[][] {
  return values.map((text) => {
    let expr;
    try {
      expr = parseExpr(text);
    } catch (err) {
      if (err instanceof PromqlParseError) throw invalidParam('match[]', err.message);
      throw err;
    }
    if (expr.type !== 'vectorSelector' || expr.offsetMs !== 0 || expr.at !== undefined) {
      throw invalidParam('match[]', `${JSON.stringify(text)} is not a series selector such as up{job="api"}`);
    }
    // RE2 regexes: the engine's own matcher compiles them, so the check agrees with queries.
    if (expr.matchers.every((m) => matcherPredicate(m)({}))) {
      throw invalidParam('match[]', 'match[] must contain at least one non-empty matcher');
    }
    return expr.matchers;
  });
}
