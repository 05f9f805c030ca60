import { describe, expect, it } from 'vitest';
import { HeartbeatBook, heartbeatCheckSpecSchema } from '../sources/checks/heartbeat/index.js';
import { heartbeatRunner } from './builtin-runners.js';
import { CheckService, type CheckStateEvent } from './check-service.js';
import { FakeClock } from '../lib/clock.js';
import { MemoryTelemetry } from './test-support/memory-telemetry.js';
import { FakeProbe, fakeSpec } from './test-support/fake-runners.js';

function setup(telemetry = new MemoryTelemetry(), clock = new FakeClock()) {
  const probe = new FakeProbe(clock);
  const book = new HeartbeatBook();
  const evidenceCalls: string[] = [];
  const service = new CheckService({
    telemetry,
    runners: new Map([
      ['fake', probe],
      ['heartbeat', heartbeatRunner(book)],
    ]),
    heartbeats: book,
    clock,
    captureEvidence: async (host) => {
      evidenceCalls.push(host);
      return { ping: `PING ${host}: 100% packet loss`, traceroute: `1?: [LOCALHOST] ${host}` };
    },
  });
  const events: CheckStateEvent[] = [];
  service.subscribe((e) => events.push(e));
  return { service, probe, clock, telemetry, events, evidenceCalls };
}

describe('check service', () => {
  it('turns results into soft then hard states, with events, evidence on turning bad, stored rows and series', async () => {
    const { service, probe, clock, telemetry, events, evidenceCalls } = setup();
    service.upsert({ name: 'shop', labels: { env: 'prod' }, spec: fakeSpec({ host: '127.0.0.1', interval: '10s', timeout: '2s', attempts: 3 }) });
    service.start();
    await clock.advance(10_000);
    expect(service.state('shop')).toMatchObject({ status: 'ok', hard: true });
    probe.behaviour.set('shop', { status: 'critical' });
    await clock.advance(30_000);
    await service.flush();
    const view = service.state('shop')!;
    expect(view).toMatchObject({ status: 'critical', hard: true, attempt: 3, attempts: 3, message: 'fake critical', target: '127.0.0.1' });
    expect(events.map((e) => `${e.kind}:${e.current.status}:${e.current.hard ? 'hard' : 'soft'}`)).toEqual(['hard:ok:hard', 'soft:critical:soft', 'hard:critical:hard']);
    expect(events[1]).toMatchObject({ check: 'shop', labels: { env: 'prod' }, severity: 'critical', previous: { status: 'ok', hard: true } });
    // Evidence once, when it turned bad, and kept with that result.
    expect(evidenceCalls).toEqual(['127.0.0.1']);
    const rows = await telemetry.selectCheckResults({ check: 'shop', startMs: 0, endMs: clock.now(), order: 'asc' });
    expect(rows.map((r) => r.status)).toEqual(['ok', 'critical', 'critical', 'critical']);
    expect(rows[1]!.evidence).toMatchObject({ ping: 'PING 127.0.0.1: 100% packet loss', state: { status: 'critical', hard: false, attempt: 1 } });
    expect(rows[2]!.evidence.ping).toBeUndefined();
    expect(rows[3]!.evidence.state).toMatchObject({ status: 'critical', hard: true, attempt: 3 });
    expect(telemetry.series('kansoku_check_up', 'shop')).toEqual([1, 0, 0, 0]);
    expect(telemetry.series('kansoku_check_status', 'shop')).toEqual([0, 2, 2, 2]);
    expect(telemetry.series('kansoku_check_answer_seconds', 'shop')).toEqual([0.012, 0.012, 0.012, 0.012]);
    expect(telemetry.samples.find((s) => s.labels.__name__ === 'kansoku_check_up')!.labels).toEqual({ __name__: 'kansoku_check_up', check: 'shop', location: 'local' });
    await service.stop();
  });

  it('rebuilds the state from stored results after a restart', async () => {
    const first = setup();
    first.service.upsert({ name: 'api', labels: {}, spec: fakeSpec({ interval: '10s', timeout: '2s', attempts: 2 }) });
    first.service.start();
    await first.clock.advance(10_000);
    first.probe.behaviour.set('api', { status: 'warning' });
    await first.clock.advance(20_000);
    await first.service.stop();
    const before = first.service.state('api')!;
    expect(before).toMatchObject({ status: 'warning', hard: true });

    const second = setup(first.telemetry, first.clock);
    second.service.upsert({ name: 'api', labels: {}, spec: fakeSpec({ interval: '10s', timeout: '2s', attempts: 2 }) });
    expect(second.service.state('api')!.status).toBe('pending');
    second.service.start();
    await second.service.restored();
    expect(second.service.state('api')).toMatchObject({ status: 'warning', hard: true, since: before.since, hardSince: before.hardSince, message: 'fake warning' });
    // Recovery is one event, and no evidence is captured for it.
    await second.clock.advance(10_000);
    expect(second.events.map((e) => e.kind)).toEqual(['recovery']);
    expect(second.evidenceCalls).toEqual([]);
    await second.service.stop();
  });

  it('a heartbeat goes CRITICAL when a beat is later than period + grace, and OK again on the next beat', async () => {
    const { service, clock, events } = setup();
    const spec = heartbeatCheckSpecSchema.parse({ type: 'heartbeat', period: '10s', grace: '5s', interval: '1s', timeout: '500ms', attempts: 1 });
    service.upsert({ name: 'nightly', labels: {}, spec });
    service.start();
    await clock.advance(1_000);
    expect(service.state('nightly')!.message).toMatch(/^waiting for the first beat/);
    const beat = await service.beat('nightly', 'success', 'backup done');
    expect(beat!.state).toMatchObject({ status: 'ok' });
    await clock.advance(14_000);
    expect(service.state('nightly')!.status).toBe('ok');
    await clock.advance(2_000);
    const late = service.state('nightly')!;
    expect(late).toMatchObject({ status: 'critical', hard: true });
    expect(late.message).toMatch(/last beat at .*; expected every 10s \(\+5s grace\), late by/);
    const failed = await service.beat('nightly', 'fail', 'disk full');
    expect(failed!.result.message).toMatch(/job reported failure .*: disk full/);
    const again = await service.beat('nightly', 'success');
    expect(again!.state.status).toBe('ok');
    expect(events.map((e) => `${e.kind}:${e.current.status}`)).toEqual(['hard:ok', 'hard:critical', 'recovery:ok']);
    expect(await service.beat('unknown-check', 'success')).toBeUndefined();
    await service.stop();
  });

  it('keeps results when the telemetry store fails for a while, and writes them once it is back', async () => {
    const { service, clock, telemetry } = setup();
    telemetry.failNextAppends = 1;
    service.upsert({ name: 'x', labels: {}, spec: fakeSpec({ interval: '10s', timeout: '2s' }) });
    service.start();
    await clock.advance(10_000);
    await service.flush();
    expect(telemetry.results.length).toBe(1);
    await service.stop();
  });
});
