import { describe, expect, it } from 'vitest';
import { FakeClock, fingerprintLabels, type PostableAlert } from '../rules/index.js';
import { buildAlertingConfig, type AlertingDocument } from './alerting-config.js';
import { Dispatcher } from './dispatcher.js';
import type { Notification } from './notification.js';

const S = 1000;
const MIN = 60 * S;

function doc(kind: string, name: string, spec: unknown): AlertingDocument {
  return { kind, metadata: { name }, spec };
}

function setup(docs: AlertingDocument[], opts: { failFirst?: boolean } = {}) {
  const clock = new FakeClock(Date.UTC(2026, 0, 5, 0, 0, 0));
  const sent: (Notification & { at: number })[] = [];
  let fail = opts.failFirst ?? false;
  const { config, issues } = buildAlertingConfig(docs);
  expect(issues).toEqual([]);
  const d = new Dispatcher({
    config: config!,
    clock,
    externalURL: 'http://kansoku.test',
    notify: async (n) => {
      if (fail) {
        fail = false;
        throw new Error('outbox unavailable');
      }
      sent.push({ ...n, at: clock.now() - t0 });
    },
  });
  const t0 = clock.now();
  const alert = (labels: Record<string, string>, extra: Partial<PostableAlert> = {}): PostableAlert => ({
    fingerprint: fingerprintLabels(labels),
    labels,
    annotations: { summary: `${labels.alertname} on ${labels.instance ?? '-'}` },
    startsAt: clock.now(),
    ...extra,
  });
  const summary = (): string[] => sent.map((n) => `${n.at / S}s ${n.receiver} ${n.status} [${n.alerts.map((a) => `${a.labels.instance}:${a.status}`).join(' ')}]`);
  return { clock, sent, d, alert, t0, summary };
}

const ROOT = doc('Route', 'root', { receiver: 'ops', groupBy: ['alertname'], groupWait: '30s', groupInterval: '5m', repeatInterval: '1h' });

