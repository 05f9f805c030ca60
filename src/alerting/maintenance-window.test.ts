import { describe, expect, it } from 'vitest';
import { maintenanceWindowKind, maintenanceWindowSpecSchema, MaintenanceWindow } from './maintenance-window.js';
import { TimeInterval, timeIntervalSpecSchema } from './time-interval.js';

const mw = (spec: unknown): MaintenanceWindow => new MaintenanceWindow('mw', maintenanceWindowSpecSchema.parse(spec));
const at = (iso: string): number => Date.parse(iso);

describe('MaintenanceWindow', () => {
  // Sunday 02:00–04:00 in Tokyo (UTC+9, no DST) is Saturday 17:00–19:00 UTC.
  const weekly = mw({ matchers: ['service="shop"'], weekly: { days: ['sunday'], start: '02:00', end: '04:00' }, timeZone: 'Asia/Tokyo' });
  const cron = mw({ matchers: ['service="shop"'], cron: '0 2 * * 0', duration: '2h', timeZone: 'Asia/Tokyo' });

  it('opens Sundays 02:00–04:00 Asia/Tokyo, which crosses the UTC date boundary', () => {
    const cases: [string, boolean][] = [
      ['2026-01-10T16:59:59Z', false], // Sat 16:59 UTC = Sun 01:59 JST
      ['2026-01-10T17:00:00Z', true], // Sun 02:00 JST
      ['2026-01-10T18:59:59Z', true],
      ['2026-01-10T19:00:00Z', false], // Sun 04:00 JST: end is exclusive
      ['2026-01-11T17:00:00Z', false], // Sun 17:00 UTC is Monday in Tokyo
      ['2026-07-11T17:30:00Z', true], // summer: Tokyo has no DST, same UTC hours
    ];
    for (const [iso, open] of cases) {
      expect([iso, weekly.isActive(at(iso))]).toEqual([iso, open]);
      expect([iso, cron.isActive(at(iso))]).toEqual([iso, open]);
    }
  });

  it('handles windows past local midnight and one-off windows', () => {
    const late = mw({ hosts: ['db-1'], weekly: { days: ['saturday'], start: '23:00', end: '01:00' }, timeZone: 'Asia/Tokyo' });
    expect(late.isActive(at('2026-01-10T14:30:00Z'))).toBe(true); // Sat 23:30 JST
    expect(late.isActive(at('2026-01-10T15:30:00Z'))).toBe(true); // Sun 00:30 JST
    expect(late.isActive(at('2026-01-10T16:00:00Z'))).toBe(false); // Sun 01:00 JST
    expect(late.isActive(at('2026-01-09T15:30:00Z'))).toBe(false); // Sat 00:30 JST: follows a Friday
    const once = mw({ checks: ['shop-http'], start: '2026-03-01T10:00:00+09:00', end: '2026-03-01T12:00:00+09:00' });
    expect(once.isActive(at('2026-03-01T01:00:00Z'))).toBe(true);
    expect(once.isActive(at('2026-03-01T03:00:00Z'))).toBe(false);
  });

  it('selects alerts by matchers, host (host label or instance) and check', () => {
    expect(weekly.matches({ service: 'shop' })).toBe(true);
    expect(weekly.matches({ service: 'cart' })).toBe(false);
    const host = mw({ hosts: ['db-1'], start: '2026-01-01T00:00:00Z', end: '2026-01-02T00:00:00Z' });
    expect(host.matches({ instance: 'db-1:9100' })).toBe(true);
    expect(host.matches({ host: 'db-1' })).toBe(true);
    expect(host.matches({ instance: 'db-2:9100' })).toBe(false);
    const check = mw({ checks: ['shop-http'], matchers: ['severity!="critical"'], start: '2026-01-01T00:00:00Z', end: '2026-01-02T00:00:00Z' });
    expect(check.matches({ check: 'shop-http', severity: 'warning' })).toBe(true);
    expect(check.matches({ check: 'shop-http', severity: 'critical' })).toBe(false);
  });

  it('refuses incomplete or ambiguous schedules with the reason', () => {
    const v = (s: unknown): string[] => maintenanceWindowKind.validate!(maintenanceWindowSpecSchema.parse(s)).map((i) => `${i.path}: ${i.message}`);
    expect(v({ hosts: ['a'], cron: '0 2 * * 0' })).toEqual(['duration: a cron window needs a duration longer than 0s']);
    expect(v({ hosts: ['a'], cron: 'not a cron', duration: '1h' })[0]).toMatch(/^cron: invalid cron expression/);
    expect(v({ hosts: ['a'], weekly: { days: ['funday'], start: '02:00', end: '04:00' }, timeZone: 'Mars/Olympus' })).toEqual(['weekly.days.0: unknown day "funday": expected sunday … saturday', 'timeZone: unknown time zone "Mars/Olympus"']);
    expect(v({ start: '2026-01-01T00:00:00Z', end: '2026-01-01T00:00:00Z' })).toEqual(['end: end must be after start', expect.stringMatching(/^matchers: select the alerts/)]);
    expect(v({ hosts: ['a'], start: '2026-01-01T00:00:00Z', end: '2026-01-02T00:00:00Z', weekly: { days: ['sun'], start: '01:00', end: '02:00' } })[0]).toMatch(/set exactly one schedule/);
  });
});

describe('TimeInterval (Alertmanager time_intervals)', () => {
  const ti = (s: unknown): TimeInterval => new TimeInterval('t', timeIntervalSpecSchema.parse(s));
  it('matches times, weekdays, days of month (negative from the end), months and years in a zone', () => {
    const office = ti({ intervals: [{ times: [{ startTime: '09:00', endTime: '17:00' }], weekdays: ['monday:friday'], location: 'Asia/Tokyo' }] });
    expect(office.contains(at('2026-01-05T00:30:00Z'))).toBe(true); // Mon 09:30 JST
    expect(office.contains(at('2026-01-04T00:30:00Z'))).toBe(false); // Sun
    expect(office.contains(at('2026-01-05T08:00:00Z'))).toBe(false); // Mon 17:00 JST
    const lastDay = ti({ intervals: [{ daysOfMonth: ['-1'], months: ['february'], years: ['2028'] }] });
    expect(lastDay.contains(at('2028-02-29T12:00:00Z'))).toBe(true);
    expect(lastDay.contains(at('2028-02-28T12:00:00Z'))).toBe(false);
    expect(lastDay.contains(at('2027-02-28T12:00:00Z'))).toBe(false);
  });
});
