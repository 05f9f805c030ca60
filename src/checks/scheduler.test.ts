import { describe, expect, it } from 'vitest';
import { FakeClock } from '../lib/clock.js';
import { CheckScheduler, type CompletedRun } from './scheduler.js';
import { phaseOffsetMs } from './spread.js';
import { FakeProbe, fakeSpec } from './test-support/fake-runners.js';

function setup(opts: { limits?: ConstructorParameters<typeof CheckScheduler>[0]['limits']; retry?: (r: CompletedRun) => boolean } = {}) {
  const clock = new FakeClock(Date.UTC(2026, 0, 1));
  const probe = new FakeProbe(clock);
  const completed: CompletedRun[] = [];
  const lags: number[] = [];
  const counts = new Map<string, number>();
  const scheduler = new CheckScheduler({
    runners: new Map([['fake', probe]]),
    clock,
    hardDeadlineGraceMs: 500,
    ...(opts.limits ? { limits: opts.limits } : {}),
    metrics: { lag: { observe: (s) => lags.push(s) }, runs: { inc: (l) => counts.set(`${l.type}/${l.status}`, (counts.get(`${l.type}/${l.status}`) ?? 0) + 1) } },
    onResult: (r) => {
      completed.push(r);
      return { retry: opts.retry?.(r) ?? false };
    },
  });
  return { clock, probe, scheduler, completed, lags, counts };
}

