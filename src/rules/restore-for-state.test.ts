import { describe, expect, it } from 'vitest';
import { alertRuleSpecSchema, type AlertRuleInput } from './alert-rule-kind.js';
import { FakeClock } from '../lib/clock.js';
import type { QueryFunc } from './query-func.js';
import { restoreForState, type SavedRuleAlert } from './restore-for-state.js';
import { RuleManager } from './rule-manager.js';

const MIN = 60_000;
const doc = (name: string, spec: AlertRuleInput) => ({ name, spec: alertRuleSpecSchema.parse(spec) });
const T0 = 1_800_000_000_000;
const pending = (activeAt: number, lastEvalAt: number): SavedRuleAlert => ({
  fingerprint: 'f',
  labels: { alertname: 'A', x: '1' },
  annotations: {},
  value: 1,
  state: 'pending',
  activeAt,
  seriesKey: 'x\xff1\xff',
  lastEvalAt,
});

describe('restoreForState (Prometheus RestoreForState semantics)', () => {
  const opts = { forGracePeriodMs: MIN, forOutageToleranceMs: 60 * MIN };

  it('keeps the time already spent pending: the downtime does not count', () => {
    // Pending 8 of 10 minutes, down for 5 minutes: 2 minutes remain after the restart.
    const [a] = restoreForState(10 * MIN, [pending(T0, T0 + 8 * MIN)], T0 + 13 * MIN, opts);
    expect(a!.activeAt).toBe(T0);
    expect(a!.forStartedAt).toBe(T0 + 5 * MIN);
    expect(a!.forStartedAt! + 10 * MIN).toBe(T0 + 15 * MIN);
  });

  it('waits at least the grace period when less remained', () => {
    const [a] = restoreForState(10 * MIN, [pending(T0, T0 + 9.5 * MIN)], T0 + 20 * MIN, opts);
    expect(a!.forStartedAt! + 10 * MIN).toBe(T0 + 21 * MIN);
  });

  it('an alert that was due keeps its time and fires at the next evaluation', () => {
    const [a] = restoreForState(10 * MIN, [pending(T0, T0 + 10 * MIN)], T0 + 12 * MIN, opts);
    expect(a!.forStartedAt).toBe(T0);
  });

  it('does not restore pending alerts after an outage longer than the tolerance, nor rules whose for is below the grace period', () => {
    expect(restoreForState(10 * MIN, [pending(T0, T0 + 8 * MIN)], T0 + 8 * MIN + 61 * MIN, opts)).toEqual([]);
    expect(restoreForState(30_000, [pending(T0, T0 + 20_000)], T0 + 40_000, opts)).toEqual([]);
  });

  it('keeps firing alerts with their start and keep_firing_for timer; drops resolved ones', () => {
    const firing: SavedRuleAlert = { ...pending(T0, T0 + 20 * MIN), state: 'firing', firedAt: T0 + 10 * MIN, keepFiringSince: T0 + 19 * MIN };
    const inactive: SavedRuleAlert = { ...pending(T0, T0 + 20 * MIN), fingerprint: 'g', state: 'inactive', resolvedAt: T0 + 20 * MIN };
    const { lastEvalAt, ...expected } = firing;
    expect(lastEvalAt).toBe(T0 + 20 * MIN);
    expect(restoreForState(10 * MIN, [firing, inactive], T0 + 25 * MIN, opts)).toEqual([expected]);
  });
});

describe('RuleManager.restoreForState', () => {
  it('a for: 10m rule pending for 8 minutes before a restart fires 2 minutes after it, not 10', async () => {
    const query: QueryFunc = async (_e, t) => [{ metric: { x: '1' }, value: 1, t }];
    const rules = [doc('r', { alert: 'A', expr: 'up == 0', for: '10m' })];
    const before = new RuleManager({ query, clock: new FakeClock(T0) });
    before.setRules(rules);
    for (let t = T0; t <= T0 + 8 * MIN; t += MIN) await before.evaluateAll(t);
    expect(before.alerts()[0]!.state).toBe('pending');
    const saved = { r: before.alerts().map((a) => ({ ...a, lastEvalAt: before.lastEvaluations().get('r')! })) };

    const restartAt = T0 + 11 * MIN;
    const after = new RuleManager({ query, clock: new FakeClock(restartAt) });
    after.setRules(rules);
    after.restoreForState(saved, restartAt, { forGracePeriodMs: MIN });
    await after.evaluateAll(restartAt);
    await after.evaluateAll(restartAt + MIN);
    expect(after.alerts()[0]).toMatchObject({ state: 'pending', activeAt: T0 });
    await after.evaluateAll(restartAt + 2 * MIN);
    expect(after.alerts()[0]).toMatchObject({ state: 'firing', activeAt: T0, firedAt: restartAt + 2 * MIN });
  });
});
