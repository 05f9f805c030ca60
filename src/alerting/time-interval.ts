/**
 * `kind: TimeInterval`: Alertmanager's time intervals (`time_intervals` in its configuration),
 * named and referenced by routes' `muteTimeIntervals` / `activeTimeIntervals`. An interval
 * matches when every field it sets matches (times, weekdays, days of month, months, years),
 * read in its `location`; a TimeInterval is active when any of its intervals matches.
 */
import { z } from 'zod';
import type { KindDefinition } from '../inventory/kinds.js';
import type { FieldIssue } from '../lib/errors.js';
import { isValidTimeZone, zonedParts } from './zoned-time.js';

const WEEKDAY_NAMES = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];
const MONTH_NAMES = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];
const TIME_RE = /^([01]\d|2[0-3]):([0-5]\d)$|^24:00$/;

export const timeRangeSchema = z
  .object({
    startTime: z.string().regex(TIME_RE, 'expected HH:MM (00:00–23:59)').describe('inclusive start, HH:MM'),
    endTime: z.string().regex(TIME_RE, 'expected HH:MM (00:01–24:00)').describe('exclusive end, HH:MM (24:00 allowed)'),
  })
  .strict();

export const timeIntervalEntrySchema = z
  .object({
    times: z.array(timeRangeSchema).optional().describe('times of day'),
    weekdays: z.array(z.string()).optional().describe('e.g. "monday:friday", "saturday"'),
    daysOfMonth: z.array(z.string()).optional().describe('e.g. "1:5", "-1" (last day)'),
    months: z.array(z.string()).optional().describe('e.g. "january:march", "12"'),
    years: z.array(z.string()).optional().describe('e.g. "2026:2027"'),
    location: z.string().default('UTC').describe('IANA time zone the fields are read in, e.g. "Asia/Tokyo"'),
  })
  .strict();

export const timeIntervalSpecSchema = z
  .object({ intervals: z.array(timeIntervalEntrySchema).min(1, 'a time interval needs at least one entry').describe('the interval is active when any entry matches') })
  .strict();

export type TimeIntervalEntry = z.infer<typeof timeIntervalEntrySchema>;
export type TimeIntervalSpec = z.infer<typeof timeIntervalSpecSchema>;

type Range = [number, number];

function parseRanges(list: string[], parseOne: (s: string) => number, what: string, allowNegative = false): Range[] {
  return list.map((item) => {
    const [a, b] = item.split(':').map((s) => s.trim().toLowerCase()) as [string, string | undefined];
    const lo = parseOne(a);
    const hi = b === undefined ? lo : parseOne(b);
    if (Number.isNaN(lo) || Number.isNaN(hi)) throw new Error(`invalid ${what} "${item}"`);
    if (!allowNegative && hi < lo) throw new Error(`${what} range "${item}" ends before it starts`);
    return [lo, hi];
  });
}

function weekdayOf(s: string): number {
  const i = WEEKDAY_NAMES.indexOf(s);
  return i < 0 ? NaN : i;
}

function monthOf(s: string): number {
  const i = MONTH_NAMES.indexOf(s);
  if (i >= 0) return i + 1;
  const n = Number(s);
  return Number.isInteger(n) && n >= 1 && n <= 12 ? n : NaN;
}

function dayOf(s: string): number {
  const n = Number(s);
  return Number.isInteger(n) && n !== 0 && n >= -31 && n <= 31 ? n : NaN;
}

function yearOf(s: string): number {
  const n = Number(s);
  return Number.isInteger(n) && n > 0 ? n : NaN;
}

function minutes(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number) as [number, number];
  return h * 60 + m;
}

export interface CompiledInterval {
  location: string;
  times?: Range[];
  weekdays?: Range[];
  days?: Range[];
  months?: Range[];
  years?: Range[];
}

/** Parses an entry; throws with the reason when a field is malformed. */
export function compileInterval(e: TimeIntervalEntry): CompiledInterval {
  if (!isValidTimeZone(e.location)) throw new Error(`unknown time zone "${e.location}"`);
  const out: CompiledInterval = { location: e.location };
  if (e.times) {
    out.times = e.times.map((t) => {
      const s = minutes(t.startTime);
      const en = minutes(t.endTime);
      if (en <= s) throw new Error(`time range ${t.startTime}–${t.endTime}: end must be after start`);
      return [s, en];
    });
  }
  if (e.weekdays) out.weekdays = parseRanges(e.weekdays, weekdayOf, 'weekday');
  if (e.daysOfMonth) {
    out.days = parseRanges(e.daysOfMonth, dayOf, 'day of month', true);
    for (const [a, b] of out.days) if (Math.sign(a) === Math.sign(b) && b < a) throw new Error(`day of month range ${a}:${b} ends before it starts`);
  }
  if (e.months) out.months = parseRanges(e.months, monthOf, 'month');
  if (e.years) out.years = parseRanges(e.years, yearOf, 'year');
  return out;
}

const inRanges = (v: number, rs: Range[]): boolean => rs.some(([a, b]) => v >= a && v <= b);

export function intervalContains(c: CompiledInterval, ms: number): boolean {
  const p = zonedParts(ms, c.location);
  if (c.times) {
    const m = p.hour * 60 + p.minute;
    if (!c.times.some(([s, e]) => m >= s && m < e)) return false;
  }
  if (c.weekdays && !inRanges(p.weekday, c.weekdays)) return false;
  if (c.days) {
    const ok = c.days.some(([a, b]) => {
      // Negative days count from the end of the month: -1 is the last day.
      const lo = a < 0 ? p.daysInMonth + a + 1 : a;
      const hi = b < 0 ? p.daysInMonth + b + 1 : b;
      return p.day >= lo && p.day <= Math.min(hi, p.daysInMonth);
    });
    if (!ok) return false;
  }
  if (c.months && !inRanges(p.month, c.months)) return false;
  if (c.years && !inRanges(p.year, c.years)) return false;
  return true;
}

/** A named time interval, compiled. */
export class TimeInterval {
  private readonly compiled: CompiledInterval[];
  constructor(
    readonly name: string,
    spec: TimeIntervalSpec,
  ) {
    this.compiled = spec.intervals.map(compileInterval);
  }
  contains(ms: number): boolean {
    return this.compiled.some((c) => intervalContains(c, ms));
  }
}

export function validateTimeIntervalSpec(spec: TimeIntervalSpec): FieldIssue[] {
  const issues: FieldIssue[] = [];
  spec.intervals.forEach((e, i) => {
    try {
      compileInterval(e);
    } catch (err) {
      issues.push({ path: `intervals.${i}`, message: (err as Error).message });
    }
  });
  return issues;
}

export const timeIntervalKind: KindDefinition<TimeIntervalSpec> = {
  kind: 'TimeInterval',
  description: 'Named times (hours, weekdays, days, months, years in a time zone) that routes mute or activate',
  specSchema: timeIntervalSpecSchema as z.ZodType<TimeIntervalSpec>,
  validate: validateTimeIntervalSpec,
};
