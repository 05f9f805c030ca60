import { describe, expect, it } from 'vitest';
import type { CheckResult } from '../../core/check-result.js';
import { CheckService, type CheckStateEvent } from '../check-service.js';
import { FakeClock } from '../../lib/clock.js';
import { MemoryTelemetry } from '../test-support/memory-telemetry.js';
import { FakeProbe, fakeSpec } from '../test-support/fake-runners.js';

function setup(telemetry = new MemoryTelemetry(), clock = new FakeClock()) {
  const probe = new FakeProbe(clock);
  const service = new CheckService({ telemetry, runners: new Map([['fake', probe]]), clock });
  const events: CheckStateEvent[] = [];
  service.subscribe((e) => events.push(e));
  return { service, probe, clock, telemetry, events };
}

const result = (status: CheckResult['status'], startedAt: number, message = `remote ${status}`): CheckResult => ({ status, message, startedAt, durationMs: 5, metrics: [{ name: 'connect_ms', value: 3, unit: 'ms' }] });
const summary = (e: CheckStateEvent) => `${e.kind}:${e.current.status}:${e.current.hard ? 'hard' : 'soft'}@${e.location}`;

describe('checks from several locations', () => {
  it('keeps a state per location, aggregates k of n, and says in events which locations fail', async () => {
    const { service, probe, clock, telemetry, events } = setup();
    service.upsert({ name: 'shop', labels: { env: 'prod' }, spec: fakeSpec({ locations: ['local', 'tokyo', 'osaka'], minFailingLocations: 2, interval: '10s', timeout: '2s', attempts: 1 }) });
    service.start();
    await clock.advance(10_000);
    // The server ran its own share; the probes have not reported yet.
    expect(probe.startsOf('shop')).toHaveLength(1);
    expect(service.state('shop')).toMatchObject({ status: 'pending', minFailingLocations: 2 });
    expect(service.state('shop')!.locations!.map((l) => `${l.location}:${l.status}`)).toEqual(['local:ok', 'tokyo:pending', 'osaka:pending']);

    const t = clock.now();
    expect(await service.acceptResults('tokyo', [{ check: 'shop', runId: 'tokyo-run-1', result: result('ok', t) }])).toEqual({ accepted: 1, duplicates: 0, rejected: [] });
    await service.acceptResults('osaka', [{ check: 'shop', runId: 'osaka-run-1', result: result('ok', t) }]);
    expect(service.state('shop')).toMatchObject({ status: 'ok', hard: true, message: 'OK from 3 of 3 locations' });

    // One location failing is below k = 2: still OK, and the message says where.
    await service.acceptResults('tokyo', [{ check: 'shop', runId: 'tokyo-run-2', result: result('critical', t + 1, 'connection refused') }]);
    expect(service.state('shop')).toMatchObject({ status: 'ok' });
    expect(service.state('shop')!.message).toContain('tokyo CRITICAL: connection refused');
    // A second location failing makes it CRITICAL; the event names both failing locations.
    await service.acceptResults('osaka', [{ check: 'shop', runId: 'osaka-run-2', result: result('critical', t + 2, 'timed out') }]);
    expect(service.state('shop')).toMatchObject({ status: 'critical', hard: true });
    const bad = events.at(-1)!;
    expect(summary(bad)).toBe('hard:critical:hard@osaka');
    expect(bad.locations).toMatchObject({ failing: ['tokyo', 'osaka'], unknown: [], k: 2, n: 3, states: { local: 'ok', tokyo: 'critical', osaka: 'critical' } });
    expect(bad.message).toMatch(/^2 of 3 locations failing \(bad when 2 of 3 fail\)/);

    // Pushing the same run again, or an older one, does not move the state.
    const before = events.length;
    expect(await service.acceptResults('osaka', [{ check: 'shop', runId: 'osaka-run-2', result: result('critical', t + 2) }])).toMatchObject({ accepted: 0, duplicates: 1 });
    expect(await service.acceptResults('osaka', [{ check: 'shop', runId: 'osaka-late-0', result: result('ok', t - 5000) }])).toMatchObject({ accepted: 1 });
    expect(service.state('shop')).toMatchObject({ status: 'critical' });
    expect(events.length).toBe(before);

    // Results that can never be taken are named, not retried.
    const r = await service.acceptResults('nagoya', [{ check: 'shop', runId: 'nagoya-1', result: result('ok', t) }, { check: 'gone', runId: 'gone-1', result: result('ok', t) }]);
    expect(r.rejected.map((x) => x.reason)).toEqual(['Check/shop does not run from location "nagoya" (spec.locations: local, tokyo, osaka)', 'Check/gone does not exist (deleted?)']);
    await expect(service.acceptResults('local', [])).rejects.toThrow(/server's own/);

    // Recovery of one location is enough to bring 2-of-3 back to OK.
    await service.acceptResults('tokyo', [{ check: 'shop', runId: 'tokyo-run-3', result: result('ok', t + 3) }]);
    expect(summary(events.at(-1)!)).toBe('recovery:ok:hard@tokyo');

    await service.flush();
    const rows = await telemetry.selectCheckResults({ check: 'shop', location: 'osaka', startMs: 0, endMs: clock.now() + 60_000, order: 'asc' });
    expect(rows.map((x) => `${x.runId}:${x.status}`)).toEqual(['osaka-late-0:ok', 'osaka-run-1:ok', 'osaka-run-2:critical']);
    expect(rows[2]!.evidence).toMatchObject({ state: { status: 'critical', hard: true }, overall: { status: 'critical', hard: true } });
    expect(telemetry.samples.some((s) => s.labels.location === 'tokyo' && s.labels.__name__ === 'kansoku_check_up')).toBe(true);
    await service.stop();
  });

  it('runs a probe-only check nowhere on the server, and marks a location silent after 3 intervals', async () => {
    const { service, probe, clock, events } = setup();
    service.upsert({ name: 'edge', labels: {}, spec: fakeSpec({ locations: ['tokyo', 'osaka'], minFailingLocations: 1, interval: '10s', timeout: '2s', attempts: 1 }) });
    service.start();
    const start = clock.now();
    await service.acceptResults('tokyo', [{ check: 'edge', runId: 'tokyo-1', result: result('ok', start) }]);
    await service.acceptResults('osaka', [{ check: 'edge', runId: 'osaka-1', result: result('ok', start) }]);
    expect(service.state('edge')).toMatchObject({ status: 'ok' });
    // tokyo keeps reporting every 10 s; osaka stops.
    for (let i = 1; i <= 4; i++) {
      await clock.advance(10_000);
      await service.acceptResults('tokyo', [{ check: 'edge', runId: `tokyo-${i + 1}`, result: result('ok', clock.now()) }]);
    }
    expect(probe.startsOf('edge')).toEqual([]);
    const view = service.state('edge')!;
    const osaka = view.locations!.find((l) => l.location === 'osaka')!;
    expect(osaka).toMatchObject({ status: 'unknown', hard: true, silentSince: start });
    expect(osaka.message).toBe(`probe osaka silent since ${new Date(start).toISOString()}`);
    // 1 of 2 is enough to be bad, and osaka may be failing: the check cannot tell.
    expect(view).toMatchObject({ status: 'unknown', hard: true });
    const silent = events.at(-1)!;
    expect(summary(silent)).toBe('hard:unknown:hard@osaka');
    expect(silent.locations).toMatchObject({ failing: [], unknown: ['osaka'] });
    // It reports again: OK at once.
    await service.acceptResults('osaka', [{ check: 'edge', runId: 'osaka-2', result: result('ok', clock.now()) }]);
    expect(service.state('edge')).toMatchObject({ status: 'ok' });
    expect(service.state('edge')!.locations!.find((l) => l.location === 'osaka')!.silentSince).toBeNull();
    expect(summary(events.at(-1)!)).toBe('recovery:ok:hard@osaka');
    await service.stop();
  });

  it('rebuilds per-location states after a restart, and follows a change of spec.locations', async () => {
    const telemetry = new MemoryTelemetry();
    const clock = new FakeClock();
    const spec = fakeSpec({ locations: ['tokyo', 'osaka'], interval: '10s', timeout: '2s', attempts: 1 });
    const a = setup(telemetry, clock);
    a.service.upsert({ name: 'api', labels: {}, spec });
    a.service.start();
    const t0 = clock.now();
    await a.service.acceptResults('tokyo', [{ check: 'api', runId: 'tokyo-1', result: result('critical', t0) }]);
    await a.service.acceptResults('osaka', [{ check: 'api', runId: 'osaka-1', result: result('critical', t0) }]);
    expect(a.service.state('api')).toMatchObject({ status: 'critical', hard: true, since: t0 });
    await a.service.stop();

    await clock.advance(5000);
    const b = setup(telemetry, clock);
    b.service.upsert({ name: 'api', labels: {}, spec });
    b.service.start();
    await b.service.restored();
    expect(b.service.state('api')).toMatchObject({ status: 'critical', hard: true, since: t0 });
    expect(b.service.state('api')!.locations!.map((l) => `${l.location}:${l.status}`)).toEqual(['tokyo:critical', 'osaka:critical']);
    // The run ids already stored are known: a probe re-sending its buffer changes nothing.
    expect(await b.service.acceptResults('tokyo', [{ check: 'api', runId: 'tokyo-1', result: result('critical', t0) }])).toMatchObject({ duplicates: 1 });

    // osaka leaves the check: only tokyo counts, and its state is the check's.
    b.service.upsert({ name: 'api', labels: {}, spec: { ...spec, locations: ['tokyo'] } });
    expect(b.service.state('api')!.locations!.map((l) => l.location)).toEqual(['tokyo']);
    await b.service.acceptResults('tokyo', [{ check: 'api', runId: 'tokyo-2', result: result('ok', clock.now()) }]);
    expect(b.service.state('api')).toMatchObject({ status: 'ok' });
    expect(summary(b.events.at(-1)!)).toBe('recovery:ok:hard@tokyo');
    await b.service.stop();
  });
});
