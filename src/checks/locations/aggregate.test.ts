import { describe, expect, it } from 'vitest';
import { initialState } from '../state-machine.js';
import { aggregateLocations, nextOverallState, type LocationStatus } from './aggregate.js';
import { assignmentsFor, checkLocations, isDistributed, minFailingLocations } from './assignment.js';

const loc = (location: string, status: LocationStatus['status'], hard = true, message: string | null = null): LocationStatus => ({ location, status, hard, attempt: status === 'ok' ? 0 : 1, flapping: false, flapPercent: 0, message });

describe('k of n aggregate', () => {
  it('is bad only when at least k locations are hard bad, and names them', () => {
    const locs = [loc('local', 'ok'), loc('tokyo', 'critical', true, 'connection refused'), loc('osaka', 'ok')];
    const one = aggregateLocations(locs, 1);
    expect(one).toMatchObject({ status: 'critical', hard: true, failing: ['tokyo'], k: 1, n: 3 });
    expect(one.message).toContain('tokyo CRITICAL: connection refused');
    const two = aggregateLocations(locs, 2);
    expect(two).toMatchObject({ status: 'ok', hard: true, failing: ['tokyo'] });
    expect(two.message).toMatch(/^OK: 1 of 3 locations failing \(bad when 2 of 3 fail\)/);
    expect(aggregateLocations([loc('local', 'warning'), loc('tokyo', 'critical'), loc('osaka', 'ok')], 2)).toMatchObject({ status: 'critical', hard: true, failing: ['local', 'tokyo'] });
  });

  it('is soft while the k-th failing location is still retrying', () => {
    const agg = aggregateLocations([loc('tokyo', 'critical', true), loc('osaka', 'critical', false)], 2);
    expect(agg).toMatchObject({ status: 'critical', hard: false });
  });

  it('is UNKNOWN when a silent or unknown location decides the outcome, OK when it cannot', () => {
    const silent = loc('osaka', 'unknown', true, 'probe osaka silent since 2026-01-01T00:00:00.000Z');
    // 2 of 2 needed, tokyo fails, osaka silent: osaka decides → UNKNOWN, with the reason.
    const a = aggregateLocations([loc('tokyo', 'critical'), silent], 2);
    expect(a).toMatchObject({ status: 'unknown', hard: true, failing: ['tokyo'], unknown: ['osaka'] });
    expect(a.message).toContain('probe osaka silent since');
    // 1 of 2 needed: tokyo alone already decides.
    expect(aggregateLocations([loc('tokyo', 'critical'), silent], 1)).toMatchObject({ status: 'critical', hard: true });
    // 2 of 2 needed and tokyo is OK: even a failing osaka could not make it bad.
    expect(aggregateLocations([loc('tokyo', 'ok'), silent], 2)).toMatchObject({ status: 'ok', unknown: ['osaka'] });
    // 1 of 2 needed, tokyo OK, osaka silent: osaka could be failing → UNKNOWN.
    expect(aggregateLocations([loc('tokyo', 'ok'), silent], 1)).toMatchObject({ status: 'unknown', hard: true });
  });

  it('is PENDING while the deciding locations have not reported yet', () => {
    expect(aggregateLocations([loc('tokyo', 'pending'), loc('osaka', 'pending')], 2).status).toBe('pending');
    expect(aggregateLocations([loc('tokyo', 'critical'), loc('osaka', 'pending')], 2).status).toBe('pending');
    expect(aggregateLocations([loc('tokyo', 'critical'), loc('osaka', 'pending')], 1).status).toBe('critical');
  });

  it('turns the aggregate into an overall state with transitions like one location has', () => {
    let s = initialState();
    const step = (locs: LocationStatus[], k: number, at: number) => {
      const o = nextOverallState(s, aggregateLocations(locs, k), at);
      s = o.state;
      return o.transition?.kind ?? null;
    };
    expect(step([loc('a', 'pending'), loc('b', 'pending')], 2, 1)).toBeNull();
    expect(step([loc('a', 'ok'), loc('b', 'ok')], 2, 2)).toBe('hard');
    expect(step([loc('a', 'critical'), loc('b', 'ok')], 2, 3)).toBeNull();
    expect(step([loc('a', 'critical'), loc('b', 'critical', false)], 2, 4)).toBe('soft');
    expect(s).toMatchObject({ status: 'critical', hard: false, since: 4, hardSince: null });
    expect(step([loc('a', 'critical'), loc('b', 'critical')], 2, 5)).toBe('hard');
    expect(s).toMatchObject({ status: 'critical', hard: true, since: 4, hardSince: 5 });
    expect(step([loc('a', 'critical'), loc('b', 'critical')], 2, 6)).toBeNull();
    expect(step([loc('a', 'ok'), loc('b', 'critical')], 2, 7)).toBe('recovery');
    expect(s).toMatchObject({ status: 'ok', since: 7 });
  });
});

describe('location assignment', () => {
  const spec = (extra: Record<string, unknown>) => ({ type: 'tcp', interval: '1s', timeout: '500ms', attempts: 1, severity: 'critical', disabled: false, ...extra });

  it('defaults to the server, keeps heartbeats on the server, and bounds k to 1..n', () => {
    expect(checkLocations(spec({}))).toEqual(['local']);
    expect(isDistributed(spec({}))).toBe(false);
    expect(isDistributed(spec({ locations: ['local'] }))).toBe(false);
    expect(checkLocations(spec({ locations: ['tokyo', 'local', 'tokyo'] }))).toEqual(['tokyo', 'local']);
    expect(checkLocations(spec({ type: 'heartbeat', locations: ['tokyo'] }))).toEqual(['local']);
    expect(minFailingLocations(spec({ locations: ['local', 'tokyo', 'osaka'] }))).toBe(3);
    expect(minFailingLocations(spec({ locations: ['local', 'tokyo', 'osaka'], minFailingLocations: 2 }))).toBe(2);
    expect(minFailingLocations(spec({ locations: ['tokyo'], minFailingLocations: 5 }))).toBe(1);
    expect(checkLocations(spec({ locations: ['tokyo'] }), 'dc1')).toEqual(['tokyo']);
  });

  it('gives a probe the enabled checks that name its location, never the server its own', () => {
    const checks = [
      { name: 'b', labels: {}, spec: spec({ locations: ['tokyo', 'osaka'] }) },
      { name: 'a', labels: {}, spec: spec({ locations: ['local', 'tokyo'] }) },
      { name: 'off', labels: {}, spec: spec({ locations: ['tokyo'], disabled: true }) },
      { name: 'here', labels: {}, spec: spec({}) },
      { name: 'beat', labels: {}, spec: spec({ type: 'heartbeat', locations: ['tokyo'] }) },
    ];
    expect(assignmentsFor('tokyo', checks).map((c) => c.name)).toEqual(['a', 'b']);
    expect(assignmentsFor('osaka', checks).map((c) => c.name)).toEqual(['b']);
    expect(assignmentsFor('local', checks)).toEqual([]);
  });
});