describe('Dispatcher timing (Alertmanager dispatcher)', () => {
  it('flushes after group_wait, then changes on group_interval, repeats after repeat_interval, sends resolved', async () => {
    const w = setup([ROOT]);
    w.d.receive([w.alert({ alertname: 'Down', instance: 'a' })]);
    await w.clock.advance(10 * S);
    w.d.receive([w.alert({ alertname: 'Down', instance: 'b' })]); // batched into the first notification
    await w.clock.advance(20 * S);
    expect(w.summary()).toEqual(['30s ops firing [a:firing b:firing]']);
    w.d.receive([w.alert({ alertname: 'Down', instance: 'c' })]);
    await w.clock.advance(4 * MIN + 30 * S); // 5m: no flush yet
    expect(w.sent).toHaveLength(1);
    await w.clock.advance(30 * S); // 5m30s: group_interval tick with a new alert
    expect(w.summary().at(-1)).toBe('330s ops firing [a:firing b:firing c:firing]');
    // Nothing changes: no notification until repeat_interval (1h) has passed, then at the next
    // group_interval tick (3930s is exactly 1h after 330s, so the repeat goes out at 4230s).
    await w.clock.advance(60 * MIN);
    expect(w.sent).toHaveLength(2);
    await w.clock.advance(5 * MIN);
    expect(w.summary().slice(2)).toEqual(['4230s ops firing [a:firing b:firing c:firing]']);
    // Resolve one: sent at the next tick; the rest resolve later.
    const a = w.alert({ alertname: 'Down', instance: 'a' });
    w.d.receive([{ ...a, endsAt: w.clock.now() }]);
    await w.clock.advance(5 * MIN);
    expect(w.summary().at(-1)).toBe('4530s ops firing [a:resolved b:firing c:firing]');
    for (const i of ['b', 'c']) w.d.receive([{ ...w.alert({ alertname: 'Down', instance: i }), endsAt: w.clock.now() }]);
    await w.clock.advance(5 * MIN);
    expect(w.summary().at(-1)).toBe('4830s ops resolved [b:resolved c:resolved]');
    expect(w.d.groupsInfo()).toEqual([]); // empty group removed
    const last = w.sent.at(-1)!;
    expect(last).toMatchObject({ version: '4', groupKey: '{}:{alertname="Down"}', groupLabels: { alertname: 'Down' }, commonLabels: { alertname: 'Down' }, externalURL: 'http://kansoku.test' });
    expect(last.alerts[0]!.endsAt).toMatch(/^2026-01-05T\d\d:\d\d:\d\dZ$/);
  });

  it('deduplicates repeated deliveries of the same alert and flushes old alerts at once', async () => {
    const w = setup([ROOT]);
    const old = w.alert({ alertname: 'Old', instance: 'x' }, { startsAt: w.clock.now() - 10 * MIN });
    w.d.receive([old, old]);
    await w.clock.advance(1);
    expect(w.summary()).toEqual(['0s ops firing [x:firing]']);
    for (let i = 0; i < 5; i++) {
      w.d.receive([old]);
      await w.clock.advance(MIN);
    }
    expect(w.sent).toHaveLength(1);
    expect(w.d.listAlerts()).toHaveLength(1);
  });

  it('retries a rejected notification at the next group_interval', async () => {
    const w = setup([ROOT], { failFirst: true });
    w.d.receive([w.alert({ alertname: 'Down', instance: 'a' })]);
    await w.clock.advance(30 * S);
    expect(w.sent).toHaveLength(0);
    await w.clock.advance(5 * MIN);
    expect(w.summary()).toEqual(['330s ops firing [a:firing]']);
  });

  it('notifies every matching route when continue is set, each with its own group', async () => {
    const w = setup([
      doc('Route', 'root', { receiver: 'ops', groupWait: '0s', routes: [{ matchers: ['team="db"'], receiver: 'db-mail', continue: true }, { matchers: ['severity="critical"'], receiver: 'pager' }] }),
    ]);
    w.d.receive([w.alert({ alertname: 'Slow', instance: 'db1', team: 'db', severity: 'critical' }), w.alert({ alertname: 'Slow', instance: 'db2', team: 'db', severity: 'warning' })]);
    await w.clock.advance(1);
    expect(w.summary().sort()).toEqual(['0s db-mail firing [db1:firing db2:firing]', '0s pager firing [db1:firing]']);
  });
});

