import { describe, expect, it } from 'vitest';
import { MemorySeriesSource, PromqlEngine } from '../query/promql/index.js';
import { alertRuleSpecSchema, type AlertRuleInput } from './alert-rule-kind.js';
import { AlertingRule } from './alerting-rule.js';
import type { CheckStateSnapshot } from './check-state.js';
import { engineQueryFunc, type QueryFunc, type QuerySample } from './query-func.js';

const T0 = Date.UTC(2026, 0, 1);
const MIN = 60_000;

function rule(spec: AlertRuleInput, name = 'r'): AlertingRule {
  return new AlertingRule(name, alertRuleSpecSchema.parse(spec));
}

/** A query function whose answer the test sets per evaluation. */
function scripted(): { query: QueryFunc; set(expr: string, samples: Omit<QuerySample, 't'>[]): void } {
  const answers = new Map<string, Omit<QuerySample, 't'>[]>();
  return {
    query: async (expr, t) => (answers.get(expr) ?? []).map((s) => ({ ...s, t })),
    set: (expr, samples) => answers.set(expr, samples),
  };
}

describe('AlertingRule state machine (Prometheus semantics)', () => {
  it('goes pending → firing after `for`, then resolved, evaluating real PromQL over stored samples', async () => {
    const src = new MemorySeriesSource();
    // up is 0 from T0+1m to T0+6m, 1 otherwise.
    const samples = Array.from({ length: 12 }, (_x, i) => ({ t: T0 + i * MIN, v: i >= 1 && i <= 6 ? 0 : 1 }));
    src.add({ __name__: 'up', instance: 'web-1:9100', job: 'node' }, samples);
    const query = engineQueryFunc(new PromqlEngine(src));
    const r = rule({ alert: 'InstanceDown', expr: 'up == 0', for: '2m', labels: { severity: 'critical' }, annotations: { summary: '{{ $labels.instance }} down' } });
    const states: string[] = [];
    for (let i = 0; i <= 9; i++) {
      const out = await r.evaluate(T0 + i * MIN, { query });
      expect(out.ok).toBe(true);
      states.push(r.alerts().map((a) => a.state).join(',') || '-');
    }
    // t=1 pending (activeAt 1m), t=3 firing (held 2m), t=7 resolved (up back to 1).
    expect(states).toEqual(['-', 'pending', 'pending', 'firing', 'firing', 'firing', 'firing', 'inactive', 'inactive', 'inactive']);
    const a = r.alerts()[0]!;
    expect(a.labels).toEqual({ alertname: 'InstanceDown', instance: 'web-1:9100', job: 'node', severity: 'critical' });
    expect(a.annotations.summary).toBe('web-1:9100 down');
    expect(a.activeAt).toBe(T0 + MIN);
    expect(a.firedAt).toBe(T0 + 3 * MIN);
    expect(a.resolvedAt).toBe(T0 + 7 * MIN);
    expect(a.fingerprint).toMatch(/^[0-9a-f]{16}$/);
  });

  it('drops a pending alert that clears before `for` without ever firing', async () => {
    const q = scripted();
    const r = rule({ expr: 'x', for: '5m' });
    q.set('x', [{ metric: { a: '1' }, value: 1 }]);
    await r.evaluate(T0, { query: q.query });
    expect(r.alerts()[0]!.state).toBe('pending');
    q.set('x', []);
    await r.evaluate(T0 + MIN, { query: q.query });
    expect(r.alerts()).toEqual([]);
  });

  it('keeps firing for keep_firing_for after the condition clears, and resets when it returns', async () => {
    const q = scripted();
    const r = rule({ expr: 'x', keepFiringFor: '3m' });
    const on = (): void => q.set('x', [{ metric: { a: '1' }, value: 1 }]);
    const off = (): void => q.set('x', []);
    const at = async (m: number): Promise<string> => {
      await r.evaluate(T0 + m * MIN, { query: q.query });
      return r.alerts()[0]?.state ?? '-';
    };
    on();
    expect(await at(0)).toBe('firing'); // for: 0s fires at once
    off();
    expect(await at(1)).toBe('firing'); // cleared at 1m: kept until 1m+3m
    expect(await at(3)).toBe('firing');
    on();
    expect(await at(4)).toBe('firing');
    off();
    expect(await at(5)).toBe('firing'); // keep-firing restarts from 5m
    expect(await at(7)).toBe('firing');
    expect(await at(8)).toBe('inactive');
    expect(r.alerts()[0]!.resolvedAt).toBe(T0 + 8 * MIN);
  });

  it('holds a firing alert until recoverExpr returns its series (threshold hysteresis)', async () => {
    const q = scripted();
    const r = rule({ expr: 'cpu > 90', recoverExpr: 'cpu < 80' });
    const series = { __name__: 'cpu', host: 'db-1' };
    q.set('cpu > 90', [{ metric: series, value: 95 }]);
    await r.evaluate(T0, { query: q.query });
    expect(r.alerts()[0]!.state).toBe('firing');
    q.set('cpu > 90', []); // 85: neither above 90 nor below 80
    await r.evaluate(T0 + MIN, { query: q.query });
    expect(r.alerts()[0]!.state).toBe('firing');
    q.set('cpu < 80', [{ metric: series, value: 70 }]);
    await r.evaluate(T0 + 2 * MIN, { query: q.query });
    expect(r.alerts()[0]!.state).toBe('inactive');
  });

  it('noData: alert raises a NoData alert, keep holds the state, ok resolves', async () => {
    const q = scripted();
    const alerting = rule({ alert: 'Heartbeat', expr: 'hb', noData: 'alert', labels: { severity: 'warning' } });
    await alerting.evaluate(T0, { query: q.query });
    const a = alerting.alerts()[0]!;
    expect(a.state).toBe('firing');
    expect(a.labels).toEqual({ alertname: 'Heartbeat', nodata: 'true', severity: 'warning' });
    expect(a.annotations.summary).toMatch(/returned no data/);

    const keep = rule({ expr: 'hb', noData: 'keep' });
    q.set('hb', [{ metric: { a: '1' }, value: 1 }]);
    await keep.evaluate(T0, { query: q.query });
    q.set('hb', []);
    await keep.evaluate(T0 + MIN, { query: q.query });
    expect(keep.alerts()[0]!.state).toBe('firing');

    const ok = rule({ expr: 'hb' });
    q.set('hb', [{ metric: { a: '1' }, value: 1 }]);
    await ok.evaluate(T0, { query: q.query });
    q.set('hb', []);
    await ok.evaluate(T0 + MIN, { query: q.query });
    expect(ok.alerts()[0]!.state).toBe('inactive');
  });

  it('changes no state on a query error, and refuses duplicate label sets like Prometheus', async () => {
    const r = rule({ expr: 'x', for: '1m' });
    let fail = false;
    const query: QueryFunc = async (_e, t) => {
      if (fail) throw new Error('store unavailable');
      return [{ metric: { a: '1' }, value: 1, t }];
    };
    await r.evaluate(T0, { query });
    fail = true;
    const out = await r.evaluate(T0 + MIN, { query });
    expect(out).toMatchObject({ ok: false, error: 'store unavailable' });
    expect(r.alerts()[0]!.state).toBe('pending');

    const dup = rule({ expr: 'y', labels: { a: 'same' } });
    const q2: QueryFunc = async (_e, t) => [
      { metric: { a: '1' }, value: 1, t },
      { metric: { a: '2' }, value: 1, t },
    ];
    expect((await dup.evaluate(T0, { query: q2 })).error).toBe('vector contains metrics with the same labelset after applying alert labels');
  });

  it('templates labels with $value and removes labels that expand to ""', async () => {
    const q = scripted();
    q.set('x', [{ metric: { __name__: 'disk', mount: '/' }, value: 0.93 }]);
    const r = rule({ expr: 'x', labels: { severity: '{{ if gt $value 0.9 }}critical{{ else }}warning{{ end }}', mount: '' }, annotations: { d: '{{ humanizePercentage $value }} used' } });
    await r.evaluate(T0, { query: q.query });
    const a = r.alerts()[0]!;
    expect(a.labels).toEqual({ alertname: 'r', severity: 'critical' });
    expect(a.annotations.d).toBe('93% used');
  });
});

