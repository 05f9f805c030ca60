/**
 * `kind: MaintenanceWindow`: planned work during which matching alerts are still evaluated and
 * recorded but not notified (state `suppressed`, reason "maintenance window <name>").
 * - one-off: `start` / `end` (ISO 8601 instants);
 * - weekly: `weekly: {days: [sunday], start: "02:00", end: "04:00"}` in `timeZone`; a window whose
 *   end is not after its start runs past midnight into the next day;
 * - cron: `cron: "0 2 * * 0"` with a `duration`, in `timeZone` (croner computes the starts).
 * Alerts are selected by Alertmanager matchers, by host (`host` label, or the host part of
 * `instance`) and/or by check (`check` label); every selector given must match.
 */
import { Cron } from 'croner';
import { z } from 'zod';
import { durationSchema, parseDurationMs } from '../core/duration.js';
import type { Labels } from '../core/labels.js';
import type { KindDefinition } from '../inventory/kinds.js';
import type { FieldIssue } from '../lib/errors.js';
import { checkMatchers, compileMatchers, parseMatcherList, type LabelPredicate } from '../rules/index.js';
import { isValidTimeZone, zonedParts } from './zoned-time.js';

const DAY_NAMES = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'] as const;
const SHORT: Record<string, number> = { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 };
const HHMM = /^([01]\d|2[0-3]):[0-5]\d$|^24:00$/;

export const maintenanceWindowSpecSchema = z
  .object({
    matchers: z.array(z.string()).default([]).describe('Alertmanager matchers over alert labels, e.g. [\'service="shop"\']'),
    hosts: z.array(z.string().min(1)).default([]).describe('hosts under maintenance: matches the `host` label or the host part of `instance`'),
    checks: z.array(z.string().min(1)).default([]).describe('checks under maintenance (the `check` label)'),
    start: z.iso.datetime({ offset: true }).optional().describe('one-off window: start instant (ISO 8601)'),
    end: z.iso.datetime({ offset: true }).optional().describe('one-off window: end instant (ISO 8601)'),
    weekly: z
      .object({
        days: z.array(z.string()).min(1).describe('days the window starts on: sunday … saturday (or sun … sat)'),
        start: z.string().regex(HHMM, 'expected HH:MM').describe('local start time'),
        end: z.string().regex(HHMM, 'expected HH:MM').describe('local end time; not after start means the next day'),
      })
      .strict()
      .optional()
      .describe('recurring weekly window'),
    cron: z.string().optional().describe('recurring window start as a cron expression (5 or 6 fields), e.g. "0 2 * * 0"'),
    duration: durationSchema.optional().describe('length of each cron window, e.g. "2h"'),
    timeZone: z.string().default('UTC').describe('IANA time zone for weekly and cron windows, e.g. "Asia/Tokyo"'),
    comment: z.string().default('').describe('why, and who to ask'),
    createdBy: z.string().optional().describe('who planned it'),
  })
  .strict();

export type MaintenanceWindowSpec = z.infer<typeof maintenanceWindowSpecSchema>;

function dayIndex(d: string): number {
  const s = d.toLowerCase();
  const full = (DAY_NAMES as readonly string[]).indexOf(s);
  return full >= 0 ? full : (SHORT[s] ?? -1);
}

function hhmm(s: string): number {
  const [h, m] = s.split(':').map(Number) as [number, number];
  return h * 60 + m;
}