describe('muting: inhibition, silences, maintenance, dependencies', () => {
  it('still sends the resolve of an alert notified before a silence that has since ended', async () => {
    const w = setup([ROOT]);
    const a = w.alert({ alertname: 'Down', instance: 'a' });
    w.d.receive([a]);
    await w.clock.advance(30 * S);
    expect(w.summary()).toEqual(['30s ops firing [a:firing]']);
    const { config } = buildAlertingConfig([
      ROOT,
      doc('Silence', 'maint', { matchers: ['instance="a"'], startsAt: new Date(w.clock.now()).toISOString(), endsAt: new Date(w.clock.now() + 10 * MIN).toISOString(), createdBy: 'sato', comment: 'reboot' }),
    ]);
    w.d.setSilences(config!.silences!);
    await w.clock.advance(5 * MIN); // a flush while everything is muted sends nothing
    expect(w.sent).toHaveLength(1);
    w.d.setSilences([]);
    w.d.receive([{ ...a, endsAt: w.clock.now() }]);
    await w.clock.advance(5 * MIN);
    expect(w.summary().at(-1)).toBe('630s ops resolved [a:resolved]');
  });

  it('inhibits the warning while the critical alert with equal labels fires, and records it', async () => {
    const w = setup([ROOT, doc('InhibitRule', 'crit-over-warn', { sourceMatchers: ['severity="critical"'], targetMatchers: ['severity="warning"'], equal: ['instance'] })]);
    const crit = w.alert({ alertname: 'DiskFull', instance: 'a', severity: 'critical' });
    w.d.receive([crit, w.alert({ alertname: 'DiskFull', instance: 'a', severity: 'warning' }), w.alert({ alertname: 'DiskFull', instance: 'b', severity: 'warning' })]);
    await w.clock.advance(30 * S);
    expect(w.sent[0]!.alerts.map((a) => `${a.labels.instance}/${a.labels.severity}`)).toEqual(['a/critical', 'b/warning']);
    const warnA = w.d.listAlerts().find((x) => x.alert.labels.instance === 'a' && x.alert.labels.severity === 'warning')!;
    expect(warnA.status).toMatchObject({ state: 'suppressed', inhibitedBy: [crit.fingerprint] });
    // The source resolves: the target is notified at the next tick.
    w.d.receive([{ ...crit, endsAt: w.clock.now() }]);
    await w.clock.advance(5 * MIN);
    expect(w.sent.at(-1)!.alerts.map((a) => `${a.labels.instance}/${a.labels.severity}:${a.status}`)).toEqual(['a/critical:resolved', 'a/warning:firing', 'b/warning:firing']);
  });

  it('inhibits by equal labels among thousands of alerts, two-sided rules included, and follows resolution', async () => {
    const w = setup([
      ROOT,
      doc('InhibitRule', 'crit-over-warn', { sourceMatchers: ['severity="critical"'], targetMatchers: ['severity="warning"'], equal: ['instance'] }),
      // Two-sided: an alert matching both sides is never inhibited by another that also matches both.
      doc('InhibitRule', 'node-down', { sourceMatchers: ['alertname=~"NodeDown|Node.*"'], targetMatchers: ['alertname=~"Node.*"'], equal: ['dc'] }),
    ]);
    const crits = Array.from({ length: 1000 }, (_, i) => w.alert({ alertname: 'DiskFull', instance: `h${i}`, severity: 'critical', dc: `dc${i % 3}` }));
    const warns = Array.from({ length: 2000 }, (_, i) => w.alert({ alertname: 'DiskFull', instance: `h${i}`, severity: 'warning', dc: `dc${i % 3}` }));
    const nodeA = w.alert({ alertname: 'NodeDown', instance: 'n1', severity: 'info', dc: 'dc0' });
    const nodeB = w.alert({ alertname: 'NodeSlow', instance: 'n2', severity: 'info', dc: 'dc0' });
    w.d.receive([...crits, ...warns, nodeA, nodeB]);
    await w.clock.advance(1);
    const byFp = new Map(w.d.listAlerts().map((x) => [x.alert.fingerprint, x.status]));
    warns.forEach((a, i) => {
      const st = byFp.get(a.fingerprint)!;
      if (i < 1000) expect(st.inhibitedBy).toEqual([crits[i]!.fingerprint]);
      else expect(st.state).toBe('active');
    });
    expect(byFp.get(nodeA.fingerprint)!.state).toBe('active');
    expect(byFp.get(nodeB.fingerprint)!.state).toBe('active');
    for (const c of crits) expect(byFp.get(c.fingerprint)!.state).toBe('active');
    // A source that resolves stops inhibiting at once (the index follows the store).
    w.d.receive([{ ...crits[7]!, endsAt: w.clock.now() }]);
    const after = new Map(w.d.listAlerts().map((x) => [x.alert.fingerprint, x.status]));
    expect(after.get(warns[7]!.fingerprint)!.state).toBe('active');
    expect(after.get(warns[8]!.fingerprint)!.inhibitedBy).toEqual([crits[8]!.fingerprint]);
  });

  it('records silenced and dependency-suppressed alerts without routing them', async () => {
    const w = setup([
      ROOT,
      doc('Silence', 'db-upgrade', { matchers: ['instance="db1"'], startsAt: '2026-01-05T00:00:00Z', endsAt: '2026-01-05T01:00:00Z', createdBy: 'sato', comment: 'OPS-12 upgrade' }),
    ]);
    const router = w.alert({ alertname: 'RouterDown', instance: 'r1' });
    w.d.receive([router, w.alert({ alertname: 'Down', instance: 'db1' }), w.alert({ alertname: 'Down', instance: 'web1' }, { suppressedBy: [router.fingerprint] })]);
    await w.clock.advance(30 * S);
    expect(w.summary().sort()).toEqual(['30s ops firing [r1:firing]']);
    const st = Object.fromEntries(w.d.listAlerts().map((x) => [x.alert.labels.instance, x.status]));
    expect(st.db1).toMatchObject({ state: 'suppressed', silencedBy: ['db-upgrade'], reasons: ['silenced by db-upgrade'] });
    expect(st.web1).toMatchObject({ state: 'suppressed', suppressedBy: [router.fingerprint], reasons: [`depends on firing alert ${router.fingerprint}`] });
    // After the silence ends, db1 is notified at the next tick past 1h.
    await w.clock.advance(60 * MIN);
    expect(w.summary().at(-1)).toBe('3630s ops firing [db1:firing]');
  });

  it('mutes a route during its mute time interval and notifies after it', async () => {
    const w = setup([
      doc('Route', 'root', { receiver: 'ops', groupWait: '0s', groupInterval: '1m', muteTimeIntervals: [], routes: [{ matchers: ['team="db"'], receiver: 'db', muteTimeIntervals: ['night'] }] }),
      doc('TimeInterval', 'night', { intervals: [{ times: [{ startTime: '09:00', endTime: '09:05' }], location: 'Asia/Tokyo' }] }),
    ]);
    // 2026-01-05T00:00Z is 09:00 in Tokyo: muted until 09:05.
    w.d.receive([w.alert({ alertname: 'X', instance: 'a', team: 'db' })]);
    await w.clock.advance(4 * MIN);
    expect(w.sent).toHaveLength(0);
    await w.clock.advance(1 * MIN);
    expect(w.summary()).toEqual(['300s db firing [a:firing]']);
  });
});

