import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertStateStore, PersistedAlert } from '../state-store.js';
import { KyselyAlertStateStore } from '../state/kysely-alert-state-store.js';
import type { KyselyStateStore } from '../state/kysely-state-store.js';

/**
 * The behaviour every alert state adapter must have. `open` returns the state store of one
 * database (migrated); it is called twice, the second time after the first was closed, to prove
 * that what was written is read back by a new process.
 */
export function runAlertStateStoreContract(name: string, open: () => Promise<KyselyStateStore>, opts: { skip?: boolean } = {}) {
  describe.skipIf(opts.skip)(`alert state store contract: ${name}`, () => {
    let state: KyselyStateStore;
    let store: AlertStateStore;
    beforeAll(async () => {
      state = await open();
      store = new KyselyAlertStateStore(state.database);
    });
    afterAll(async () => {
      await state?.close();
    });

    const T0 = 1_800_000_000_000;
    const alert = (fp: string, over: Partial<PersistedAlert> = {}): PersistedAlert => ({
      fingerprint: fp,
      labels: { alertname: 'DiskFull', host: 'db-1', note: '【重要】 "quoted" \\ ✓' },
      annotations: { summary: 'disk 97% full' },
      state: 'firing',
      rule: 'disk-full',
      ruleState: 'firing',
      activeAt: T0,
      forStartedAt: null,
      firedAt: T0 + 600_000,
      resolvedAt: null,
      keepFiringSince: null,
      lastEvalAt: T0 + 660_000,
      value: 97.5,
      seriesKey: 'host\xffdb-1\xff',
      startsAt: T0 + 600_000,
      endsAt: null,
      generatorURL: 'http://kansoku.test/alerts?alertname=DiskFull',
      dependsOn: [],
      reasons: [],
      ack: null,
      updatedAt: T0 + 660_000,
      ...over,
    });

    it('starts empty', async () => {
      expect(await store.loadAlertState()).toEqual({ alerts: [], dispatchLog: [], escalations: [] });
      expect(await store.getAlert('0000000000000001')).toBeUndefined();
    });

    it('upserts instances: every field round-trips, a second write replaces the first', async () => {
      const a = alert('00000000000000a1');
      await store.writeAlertState({ upsert: [a, alert('00000000000000a2', { state: 'pending', ruleState: 'pending', firedAt: null, startsAt: null, value: NaN, forStartedAt: T0 + 5 })] });
      expect(await store.getAlert(a.fingerprint)).toEqual(a);
      const pending = await store.getAlert('00000000000000a2');
      expect(pending?.state).toBe('pending');
      expect(pending?.value).toBeNaN();
      expect(pending?.forStartedAt).toBe(T0 + 5);
      const acked = { ...a, ack: { by: 'alice', at: T0 + 700_000, comment: 'on it: INC-42' }, state: 'suppressed' as const, reasons: ['maintenance window db-upgrade'], dependsOn: ['00000000000000ff'] };
      await store.writeAlertState({ upsert: [acked] });
      expect(await store.getAlert(a.fingerprint)).toEqual(acked);
    });

    it('keeps the last write of a fingerprint given twice in one batch', async () => {
      await store.writeAlertState({ upsert: [alert('00000000000000b1', { state: 'pending' }), alert('00000000000000b1', { state: 'firing' })] });
      expect((await store.getAlert('00000000000000b1'))?.state).toBe('firing');
    });

    it('stamps the last evaluation on a rule’s pending and firing instances only', async () => {
      await store.writeAlertState({ upsert: [alert('00000000000000c1', { rule: 'r-c', ruleState: 'pending' }), alert('00000000000000c2', { rule: 'r-c', ruleState: 'inactive', lastEvalAt: T0 })] });
      await store.writeAlertState({ lastEvaluation: [{ rule: 'r-c', at: T0 + 999_000 }] });
      expect((await store.getAlert('00000000000000c1'))?.lastEvalAt).toBe(T0 + 999_000);
      expect((await store.getAlert('00000000000000c2'))?.lastEvalAt).toBe(T0);
    });

    it('appends history and notification log lines and reads them back oldest first', async () => {
      const fp = '00000000000000d1';
      await store.writeAlertState({
        upsert: [alert(fp)],
        events: [
          { fingerprint: fp, at: T0, event: 'pending', detail: '' },
          { fingerprint: fp, at: T0 + 600_000, event: 'firing', detail: '' },
          { fingerprint: fp, at: T0 + 600_000, event: 'escalated', detail: 'step 0' },
        ],
        notifications: [{ fingerprint: fp, at: T0 + 600_000, channel: 'ops', groupKey: '{}:{alertname="DiskFull"}', reason: 'route', step: null, status: 'firing', outcome: 'queued', outboxKey: 'ops|k1', error: null }],
      });
      await store.writeAlertState({
        events: [{ fingerprint: fp, at: T0 + 700_000, event: 'acknowledged', detail: 'alice: on it' }],
        notifications: [{ fingerprint: fp, at: T0 + 900_000, channel: 'pager', groupKey: '{}:{alertname="DiskFull"}', reason: 'escalation', step: 1, status: 'firing', outcome: 'failed', outboxKey: null, error: 'outbox unavailable' }],
      });
      expect((await store.alertEvents(fp)).map((e) => e.event)).toEqual(['pending', 'firing', 'escalated', 'acknowledged']);
      expect((await store.alertEvents(fp, 2)).map((e) => e.event)).toEqual(['escalated', 'acknowledged']);
      const log = await store.alertNotifications(fp);
      expect(log).toEqual([
        { fingerprint: fp, at: T0 + 600_000, channel: 'ops', groupKey: '{}:{alertname="DiskFull"}', reason: 'route', step: null, status: 'firing', outcome: 'queued', outboxKey: 'ops|k1', error: null },
        { fingerprint: fp, at: T0 + 900_000, channel: 'pager', groupKey: '{}:{alertname="DiskFull"}', reason: 'escalation', step: 1, status: 'firing', outcome: 'failed', outboxKey: null, error: 'outbox unavailable' },
      ]);
      expect(await store.alertEvents('00000000000000a1')).toEqual([]);
    });

    it('stores, replaces and removes dispatch log entries and escalations', async () => {
      await store.writeAlertState({
        putDispatchLog: [{ key: 'g1', groupKey: '{}:{alertname="DiskFull"}', receiver: 'ops', firing: ['00000000000000d1'], resolved: [], at: T0 }],
        putEscalations: [{ key: 'g1', groupKey: '{}:{alertname="DiskFull"}', route: 'root', policy: 'db-oncall', startedAt: T0, stepReached: -1, nextStepAt: T0 + 600_000, notified: [], alerts: ['00000000000000d1'] }],
      });
      await store.writeAlertState({
        putDispatchLog: [{ key: 'g1', groupKey: '{}:{alertname="DiskFull"}', receiver: 'ops', firing: [], resolved: ['00000000000000d1'], at: T0 + 1 }],
        putEscalations: [{ key: 'g1', groupKey: '{}:{alertname="DiskFull"}', route: 'root', policy: 'db-oncall', startedAt: T0, stepReached: 0, nextStepAt: null, notified: ['pager'], alerts: ['00000000000000d1'] }],
      });
      const s = await store.loadAlertState();
      expect(s.dispatchLog).toEqual([{ key: 'g1', groupKey: '{}:{alertname="DiskFull"}', receiver: 'ops', firing: [], resolved: ['00000000000000d1'], at: T0 + 1 }]);
      expect(s.escalations).toEqual([{ key: 'g1', groupKey: '{}:{alertname="DiskFull"}', route: 'root', policy: 'db-oncall', startedAt: T0, stepReached: 0, nextStepAt: null, notified: ['pager'], alerts: ['00000000000000d1'] }]);
      await store.writeAlertState({ removeDispatchLog: ['g1'], removeEscalations: ['g1'] });
      const after = await store.loadAlertState();
      expect(after.dispatchLog).toEqual([]);
      expect(after.escalations).toEqual([]);
    });

    it('writes a batch all or nothing', async () => {
      const fp = '00000000000000e1';
      // The second dispatch log entry breaks a NOT NULL column: the instance must not be written either.
      const bad = { key: 'g2', groupKey: null as unknown as string, receiver: 'ops', firing: [], resolved: [], at: T0 };
      await expect(store.writeAlertState({ upsert: [alert(fp)], putDispatchLog: [bad] })).rejects.toThrow();
      expect(await store.getAlert(fp)).toBeUndefined();
    });

    it('purges resolved instances that ended before a time, with their history', async () => {
      const fp = '00000000000000f1';
      await store.writeAlertState({
        upsert: [alert(fp, { state: 'resolved', endsAt: T0 + 1000 }), alert('00000000000000f2', { state: 'resolved', endsAt: T0 + 5000 })],
        events: [{ fingerprint: fp, at: T0, event: 'resolved', detail: '' }],
      });
      expect(await store.purgeResolvedAlerts(T0 + 2000)).toBe(1);
      expect(await store.getAlert(fp)).toBeUndefined();
      expect(await store.alertEvents(fp)).toEqual([]);
      expect(await store.getAlert('00000000000000f2')).toBeDefined();
    });

    it('reads everything back after the database is closed and opened again', async () => {
      const before = await store.loadAlertState();
      await state.close();
      state = await open();
      store = new KyselyAlertStateStore(state.database);
      expect(await store.loadAlertState()).toEqual(before);
      expect((await store.getAlert('00000000000000a1'))?.ack).toEqual({ by: 'alice', at: T0 + 700_000, comment: 'on it: INC-42' });
    });
  });
}