export function validateMaintenanceWindowSpec(spec: MaintenanceWindowSpec): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const kinds = [spec.start !== undefined || spec.end !== undefined, spec.weekly !== undefined, spec.cron !== undefined].filter(Boolean).length;
  if (kinds !== 1) issues.push({ path: 'start', message: 'set exactly one schedule: start and end (one-off), weekly, or cron with duration' });
  if ((spec.start === undefined) !== (spec.end === undefined)) issues.push({ path: spec.start === undefined ? 'start' : 'end', message: 'a one-off window needs both start and end' });
  if (spec.start && spec.end && Date.parse(spec.end) <= Date.parse(spec.start)) issues.push({ path: 'end', message: 'end must be after start' });
  if (spec.weekly) {
    spec.weekly.days.forEach((d, i) => {
      if (dayIndex(d) < 0) issues.push({ path: `weekly.days.${i}`, message: `unknown day "${d}": expected sunday … saturday` });
    });
    if (spec.weekly.start === spec.weekly.end) issues.push({ path: 'weekly.end', message: 'end equals start: the window would be empty' });
  }
  if (spec.cron !== undefined) {
    if (spec.duration === undefined || (parseDurationMs(spec.duration) ?? 0) <= 0) issues.push({ path: 'duration', message: 'a cron window needs a duration longer than 0s' });
    try {
      new Cron(spec.cron, { timezone: isValidTimeZone(spec.timeZone) ? spec.timeZone : 'UTC', paused: true });
    } catch (err) {
      issues.push({ path: 'cron', message: `invalid cron expression: ${(err as Error).message}` });
    }
  } else if (spec.duration !== undefined) {
    issues.push({ path: 'duration', message: 'duration applies to cron windows only' });
  }
  if (!isValidTimeZone(spec.timeZone)) issues.push({ path: 'timeZone', message: `unknown time zone "${spec.timeZone}"` });
  if (spec.matchers.length === 0 && spec.hosts.length === 0 && spec.checks.length === 0) {
    issues.push({ path: 'matchers', message: 'select the alerts: give matchers, hosts or checks (use matchers: [\'alertname=~".+"\'] for everything)' });
  }
  const why = checkMatchers(spec.matchers);
  if (why) issues.push({ path: 'matchers', message: why });
  return issues;
}

export const maintenanceWindowKind: KindDefinition<MaintenanceWindowSpec> = {
  kind: 'MaintenanceWindow',
  description: 'Planned work: one-off or recurring (weekly or cron, in a time zone); matching alerts are recorded but not notified',
  specSchema: maintenanceWindowSpecSchema as z.ZodType<MaintenanceWindowSpec>,
  validate: validateMaintenanceWindowSpec,
};

/** The host part of an `instance` label ("web-1:9100" → "web-1", "[::1]:80" → "::1"). */
export function hostOf(labels: Labels): string | undefined {
  if (labels.host) return labels.host;
  const inst = labels.instance;
  if (!inst) return undefined;
  const v6 = /^\[(.*)\](?::\d+)?$/.exec(inst);
  if (v6) return v6[1];
  return inst.replace(/:\d+$/, '');
}

export class MaintenanceWindow {
  private readonly match: LabelPredicate;
  private readonly cron?: Cron;
  private readonly durationMs: number;

  constructor(
    readonly name: string,
    readonly spec: MaintenanceWindowSpec,
  ) {
    this.match = compileMatchers(parseMatcherList(spec.matchers));
    this.durationMs = spec.duration ? (parseDurationMs(spec.duration) ?? 0) : 0;
    if (spec.cron !== undefined) this.cron = new Cron(spec.cron, { timezone: spec.timeZone, paused: true });
  }

  /** Whether the window is open at ms. */
  isActive(ms: number): boolean {
    const s = this.spec;
    if (s.start !== undefined && s.end !== undefined) return ms >= Date.parse(s.start) && ms < Date.parse(s.end);
    if (s.weekly) {
      const days = s.weekly.days.map(dayIndex);
      const start = hhmm(s.weekly.start);
      const end = hhmm(s.weekly.end);
      const p = zonedParts(ms, s.timeZone);
      const m = p.hour * 60 + p.minute;
      if (end > start) return days.includes(p.weekday) && m >= start && m < end;
      // Past midnight: open from start on a listed day, or before end on the day after one.
      return (days.includes(p.weekday) && m >= start) || (days.includes((p.weekday + 6) % 7) && m < end);
    }
    if (this.cron) {
      // The window is open when a start fell in (ms - duration, ms].
      const next = this.cron.nextRun(new Date(ms - this.durationMs));
      return next !== null && next.getTime() <= ms;
    }
    return false;
  }

  /** Whether the window selects an alert with these labels. */
  matches(labels: Labels): boolean {
    if (!this.match(labels)) return false;
    if (this.spec.hosts.length > 0) {
      const h = hostOf(labels);
      if (h === undefined || !this.spec.hosts.includes(h)) return false;
    }
    if (this.spec.checks.length > 0 && !this.spec.checks.includes(labels.check ?? '')) return false;
    return true;
  }

  mutes(labels: Labels, ms: number): boolean {
    return this.isActive(ms) && this.matches(labels);
  }
}