describe('check scheduler', () => {
  it('runs each check on its own phase of the interval, every interval', async () => {
    const { clock, probe, scheduler, lags } = setup();
    for (const n of ['alpha', 'beta', 'gamma']) scheduler.upsert(n, fakeSpec());
    scheduler.start();
    await clock.advance(35_000);
    for (const n of ['alpha', 'beta', 'gamma']) {
      const starts = probe.startsOf(n);
      expect(starts.length).toBeGreaterThanOrEqual(3);
      for (const s of starts) expect(s % 10_000).toBe(phaseOffsetMs(n, 10_000));
      expect(starts[1]! - starts[0]!).toBe(10_000);
    }
    expect(new Set(['alpha', 'beta', 'gamma'].map((n) => phaseOffsetMs(n, 10_000))).size).toBe(3);
    expect(Math.max(...lags)).toBe(0);
    await scheduler.stop();
  });

  it('abandons a probe that ignores its timeout at the hard deadline with UNKNOWN, and keeps scheduling', async () => {
    const { clock, probe, scheduler, completed, counts } = setup();
    probe.behaviour.set('stuck', { hang: 'ignore-abort' });
    probe.behaviour.set('polite', { hang: 'honour-abort' });
    scheduler.upsert('stuck', fakeSpec({ timeout: '2s' }));
    scheduler.upsert('polite', fakeSpec({ timeout: '2s' }));
    scheduler.upsert('healthy', fakeSpec());
    scheduler.start();
    await clock.advance(30_000);
    const stuck = completed.filter((c) => c.name === 'stuck');
    expect(stuck.length).toBeGreaterThanOrEqual(2);
    expect(stuck[0]!.result).toMatchObject({ status: 'unknown', durationMs: 2500 });
    expect(stuck[0]!.result.message).toContain('did not stop within 2s (timeout) + 500ms');
    const polite = completed.filter((c) => c.name === 'polite');
    expect(polite[0]!.result).toMatchObject({ status: 'critical', message: 'gave up: timed out after 2s', durationMs: 2000 });
    expect(completed.filter((c) => c.name === 'healthy').length).toBeGreaterThanOrEqual(2);
    expect(counts.get('fake/unknown')).toBe(stuck.length);
    await scheduler.stop();
  });

  it('turns a probe that throws into UNKNOWN', async () => {
    const { clock, probe, scheduler, completed } = setup();
    probe.behaviour.set('buggy', { throws: true });
    scheduler.upsert('buggy', fakeSpec());
    scheduler.start();
    await clock.advance(10_000);
    expect(completed[0]!.result).toMatchObject({ status: 'unknown', message: 'the fake probe failed: probe bug' });
    await scheduler.stop();
  });

  it('never runs more than the per-host limit against one host; the others wait and then run, late', async () => {
    const { clock, probe, scheduler, completed, lags } = setup({ limits: { global: 100, perType: 100, perHost: 2 } });
    for (let i = 0; i < 6; i++) {
      probe.behaviour.set(`web-${i}`, { delayMs: 1000 });
      scheduler.upsert(`web-${i}`, fakeSpec({ host: 'shop.example', interval: '60s', timeout: '5s' }));
    }
    probe.behaviour.set('other', { delayMs: 1000 });
    scheduler.upsert('other', fakeSpec({ host: 'db.example', interval: '60s', timeout: '5s' }));
    scheduler.start();
    // Everything due at once is the worst case for the limit.
    const all = ['other', ...Array.from({ length: 6 }, (_, i) => `web-${i}`)].map((n) => scheduler.runNow(n)!);
    await clock.advance(1);
    expect(probe.inFlight).toBe(3);
    expect(scheduler.waiting).toBe(4);
    await clock.advance(5_000);
    await Promise.all(all);
    expect(completed.length).toBe(7);
    expect(probe.maxInFlight).toBe(3);
    expect(scheduler.gate.inFlight()).toBe(0);
    const shop = probe.runs.filter((r) => r.name.startsWith('web-'));
    for (const r of shop) {
      const overlapping = shop.filter((o) => o.startedAt < r.endedAt! && o.endedAt! > r.startedAt);
      expect(overlapping.length).toBeLessThanOrEqual(2);
    }
    expect(lags.length).toBe(0); // manual runs are not scheduling lag
    await scheduler.stop();
  });

  it('enforces the per-type limit', async () => {
    const { clock, probe, scheduler, completed } = setup({ limits: { global: 100, perType: 100, byType: { fake: 1 }, perHost: 100 } });
    for (let i = 0; i < 4; i++) {
      probe.behaviour.set(`c${i}`, { delayMs: 500 });
      scheduler.upsert(`c${i}`, fakeSpec({ interval: '30s' }));
    }
    scheduler.start();
    const all = [0, 1, 2, 3].map((i) => scheduler.runNow(`c${i}`)!);
    await clock.advance(1);
    expect(probe.inFlight).toBe(1);
    await clock.advance(2_000);
    await Promise.all(all);
    expect(completed.length).toBe(4);
    expect(probe.maxInFlight).toBe(1);
    await scheduler.stop();
  });

  it('retries a soft failure at the retry interval, then goes back to the normal phase', async () => {
    let failures = 0;
    const { clock, probe, scheduler } = setup({ retry: (r) => r.result.status !== 'ok' && ++failures < 3 });
    probe.behaviour.set('flaky', { status: 'critical' });
    scheduler.upsert('flaky', fakeSpec({ interval: '60s', retryInterval: '5s', timeout: '2s' }));
    scheduler.start();
    await clock.advance(60_000 + 60_000);
    const starts = probe.startsOf('flaky');
    const offset = phaseOffsetMs('flaky', 60_000);
    expect(starts[0]! % 60_000).toBe(offset);
    expect(starts[1]! - starts[0]!).toBe(5_000);
    expect(starts[2]! - starts[1]!).toBe(5_000);
    // The third failure was hard (no retry): the next run is back on the 60 s phase.
    expect(starts[3]! % 60_000).toBe(offset);
    await scheduler.stop();
  });

  it('follows changes: a new interval takes effect, a disabled or removed check stops running', async () => {
    const { clock, probe, scheduler } = setup();
    scheduler.upsert('a', fakeSpec({ interval: '10s' }));
    scheduler.upsert('b', fakeSpec({ interval: '10s' }));
    scheduler.start();
    await clock.advance(20_000);
    scheduler.upsert('a', fakeSpec({ interval: '2s', timeout: '1s' }));
    scheduler.upsert('b', fakeSpec({ interval: '10s', disabled: true }));
    const before = probe.runs.length;
    const bBefore = probe.startsOf('b').length;
    await clock.advance(10_000);
    expect(probe.startsOf('a').filter((t) => t > clock.now() - 10_000).length).toBeGreaterThanOrEqual(4);
    expect(probe.startsOf('b').length).toBe(bBefore);
    scheduler.remove('a');
    const afterRemove = probe.runs.length;
    await clock.advance(20_000);
    expect(probe.runs.length).toBe(afterRemove);
    expect(afterRemove).toBeGreaterThan(before);
    expect(scheduler.has('a')).toBe(false);
    await scheduler.stop();
  });

  it('runs a check on demand and joins a run already in flight', async () => {
    const { clock, probe, scheduler } = setup();
    probe.behaviour.set('now', { delayMs: 300 });
    scheduler.upsert('now', fakeSpec({ interval: '1h', timeout: '10s' }));
    scheduler.start();
    const first = scheduler.runNow('now')!;
    const joined = scheduler.runNow('now')!;
    await clock.advance(300);
    const [a, b] = await Promise.all([first, joined]);
    expect(a).toBe(b);
    expect(a.status).toBe('ok');
    expect(probe.runs.length).toBe(1);
    expect(scheduler.runNow('missing')).toBeUndefined();
    expect(scheduler.nextRun('now')).toBeGreaterThan(clock.now());
    await scheduler.stop();
  });

  it('stop() cancels hanging runs promptly', async () => {
    const { clock, probe, scheduler } = setup();
    probe.behaviour.set('hang', { hang: 'ignore-abort' });
    scheduler.upsert('hang', fakeSpec({ interval: '10s', timeout: '5s' }));
    scheduler.start();
    await clock.advance(10_000);
    expect(scheduler.isRunning('hang')).toBe(true);
    await scheduler.stop();
    expect(clock.pending).toBe(0);
  });
});