describe('check-state rules', () => {
  const snapshot = (locs: [string, string, boolean][]): CheckStateSnapshot[] => [
    { check: 'shop-http', labels: { tier: 'web', 'team.example/owner': 'x' }, severity: 'critical', host: 'shop-1', locations: locs.map(([location, status, hard]) => ({ location, status: status as 'ok', hard })) },
    { check: 'db-tcp', labels: { tier: 'db' }, locations: [{ location: 'tokyo', status: 'critical', hard: true }] },
  ];

  it('fires per check failing HARD in at least minLocations locations', async () => {
    let states = snapshot([['tokyo', 'critical', true], ['osaka', 'ok', true], ['sapporo', 'critical', false]]);
    const r = rule({ alert: 'CheckDown', checkState: { selector: 'tier=web', minLocations: 2 }, annotations: { summary: '{{ $labels.check }} down in {{ $value }} locations: {{ $labels.locations }}' } });
    const deps = { query: async () => [], checkStates: { checkStates: () => states } };
    await r.evaluate(T0, deps);
    expect(r.alerts()).toEqual([]); // sapporo is only SOFT
    states = snapshot([['tokyo', 'critical', true], ['osaka', 'ok', true], ['sapporo', 'critical', true]]);
    await r.evaluate(T0 + MIN, deps);
    const a = r.alerts()[0]!;
    expect(a.state).toBe('firing');
    expect(a.labels).toEqual({ alertname: 'CheckDown', check: 'shop-http', tier: 'web', host: 'shop-1', severity: 'critical', locations: 'sapporo,tokyo' });
    expect(a.annotations.summary).toBe('shop-http down in 2 locations: sapporo,tokyo');
  });
});
