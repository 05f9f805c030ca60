import { randomUUID } from 'node:crypto';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeliveryAttempt, NewOutboxEntry, OutboxStore } from '../../notify/outbox-store.js';
import { KyselyOutboxStore } from '../state/kysely-outbox-store.js';
import { openPostgres, openSqlite } from '../state/open-state-store.js';

/**
 * The behaviour every outbox adapter must have. Each adapter's test file calls this with a
 * factory returning a fresh, migrated, empty outbox.
 */
export interface OpenOutbox {
  store: OutboxStore;
  close(): Promise<void>;
}

/**
 * Opens the outbox the way the server will: the state store migrates the database (0002 adds
 * the outbox tables), then the adapter works on a Kysely instance over the same database.
 */
export async function openSqliteOutbox(file: string): Promise<OpenOutbox> {
  const state = await openSqlite(file);
  await state.close();
  const { default: Database } = await import('better-sqlite3');
  const database = new Database(file);
  database.pragma('journal_mode = WAL');
  database.pragma('synchronous = FULL');
  database.pragma('busy_timeout = 5000');
  const db = new Kysely<unknown>({ dialect: new SqliteDialect({ database }) });
  return { store: new KyselyOutboxStore(db, 'sqlite'), close: () => db.destroy() };
}

export async function openPostgresOutbox(url: string): Promise<OpenOutbox> {
  const state = await openPostgres(url);
  await state.close();
  const pg = await import('pg');
  const pool = new pg.default.Pool({ connectionString: url, max: 8 });
  const db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool }) });
  return { store: new KyselyOutboxStore(db, 'postgres'), close: () => db.destroy() };
}