describe('check scheduler: watch: connection', () => {
  class FakeWatcher {
    readonly watched = new Map<string, { target: { host: string; port: number }; onLost: (reason: string) => void }>();
    stopped = false;
    watch(key: string, target: { host: string; port: number }, onLost: (reason: string) => void): void {
      this.watched.set(key, { target, onLost });
    }
    unwatch(key: string): void {
      this.watched.delete(key);
    }
    stop(): void {
      this.stopped = true;
    }
  }

  function setupWatched() {
    const clock = new FakeClock(Date.UTC(2026, 0, 1));
    const probe = new FakeProbe(clock);
    const watcher = new FakeWatcher();
    const completed: CompletedRun[] = [];
    const scheduler = new CheckScheduler({ runners: new Map([['fake', probe]]), clock, watcher, onResult: (r) => void completed.push(r) });
    return { clock, probe, watcher, scheduler, completed };
  }

  it('watches only checks that ask for it, and follows spec changes and removal', async () => {
    const { watcher, scheduler } = setupWatched();
    scheduler.upsert('plain', fakeSpec({ host: 'a.example' }));
    scheduler.upsert('watched', { ...fakeSpec({ host: 'b.example' }), watch: 'connection' });
    expect([...watcher.watched.keys()]).toEqual(['watched']);
    expect(watcher.watched.get('watched')!.target).toEqual({ host: 'b.example', port: 80 });
    scheduler.upsert('watched', { ...fakeSpec({ host: 'b.example' }), watch: 'none' });
    expect(watcher.watched.size).toBe(0);
    scheduler.upsert('watched', { ...fakeSpec({ host: 'b.example' }), watch: 'connection' });
    scheduler.remove('watched');
    expect(watcher.watched.size).toBe(0);
    await scheduler.stop();
    expect(watcher.stopped).toBe(true);
  });

  it('runs a watched check at once when its connection is lost, then keeps its phase', async () => {
    const { clock, probe, watcher, scheduler, completed } = setupWatched();
    scheduler.upsert('web', { ...fakeSpec({ host: 'b.example', interval: '60s', timeout: '5s' }), watch: 'connection' });
    scheduler.start();
    const phase = phaseOffsetMs('web', 60_000);
    await clock.advance(phase + 1000);
    expect(probe.startsOf('web')).toHaveLength(1);
    const lostAt = clock.now() + 20_000;
    await clock.advance(20_000);
    watcher.watched.get('web')!.onLost('refused');
    await clock.advance(100);
    const starts = probe.startsOf('web');
    expect(starts).toHaveLength(2);
    expect(starts[1]).toBe(lostAt);
    expect(completed[1]!.trigger).toBe('watch');
    await clock.advance(60_000);
    const later = probe.startsOf('web');
    expect(later).toHaveLength(3);
    expect(later[2]! % 60_000).toBe(phase % 60_000);
    await scheduler.stop();
  });
});