describe('acknowledgement and escalation', () => {
  const docs = [
    doc('Route', 'root', { receiver: 'ops', groupBy: ['alertname'], groupWait: '0s', groupInterval: '1m', repeatInterval: '4h', escalationPolicy: 'oncall' }),
    doc('EscalationPolicy', 'oncall', { steps: [{ after: '10m', receivers: ['lead'] }, { after: '30m', receivers: ['manager'] }] }),
  ];

  it('escalates after N minutes while unacknowledged, and sends resolved to everyone notified', async () => {
    const w = setup(docs);
    const a = w.alert({ alertname: 'Down', instance: 'a' });
    w.d.receive([a]);
    await w.clock.advance(9 * MIN);
    expect(w.summary()).toEqual(['0s ops firing [a:firing]']);
    await w.clock.advance(1 * MIN);
    expect(w.summary().at(-1)).toBe('600s lead firing [a:firing]');
    expect(w.sent.at(-1)!.kansoku).toMatchObject({ reason: 'escalation', escalationStep: 0 });
    await w.clock.advance(20 * MIN);
    expect(w.summary().at(-1)).toBe('1800s manager firing [a:firing]');
    w.d.receive([{ ...a, endsAt: w.clock.now() }]);
    await w.clock.advance(1 * MIN);
    expect(w.summary().slice(3).sort()).toEqual(['1860s lead resolved [a:resolved]', '1860s manager resolved [a:resolved]', '1860s ops resolved [a:resolved]']);
  });

  it('stops escalating once every firing alert is acknowledged (who, when, comment)', async () => {
    const w = setup(docs);
    const a = w.alert({ alertname: 'Down', instance: 'a' });
    w.d.receive([a]);
    await w.clock.advance(5 * MIN);
    const acked = w.d.acknowledge(a.fingerprint, 'tanaka', 'looking into it');
    expect(acked!.ack).toEqual({ by: 'tanaka', at: w.t0 + 5 * MIN, comment: 'looking into it' });
    await w.clock.advance(60 * MIN);
    expect(w.sent.map((n) => n.receiver)).toEqual(['ops']);
  });
});

