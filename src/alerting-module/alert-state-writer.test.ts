/**
 * The alert journal on a real SQLite state store: what one process wrote, the next one restores
 * (rule `for` timers with Prometheus's semantics, acknowledgements, dispatch log), and a round
 * that changes nothing writes nothing.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildAlertingConfig, Dispatcher, type Notification } from '../alerting/index.js';
import { silentLogger } from '../lib/logger.js';
import { alertRuleSpecSchema, FakeClock, RuleManager, type QueryFunc } from '../rules/index.js';
import { KyselyAlertStateStore } from '../store/state/kysely-alert-state-store.js';
import { openSqlite } from '../store/state/open-state-store.js';
import type { AlertStateBatch } from '../store/state-store.js';
import { AlertStateWriter } from './alert-state-writer.js';

const MIN = 60_000;
const T0 = Date.UTC(2026, 0, 5);
const file = path.join(mkdtempSync(path.join(tmpdir(), 'ksk-journal-')), 'state.db');
const closers: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of closers) await c();
});

class CountingStore extends KyselyAlertStateStore {
  readonly writes: AlertStateBatch[] = [];
  override async writeAlertState(b: AlertStateBatch): Promise<void> {
    this.writes.push(b);
    return super.writeAlertState(b);
  }
}

/** One "process": a rule manager, a dispatcher and the journal over the shared database file. */
async function processAt(now: number) {
  const state = await openSqlite(file);
  closers.push(() => state.close());
  const clock = new FakeClock(now);
  const sent: Notification[] = [];
  const { config } = buildAlertingConfig([{ kind: 'Route', metadata: { name: 'root' }, spec: { receiver: 'ops', groupBy: ['alertname'], groupWait: '0s', groupInterval: '1m', repeatInterval: '4h' } }]);
  const dispatcher = new Dispatcher({ config: config!, clock, notify: async (n) => void sent.push(n) });
  const query: QueryFunc = async (_e, t) => [{ metric: { host: 'db-1' }, value: 97, t }];
  const rules = new RuleManager({ query, clock, sink: (alerts) => dispatcher.receive(alerts) });
  rules.setRules([{ name: 'disk-full', spec: alertRuleSpecSchema.parse({ alert: 'DiskFull', expr: 'disk > 95', for: '10m' }) }]);
  const store = new CountingStore(state.database);
  const journal = new AlertStateWriter({ store, dispatcher, rules, logger: silentLogger(), now: () => clock.now() });
  return { clock, dispatcher, rules, journal, store, sent, writes: store.writes };
}

describe('AlertStateWriter', () => {
  it('a for: 10m rule pending for 8 minutes before a restart fires 2 minutes after it; acks and the dispatch log survive', async () => {
    const p1 = await processAt(T0);
    await p1.journal.restore();
    for (let t = T0; t <= T0 + 8 * MIN; t += MIN) {
      await p1.rules.evaluateAll(t);
      await p1.journal.flush();
    }
    const [pending] = (await p1.store.loadAlertState()).alerts;
    expect(pending).toMatchObject({ state: 'pending', rule: 'disk-full', ruleState: 'pending', activeAt: T0, lastEvalAt: T0 + 8 * MIN });

    // Down from 8m to 11m.
    const p2 = await processAt(T0 + 11 * MIN);
    await p2.journal.restore({ forGracePeriodMs: MIN });
    await p2.rules.evaluateAll(T0 + 11 * MIN);
    await p2.rules.evaluateAll(T0 + 12 * MIN);
    expect(p2.rules.alerts()[0]).toMatchObject({ state: 'pending', activeAt: T0 });
    await p2.rules.evaluateAll(T0 + 13 * MIN);
    expect(p2.rules.alerts()[0]).toMatchObject({ state: 'firing', activeAt: T0, firedAt: T0 + 13 * MIN });
    await p2.clock.advance(0);
    expect(p2.sent.map((n) => n.status)).toEqual(['firing']);
    const ackAt = p2.clock.now();
    p2.dispatcher.acknowledge(pending!.fingerprint, 'alice', 'on it');
    await p2.journal.flush();
    const stored = await p2.store.getAlert(pending!.fingerprint);
    expect(stored).toMatchObject({ state: 'firing', firedAt: T0 + 13 * MIN, startsAt: T0 + 13 * MIN, ack: { by: 'alice', at: ackAt, comment: 'on it' } });
    expect((await p2.store.alertEvents(pending!.fingerprint)).map((e) => e.event)).toEqual(['pending', 'restored', 'firing', 'acknowledged']);

    // A round that changes nothing writes no instance row.
    const before = p2.writes.length;
    await p2.rules.evaluateAll(T0 + 14 * MIN);
    await p2.journal.flush();
    expect(p2.writes.slice(before).flatMap((b) => b.upsert ?? [])).toEqual([]);

    // A third process: the alert is still firing and acknowledged, and not notified again.
    const p3 = await processAt(T0 + 20 * MIN);
    await p3.journal.restore();
    await p3.rules.evaluateAll(T0 + 20 * MIN);
    await p3.clock.advance(2 * MIN);
    expect(p3.dispatcher.store.get(pending!.fingerprint)?.ack).toEqual({ by: 'alice', at: ackAt, comment: 'on it' });
    expect(p3.rules.alerts()[0]).toMatchObject({ state: 'firing', firedAt: T0 + 13 * MIN });
    expect(p3.sent).toEqual([]);
  });
});
