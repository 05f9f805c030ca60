import { describe, expect, it } from 'vitest';
import type { CheckStatus } from '../core/check-result.js';
import { applyResult, flapPercent, initialState, persistedState, restoreState, type CheckState, type Transition } from './state-machine.js';

function feed(statuses: CheckStatus[], attempts = 3, start: CheckState = initialState()) {
  let s = start;
  const transitions: (Transition & { at: number })[] = [];
  const flaps: boolean[] = [];
  statuses.forEach((status, i) => {
    const o = applyResult(s, { status, at: 1000 * (i + 1) }, attempts);
    s = o.state;
    if (o.transition) transitions.push({ ...o.transition, at: 1000 * (i + 1) });
    if (o.flappingChanged !== undefined) flaps.push(o.flappingChanged);
  });
  return { state: s, transitions, flaps };
}

describe('check state machine', () => {
  it('goes from pending to a hard OK on the first good result', () => {
    const { state, transitions } = feed(['ok']);
    expect(state).toMatchObject({ status: 'ok', hard: true, attempt: 0, since: 1000, hardSince: 1000 });
    expect(transitions).toEqual([{ kind: 'hard', from: { status: 'pending', hard: true }, to: { status: 'ok', hard: true, attempt: 0 }, at: 1000 }]);
  });

  it('is soft for attempts-1 failures and hard on the attempts-th, with one event each way', () => {
    const { state, transitions } = feed(['ok', 'critical', 'critical', 'critical', 'critical'], 3);
    expect(state).toMatchObject({ status: 'critical', hard: true, attempt: 4, since: 2000, hardSince: 4000 });
    expect(transitions.map((t) => [t.kind, t.to.status, t.to.hard, t.to.attempt, t.at])).toEqual([
      ['hard', 'ok', true, 0, 1000],
      ['soft', 'critical', false, 1, 2000],
      ['hard', 'critical', true, 3, 4000],
    ]);
  });

  it('a soft failure that recovers never becomes hard (a blip), and says so as a recovery from soft', () => {
    const { state, transitions } = feed(['ok', 'critical', 'critical', 'ok'], 3);
    expect(state).toMatchObject({ status: 'ok', hard: true, attempt: 0, since: 4000 });
    expect(transitions.at(-1)).toMatchObject({ kind: 'recovery', from: { status: 'critical', hard: false } });
    expect(transitions.some((t) => t.kind === 'hard' && t.to.status === 'critical')).toBe(false);
  });

  it('attempts: 1 makes the first failure hard', () => {
    const { transitions } = feed(['ok', 'warning'], 1);
    expect(transitions.at(-1)).toMatchObject({ kind: 'hard', to: { status: 'warning', hard: true, attempt: 1 } });
  });

  it('a hard problem that changes severity stays hard and reports the change; the same status again reports nothing', () => {
    const { state, transitions } = feed(['ok', 'warning', 'warning', 'critical', 'critical'], 2);
    expect(transitions.map((t) => `${t.kind}:${t.to.status}`)).toEqual(['hard:ok', 'soft:warning', 'hard:warning', 'hard:critical']);
    expect(state).toMatchObject({ status: 'critical', hard: true, since: 4000, hardSince: 4000 });
  });

  it('a soft problem that changes severity stays soft until the attempts are used up', () => {
    const { transitions } = feed(['ok', 'warning', 'critical', 'unknown'], 3);
    expect(transitions.map((t) => `${t.kind}:${t.to.status}:${t.to.attempt}`)).toEqual(['hard:ok:0', 'soft:warning:1', 'soft:critical:2', 'hard:unknown:3']);
  });

  it('weights newer state changes more (Nagios flap detection)', () => {
    const steady: CheckStatus[] = Array(21).fill('ok');
    expect(flapPercent(steady)).toBe(0);
    const alternating: CheckStatus[] = Array.from({ length: 21 }, (_, i) => (i % 2 ? 'critical' : 'ok'));
    expect(flapPercent(alternating)).toBe(100);
    const oldChange = [...Array(1).fill('critical'), ...Array(20).fill('ok')] as CheckStatus[];
    const newChange = [...Array(20).fill('ok'), 'critical'] as CheckStatus[];
    expect(flapPercent(oldChange)).toBe(4);
    expect(flapPercent(newChange)).toBe(6);
  });

  it('starts flapping above 30 % and stops only below 25 % (hysteresis)', () => {
    const bouncing: CheckStatus[] = Array.from({ length: 12 }, (_, i) => (i % 2 ? 'critical' : 'ok'));
    const { state, flaps } = feed(bouncing, 1);
    expect(state.flapping).toBe(true);
    expect(flaps).toEqual([true]);
    const calm = feed(Array(30).fill('ok') as CheckStatus[], 1, state);
    expect(calm.flaps).toEqual([false]);
    expect(calm.state.flapping).toBe(false);
  });

  it('rebuilds the state from stored rows: the newest row’s recorded state wins, history feeds flapping', () => {
    const live = feed(['ok', 'critical', 'critical', 'critical', 'critical'], 3).state;
    const rows = [
      { status: 'ok' as const, at: 1000 },
      { status: 'critical' as const, at: 2000 },
      { status: 'critical' as const, at: 5000, state: persistedState(live) },
    ];
    const r = restoreState(rows, 3);
    expect(r).toMatchObject({ status: 'critical', hard: true, attempt: 4, since: 2000, hardSince: 4000 });
    expect(r.history).toEqual(['ok', 'critical', 'critical']);
    // Without recorded state, the rows are replayed through the machine.
    expect(restoreState(rows.map(({ status, at }) => ({ status, at })), 3)).toMatchObject({ status: 'critical', hard: false, attempt: 2, since: 2000 });
    expect(restoreState([], 3).status).toBe('pending');
    expect(restoreState([{ status: 'ok', at: 1, state: { status: 'bogus' } }], 3)).toMatchObject({ status: 'ok', hard: true });
  });
});
