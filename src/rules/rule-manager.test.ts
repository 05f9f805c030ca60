import { describe, expect, it } from 'vitest';
import { alertRuleSpecSchema, type AlertRuleInput } from './alert-rule-kind.js';
import type { PostableAlert } from './alert-types.js';
import { FakeClock } from '../lib/clock.js';
import type { QueryFunc, QuerySample } from './query-func.js';
import { RuleManager, type RoundReport } from './rule-manager.js';

const MIN = 60_000;
const doc = (name: string, spec: AlertRuleInput) => ({ name, spec: alertRuleSpecSchema.parse(spec) });

function world() {
  const answers = new Map<string, Omit<QuerySample, 't'>[]>();
  const query: QueryFunc = async (expr, t) => (answers.get(expr) ?? []).map((s) => ({ ...s, t }));
  const sent: { at: number; alerts: PostableAlert[] }[] = [];
  const rounds: RoundReport[] = [];
  const clock = new FakeClock();
  const m = new RuleManager({ query, clock, sink: (alerts, cx) => void sent.push({ at: cx.evaluatedAt, alerts }), onRound: (r) => rounds.push(r) });
  return { answers, sent, rounds, clock, m };
}

describe('RuleManager', () => {
  it('evaluates each group on its interval with the injected clock and reports each round', async () => {
    const w = world();
    w.m.setRules([doc('fast', { group: 'g1', interval: '30s', expr: 'a' }), doc('slow', { group: 'g2', expr: 'b' })]);
    w.answers.set('a', [{ metric: { x: '1' }, value: 1 }]);
    w.m.start();
    await w.clock.advance(2 * MIN);
    await w.m.stop();
    const byGroup = (g: string): number[] => w.rounds.filter((r) => r.group === g).map((r) => r.evaluatedAt - w.rounds[0]!.evaluatedAt);
    expect(byGroup('g1')).toEqual([0, 30_000, 60_000, 90_000, 120_000]);
    expect(byGroup('g2')).toEqual([0, 60_000, 120_000]); // default interval 1m
    const r = w.rounds.find((x) => x.group === 'g1')!;
    expect(r).toMatchObject({ rules: 1, failedRules: 0, samples: 1, firing: 1 });
    expect(r.cpuUserMs).toBeGreaterThanOrEqual(0);
    expect(w.m.listGroups().map((g) => [g.name, g.intervalMs])).toEqual([['g1', 30_000], ['g2', 60_000]]);
  });

  it('sends firing alerts every round and a resolved alert once, with endsAt', async () => {
    const w = world();
    w.m.setRules([doc('r', { alert: 'A', expr: 'a' })]);
    w.answers.set('a', [{ metric: { x: '1' }, value: 1 }]);
    const t0 = w.clock.now();
    await w.m.evaluateAll(t0);
    await w.m.evaluateAll(t0 + MIN);
    w.answers.set('a', []);
    await w.m.evaluateAll(t0 + 2 * MIN);
    await w.m.evaluateAll(t0 + 3 * MIN);
    expect(w.sent.map((s) => [s.at - t0, s.alerts.map((a) => (a.endsAt === undefined ? 'firing' : `resolved@${a.endsAt - t0}`))])).toEqual([
      [0, ['firing']],
      [MIN, ['firing']],
      [2 * MIN, [`resolved@${2 * MIN}`]],
    ]);
    expect(w.sent[0]!.alerts[0]!.startsAt).toBe(t0);
  });

  it('suppresses alerts whose dependsOn parent fires, matching with templated matchers', async () => {
    const w = world();
    w.m.setRules([
      doc('router', { alert: 'RouterDown', expr: 'router_down' }),
      doc('svc', { alert: 'ServiceDown', expr: 'svc_down', dependsOn: ['{alertname="RouterDown", site="{{ $labels.site }}"}'] }),
    ]);
    w.answers.set('svc_down', [
      { metric: { site: 'tokyo', svc: 'shop' }, value: 1 },
      { metric: { site: 'osaka', svc: 'shop' }, value: 1 },
    ]);
    const t0 = w.clock.now();
    await w.m.evaluateAll(t0);
    expect(w.sent.at(-1)!.alerts.every((a) => a.suppressedBy === undefined)).toBe(true);
    w.answers.set('router_down', [{ metric: { site: 'tokyo' }, value: 1 }]);
    await w.m.evaluateAll(t0 + MIN);
    const router = w.m.alerts().find((a) => a.labels.alertname === 'RouterDown')!;
    const svc = w.m.alerts().filter((a) => a.labels.alertname === 'ServiceDown');
    expect(svc.find((a) => a.labels.site === 'tokyo')!.suppressedBy).toEqual([router.fingerprint]);
    expect(svc.find((a) => a.labels.site === 'osaka')!.suppressedBy).toBeUndefined();
    const posted = w.sent.at(-1)!.alerts.find((a) => a.labels.site === 'tokyo' && a.labels.alertname === 'ServiceDown')!;
    expect(posted.suppressedBy).toEqual([router.fingerprint]);
    // The parent recovers: the child is no longer suppressed.
    w.answers.set('router_down', []);
    await w.m.evaluateAll(t0 + 2 * MIN);
    expect(w.m.alerts().find((a) => a.labels.site === 'tokyo' && a.labels.alertname === 'ServiceDown')!.suppressedBy).toBeUndefined();
  });

  it('exposes ALERTS / ALERTS_FOR_STATE and keeps pending state across a reload', async () => {
    const w = world();
    w.m.setRules([doc('r', { alert: 'A', expr: 'a', for: '5m' })]);
    w.answers.set('a', [{ metric: { x: '1' }, value: 1 }]);
    const t0 = w.clock.now();
    await w.m.evaluateAll(t0);
    expect(w.m.alertSeries()).toEqual([
      { labels: { __name__: 'ALERTS', alertname: 'A', x: '1', alertstate: 'pending' }, value: 1 },
      { labels: { __name__: 'ALERTS_FOR_STATE', alertname: 'A', x: '1' }, value: t0 / 1000 },
    ]);
    w.m.setRules([doc('r', { alert: 'A', expr: 'a', for: '5m', annotations: { summary: 'changed' } })]);
    await w.m.evaluateAll(t0 + 5 * MIN);
    expect(w.m.alerts()[0]).toMatchObject({ state: 'firing', activeAt: t0 });
    // A restart restores from the snapshot.
    const saved = w.m.snapshot();
    const w2 = world();
    w2.m.setRules([doc('r', { alert: 'A', expr: 'a', for: '5m' })]);
    w2.m.restore(saved);
    expect(w2.m.alerts()[0]).toMatchObject({ state: 'firing', activeAt: t0 });
  });

  it('evaluates check-state rules on demand when checks change', async () => {
    const clock = new FakeClock();
    let critical = false;
    const sent: PostableAlert[] = [];
    const m = new RuleManager({
      query: async () => [],
      clock,
      checkStates: { checkStates: () => [{ check: 'nginx', labels: {}, locations: [{ location: 'local', status: critical ? 'critical' : 'ok', hard: true }] }] },
      sink: (a) => void sent.push(...a),
    });
    m.setRules([doc('down', { alert: 'CheckDown', checkState: {} }), doc('other', { expr: 'x' })]);
    critical = true;
    const reports = await m.evaluateCheckStateRules();
    expect(reports.map((r) => r.rules)).toEqual([1]);
    expect(sent.map((a) => a.labels)).toEqual([{ alertname: 'CheckDown', check: 'nginx', locations: 'local' }]);
  });
});