describe('restart: restoreState', () => {
  const docs = [
    doc('Route', 'root', { receiver: 'ops', groupBy: ['alertname'], groupWait: '0s', groupInterval: '1m', repeatInterval: '4h', escalationPolicy: 'oncall' }),
    doc('EscalationPolicy', 'oncall', { steps: [{ after: '10m', receivers: ['lead'] }, { after: '30m', receivers: ['manager'] }] }),
  ];
  /** Runs a first process until `upTo`, then a second one from `restartAt` with what the first exported. */
  async function restart(upTo: number, restartAt: number, before?: (w: ReturnType<typeof setup>) => void) {
    const w1 = setup(docs);
    const a = w1.alert({ alertname: 'Down', instance: 'a' });
    w1.d.receive([a]);
    await w1.clock.advance(upTo);
    before?.(w1);
    const alerts = w1.d.store.list().map((x) => ({ ...x }));
    const state = w1.d.exportState();
    await w1.d.stop();
    const w2 = setup(docs);
    await w2.clock.advance(restartAt);
    w2.d.restoreState(alerts, JSON.parse(JSON.stringify(state)) as typeof state);
    return { w1, w2, a };
  }

  it('an escalation continues from the step it reached; nothing already sent is sent again', async () => {
    const { w1, w2, a } = await restart(15 * MIN, 17 * MIN);
    expect(w1.summary()).toEqual(['0s ops firing [a:firing]', '600s lead firing [a:firing]']);
    expect(w1.d.exportState().escalations).toEqual([]);
    w2.d.receive([a]);
    await w2.clock.advance(12 * MIN);
    expect(w2.sent).toEqual([]);
    await w2.clock.advance(1 * MIN); // 30m after the first notification
    expect(w2.summary()).toEqual(['1800s manager firing [a:firing]']);
    w2.d.receive([{ ...a, endsAt: w2.clock.now() }]);
    await w2.clock.advance(1 * MIN);
    // Everyone notified before and after the restart gets the resolution, once.
    expect(w2.summary().slice(1).sort()).toEqual(['1860s lead resolved [a:resolved]', '1860s manager resolved [a:resolved]', '1860s ops resolved [a:resolved]']);
    await w2.clock.advance(10 * MIN);
    expect(w2.sent).toHaveLength(4);
  });

  it('an acknowledged alert stays acknowledged and its escalation stopped', async () => {
    const { w2, a } = await restart(5 * MIN, 6 * MIN, (w) => w.d.acknowledge(a0(w), 'tanaka', 'on it'));
    expect(w2.d.store.get(a.fingerprint)!.ack).toMatchObject({ by: 'tanaka', comment: 'on it' });
    w2.d.receive([a]);
    await w2.clock.advance(60 * MIN);
    expect(w2.sent).toEqual([]);
  });

  it('an alert that resolved while the server was down is resolved once; restored alerts nobody confirms resolve', async () => {
    const { w2, a } = await restart(2 * MIN, 3 * MIN);
    w2.d.receive([{ ...a, endsAt: w2.clock.now() }]);
    await w2.clock.advance(5 * MIN);
    expect(w2.summary()).toEqual(['180s ops resolved [a:resolved]']);

    const r = await restart(2 * MIN, 3 * MIN);
    expect(r.w2.d.resolveUnconfirmed()).toEqual([r.a.fingerprint]);
    await r.w2.clock.advance(2 * MIN);
    expect(r.w2.summary()).toEqual(['180s ops resolved [a:resolved]']);
  });
});

function a0(w: ReturnType<typeof setup>): string {
  return w.d.store.list()[0]!.fingerprint;
}