export function runOutboxStoreContract(name: string, create: () => Promise<OpenOutbox>, opts: { skip?: boolean } = {}) {
  describe.skipIf(opts.skip)(`outbox store contract: ${name}`, () => {
    let opened: OpenOutbox;
    let store: OutboxStore;
    beforeAll(async () => {
      opened = await create();
      store = opened.store;
    });
    afterAll(async () => {
      await opened?.close();
    });

    const T0 = 1_800_000_000_000;
    const entry = (channel: string, over: Partial<NewOutboxEntry> = {}): NewOutboxEntry => ({
      id: randomUUID(),
      idempotencyKey: `${channel}:${randomUUID()}`,
      channel,
      payload: { receiver: 'ops', text: '【重要】ショップ停止 "quoted" \\ ✓' },
      createdAt: new Date(T0).toISOString(),
      nextAttemptAt: T0,
      ...over,
    });
    const attempt = (outboxId: string, n: number, over: Partial<DeliveryAttempt> = {}): DeliveryAttempt => ({
      outboxId,
      attempt: n,
      time: new Date(T0).toISOString(),
      outcome: 'delivered',
      latencyMs: 12,
      httpStatus: 200,
      error: null,
      ...over,
    });

    it('stores one entry per idempotency key however often it is enqueued', async () => {
      const e = entry('dedup');
      const first = await store.enqueue(e);
      const again = await store.enqueue({ ...e, id: randomUUID(), payload: { other: true } });
      expect(first).toEqual({ id: e.id, created: true });
      expect(again).toEqual({ id: e.id, created: false });
      const rows = await store.list({ channel: 'dedup' });
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ id: e.id, status: 'pending', attempts: 0, nextAttemptAt: T0, payload: e.payload, lastError: null, deliveredAt: null, progress: [] });
      expect((await store.getByKey(e.idempotencyKey))?.id).toBe(e.id);
    });

    it('claims only due entries, marks them sending with a lease, and counts the attempt', async () => {
      const due = entry('claim-a');
      const later = entry('claim-a', { nextAttemptAt: T0 + 60_000 });
      await store.enqueue(due);
      await store.enqueue(later);
      expect(await store.dueChannels(T0, 100)).toContain('claim-a');
      const claimed = await store.claim({ channel: 'claim-a', nowMs: T0, limit: 10, leaseMs: 5000, token: 'tok-1' });
      expect(claimed.map((c) => c.id)).toEqual([due.id]);
      expect(claimed[0]).toMatchObject({ status: 'sending', attempts: 1, claimToken: 'tok-1', nextAttemptAt: T0 + 5000 });
      // Leased: nobody else gets it before the lease runs out.
      expect(await store.claim({ channel: 'claim-a', nowMs: T0 + 4999, limit: 10, leaseMs: 5000, token: 'tok-2' })).toEqual([]);
    });

    it('makes an entry whose lease ran out (its node died) due again, with a new token', async () => {
      const e = entry('lease');
      await store.enqueue(e);
      await store.claim({ channel: 'lease', nowMs: T0, limit: 1, leaseMs: 1000, token: 'dead-node' });
      const again = await store.claim({ channel: 'lease', nowMs: T0 + 1000, limit: 1, leaseMs: 1000, token: 'live-node' });
      expect(again.map((c) => [c.id, c.attempts, c.claimToken])).toEqual([[e.id, 2, 'live-node']]);
      // The dead node's late outcome is refused; the live node's is recorded.
      expect(await store.finish(e.id, 'dead-node', { status: 'delivered', deliveredAt: new Date(T0).toISOString() }, attempt(e.id, 1))).toBe(false);
      expect(await store.finish(e.id, 'live-node', { status: 'delivered', deliveredAt: new Date(T0 + 1200).toISOString() }, attempt(e.id, 2))).toBe(true);
      expect(await store.get(e.id)).toMatchObject({ status: 'delivered', deliveredAt: new Date(T0 + 1200).toISOString(), claimToken: null });
      expect((await store.deliveries(e.id)).map((d) => d.attempt)).toEqual([2]);
    });

    it('claims no more than the limit, oldest first', async () => {
      const es = Array.from({ length: 5 }, (_, i) => entry('limit', { createdAt: new Date(T0 + i).toISOString() }));
      for (const e of es) await store.enqueue(e);
      const first = await store.claim({ channel: 'limit', nowMs: T0, limit: 2, leaseMs: 60_000, token: 'a' });
      expect(first.map((e) => e.id)).toEqual([es[0]!.id, es[1]!.id]);
      const rest = await store.claim({ channel: 'limit', nowMs: T0, limit: 10, leaseMs: 60_000, token: 'b' });
      expect(rest.map((e) => e.id)).toEqual(es.slice(2).map((e) => e.id));
    });

    it('never hands the same entry to two concurrent claimers', async () => {
      const ids = new Set<string>();
      for (let i = 0; i < 30; i++) {
        const e = entry('race');
        ids.add(e.id);
        await store.enqueue(e);
      }
      const results = await Promise.all(Array.from({ length: 6 }, (_, i) => store.claim({ channel: 'race', nowMs: T0, limit: 8, leaseMs: 60_000, token: `node-${i}` })));
      const claimed = results.flat().map((e) => e.id);
      expect(new Set(claimed).size).toBe(claimed.length);
      expect(claimed.length).toBe(30);
      expect(new Set(claimed)).toEqual(ids);
      for (const [i, batch] of results.entries()) for (const e of batch) expect(e.claimToken).toBe(`node-${i}`);
    });

    it('records a retry with its error and due time, and the delivery log row', async () => {
      const e = entry('retry');
      await store.enqueue(e);
      await store.claim({ channel: 'retry', nowMs: T0, limit: 1, leaseMs: 1000, token: 't' });
      const ok = await store.finish(e.id, 't', { status: 'pending', nextAttemptAt: T0 + 30_000, lastError: 'HTTP 500 from http://127.0.0.1:1', progress: ['+815012345678'] }, attempt(e.id, 1, { outcome: 'retry', httpStatus: 500, error: 'HTTP 500', latencyMs: 33.4 }));
      expect(ok).toBe(true);
      expect(await store.get(e.id)).toMatchObject({ status: 'pending', attempts: 1, nextAttemptAt: T0 + 30_000, lastError: 'HTTP 500 from http://127.0.0.1:1', progress: ['+815012345678'], claimToken: null });
      expect(await store.claim({ channel: 'retry', nowMs: T0 + 29_999, limit: 1, leaseMs: 1000, token: 'u' })).toEqual([]);
      expect((await store.claim({ channel: 'retry', nowMs: T0 + 30_000, limit: 1, leaseMs: 1000, token: 'u' }))[0]).toMatchObject({ id: e.id, attempts: 2 });
      expect(await store.finish(e.id, 'u', { status: 'failed', lastError: 'HTTP 404 (final)' }, attempt(e.id, 2, { outcome: 'failed', httpStatus: 404, error: 'HTTP 404 (final)' }))).toBe(true);
      expect(await store.get(e.id)).toMatchObject({ status: 'failed', lastError: 'HTTP 404 (final)' });
      expect(await store.deliveries(e.id)).toEqual([
        { outboxId: e.id, attempt: 1, time: new Date(T0).toISOString(), outcome: 'retry', latencyMs: 33, httpStatus: 500, error: 'HTTP 500' },
        { outboxId: e.id, attempt: 2, time: new Date(T0).toISOString(), outcome: 'failed', latencyMs: 12, httpStatus: 404, error: 'HTTP 404 (final)' },
      ]);
    });

    it('gives a released entry back untried', async () => {
      const e = entry('release');
      await store.enqueue(e);
      await store.claim({ channel: 'release', nowMs: T0, limit: 1, leaseMs: 60_000, token: 'stopping' });
      expect(await store.release(e.id, 'other', T0)).toBe(false);
      expect(await store.release(e.id, 'stopping', T0 + 10)).toBe(true);
      expect(await store.get(e.id)).toMatchObject({ status: 'pending', attempts: 0, nextAttemptAt: T0 + 10, claimToken: null });
    });

    it('counts entries by status and purges old finished ones with their log', async () => {
      const before = await store.countByStatus();
      const old = entry('purge', { createdAt: new Date(T0 - 86_400_000).toISOString() });
      const fresh = entry('purge');
      await store.enqueue(old);
      await store.enqueue(fresh);
      for (const [e, tok] of [[old, 'p1'], [fresh, 'p2']] as const) {
        const claimed = await store.claim({ channel: 'purge', nowMs: T0, limit: 1, leaseMs: 1000, token: tok });
        expect(claimed.map((c) => c.id)).toEqual([e.id]);
        expect(await store.finish(e.id, tok, { status: 'delivered', deliveredAt: new Date(T0).toISOString() }, attempt(e.id, 1))).toBe(true);
      }
      const after = await store.countByStatus();
      expect(after.delivered - before.delivered).toBe(2);
      expect(await store.purgeFinished(new Date(T0 - 1000).toISOString())).toBe(1);
      expect(await store.get(old.id)).toBeUndefined();
      expect(await store.deliveries(old.id)).toEqual([]);
      expect(await store.get(fresh.id)).toBeDefined();
    });
  });
}
