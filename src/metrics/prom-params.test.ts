import { describe, expect, it } from 'vitest';
import { PromBadDataError } from './errors.js';
import { MAX_TIME_MS, MAX_TIME_TEXT, MIN_TIME_MS, MIN_TIME_TEXT, durationParam, limitParam, matchersParam, parseDurationParamMs, parseTimestampMs, requiredTimeParam, timeParam } from './prom-params.js';

describe('parseTimestampMs (Prometheus parseTime)', () => {
  it('reads unix seconds with decimals, rounding to the millisecond as Prometheus does', () => {
    expect(parseTimestampMs('1767361020')).toBe(1767361020000);
    expect(parseTimestampMs('1767361020.123')).toBe(1767361020123);
    expect(parseTimestampMs('1767361020.1234')).toBe(1767361020123);
    expect(parseTimestampMs('1767361020.9996')).toBe(1767361021000);
    expect(parseTimestampMs('1.5e9')).toBe(1_500_000_000_000);
    expect(parseTimestampMs('-1.5')).toBe(-1500);
  });

  it('reads RFC 3339 with offsets and nanoseconds, truncating below the millisecond', () => {
    expect(parseTimestampMs('2026-01-02T13:37:00Z')).toBe(Date.UTC(2026, 0, 2, 13, 37, 0));
    expect(parseTimestampMs('2026-01-02T13:37:00.123456789Z')).toBe(Date.UTC(2026, 0, 2, 13, 37, 0, 123));
    expect(parseTimestampMs('2026-01-02T15:37:00+02:00')).toBe(Date.UTC(2026, 0, 2, 13, 37, 0));
    expect(parseTimestampMs('2026-01-02T10:07:00.5-03:30')).toBe(Date.UTC(2026, 0, 2, 13, 37, 0, 500));
  });

  it("accepts Go's formatted minTime and maxTime that clients send for 'all time'", () => {
    expect(parseTimestampMs(MIN_TIME_TEXT)).toBe(MIN_TIME_MS);
    expect(parseTimestampMs(MAX_TIME_TEXT)).toBe(MAX_TIME_MS);
  });

  it('refuses other text', () => {
    for (const bad of ['', 'now', '2026-01-02', '2026-13-02T00:00:00Z', '12:00', 'NaN', 'Inf', '1,5']) expect(parseTimestampMs(bad), bad).toBeUndefined();
  });
});

describe('time parameters', () => {
  it('falls back when absent and names the parameter when malformed', () => {
    expect(timeParam('time', undefined, 42)).toBe(42);
    expect(timeParam('time', '', 42)).toBe(42);
    expect(() => timeParam('time', 'yesterday', 0)).toThrow('invalid parameter "time": cannot parse "yesterday" to a valid timestamp');
    expect(() => requiredTimeParam('start', undefined)).toThrow('invalid parameter "start": cannot parse "" to a valid timestamp');
    const err = (() => {
      try {
        requiredTimeParam('end', 'x');
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(PromBadDataError);
    expect((err as PromBadDataError).issues[0]!.path).toBe('end');
  });
});

describe('durations (Prometheus parseDuration)', () => {
  it('reads float seconds and Prometheus duration text', () => {
    expect(parseDurationParamMs('15')).toBe(15_000);
    expect(parseDurationParamMs('0.5')).toBe(500);
    expect(parseDurationParamMs('1m30s')).toBe(90_000);
    expect(parseDurationParamMs('1h')).toBe(3_600_000);
    expect(parseDurationParamMs('250ms')).toBe(250);
    expect(parseDurationParamMs('0')).toBe(0);
    expect(parseDurationParamMs('-5')).toBe(-5000);
  });
  it('refuses malformed and overflowing durations with the parameter named', () => {
    expect(parseDurationParamMs('1e12')).toBeUndefined();
    expect(parseDurationParamMs('5 minutes')).toBeUndefined();
    expect(parseDurationParamMs('30s1m')).toBeUndefined();
    expect(() => durationParam('step', 'abc')).toThrow('invalid parameter "step": cannot parse "abc" to a valid duration');
    expect(() => durationParam('step', undefined)).toThrow('invalid parameter "step"');
  });
});

describe('limit', () => {
  it('treats 0 and absence as no limit and refuses non-integers', () => {
    expect(limitParam('limit', undefined)).toBeUndefined();
    expect(limitParam('limit', '0')).toBeUndefined();
    expect(limitParam('limit', '25')).toBe(25);
    expect(() => limitParam('limit', '-1')).toThrow('invalid parameter "limit"');
    expect(() => limitParam('limit', '2.5')).toThrow('invalid parameter "limit"');
  });
});

describe('match[]', () => {
  it('parses series selectors into matchers', () => {
    const [a, b] = matchersParam(['up{job="api"}', '{__name__=~"http_.*",code!="200"}']);
    expect(a).toEqual(expect.arrayContaining([{ name: '__name__', op: '=', value: 'up' }, { name: 'job', op: '=', value: 'api' }]));
    expect(b).toEqual(expect.arrayContaining([{ name: 'code', op: '!=', value: '200' }]));
  });
  it('refuses selectors that match everything, expressions and syntax errors', () => {
    expect(() => matchersParam(['{job=~".*"}'])).toThrow('at least one non-empty matcher');
    expect(() => matchersParam(['{job=""}'])).toThrow(PromBadDataError);
    expect(() => matchersParam(['rate(up[5m])'])).toThrow('is not a series selector');
    expect(() => matchersParam(['up offset 5m'])).toThrow('is not a series selector');
    expect(() => matchersParam(['up{'])).toThrow('invalid parameter "match[]"');
  });
  it('compiles RE2 syntax the way queries do when judging emptiness', () => {
    expect(() => matchersParam(['{job=~"(?i)API"}'])).not.toThrow();
  });
});
