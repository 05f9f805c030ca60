import { sql, type Kysely } from 'kysely';
import { StoreError } from '../../lib/errors.js';
import type {
  ClaimRequest,
  DeliveryAttempt,
  DeliveryOutcome,
  NewOutboxEntry,
  OutboxEntry,
  OutboxFinish,
  OutboxStatus,
  OutboxStore,
} from '../../notify/outbox-store.js';

/**
 * The notification outbox on the state database (tables from migration 0002_notify_outbox), one
 * Kysely code path for SQLite and PostgreSQL.
 *
 * Claiming is one UPDATE … WHERE id IN (SELECT … LIMIT n) RETURNING statement. On SQLite a
 * statement holds the database's write lock, so it is atomic across processes sharing the file.
 * On PostgreSQL the inner SELECT (run once, as ARRAY(…)) takes row locks FOR UPDATE SKIP LOCKED, so concurrent
 * dispatchers on several nodes claim disjoint rows without waiting on each other, and the outer
 * WHERE re-checks status and due time on the locked row version.
 */
export interface OutboxTables {
  notify_outbox: {
    id: string;
    idempotency_key: string;
    channel: string;
    payload: string;
    status: string;
    attempts: number;
    next_attempt_at: number | string;
    last_error: string | null;
    created_at: string;
    delivered_at: string | null;
    claim_token: string | null;
    progress: string | null;
  };
  notify_deliveries: {
    outbox_id: string;
    attempt: number;
    time: string;
    outcome: string;
    latency_ms: number;
    http_status: number | null;
    error: string | null;
  };
}

type OutboxRow = OutboxTables['notify_outbox'];
type DeliveryRow = OutboxTables['notify_deliveries'];

function toEntry(r: OutboxRow): OutboxEntry {
  return {
    id: r.id,
    idempotencyKey: r.idempotency_key,
    channel: r.channel,
    payload: JSON.parse(r.payload) as unknown,
    status: r.status as OutboxStatus,
    attempts: Number(r.attempts),
    nextAttemptAt: Number(r.next_attempt_at),
    lastError: r.last_error,
    createdAt: r.created_at,
    deliveredAt: r.delivered_at,
    claimToken: r.claim_token,
    progress: r.progress ? (JSON.parse(r.progress) as string[]) : [],
  };
}

function toAttempt(r: DeliveryRow): DeliveryAttempt {
  return {
    outboxId: r.outbox_id,
    attempt: Number(r.attempt),
    time: r.time,
    outcome: r.outcome as DeliveryOutcome,
    latencyMs: Number(r.latency_ms),
    httpStatus: r.http_status === null ? null : Number(r.http_status),
    error: r.error,
  };
}

export class KyselyOutboxStore implements OutboxStore {
  private readonly db: Kysely<OutboxTables>;

  /**
   * `db` is the state store's Kysely instance (any database type: only the outbox tables are
   * touched); `dialect` picks the locking clause.
   */
  constructor(
    db: Kysely<unknown> | Kysely<OutboxTables>,
    private readonly dialect: 'sqlite' | 'postgres',
  ) {
    this.db = db as unknown as Kysely<OutboxTables>;
  }

  async enqueue(e: NewOutboxEntry): Promise<{ id: string; created: boolean }> {
    const r = await this.db
      .insertInto('notify_outbox')
      .values({
        id: e.id,
        idempotency_key: e.idempotencyKey,
        channel: e.channel,
        payload: JSON.stringify(e.payload),
        status: 'pending',
        attempts: 0,
        next_attempt_at: e.nextAttemptAt,
        last_error: null,
        created_at: e.createdAt,
        delivered_at: null,
        claim_token: null,
        progress: null,
      })
      .onConflict((oc) => oc.column('idempotency_key').doNothing())
      .executeTakeFirst();
    if (Number(r.numInsertedOrUpdatedRows ?? 0n) === 1) return { id: e.id, created: true };
    const existing = await this.db.selectFrom('notify_outbox').select('id').where('idempotency_key', '=', e.idempotencyKey).executeTakeFirst();
    if (!existing) {
      // The insert lost to a row with the same primary key but another idempotency key.
      throw new StoreError('KSK_NOTIFY_OUTBOX_ID', `outbox id ${e.id} is already used by another notification`);
    }
    return { id: existing.id, created: false };
  }

  async dueChannels(nowMs: number, limit: number): Promise<string[]> {
    const rows = await this.db
      .selectFrom('notify_outbox')
      .select('channel')
      .where('status', 'in', ['pending', 'sending'])
      .where('next_attempt_at', '<=', nowMs)
      .groupBy('channel')
      .orderBy(sql`min(next_attempt_at)`)
      .limit(limit)
      .execute();
    return rows.map((r) => r.channel);
  }

  async claim(req: ClaimRequest): Promise<OutboxEntry[]> {
    if (req.limit <= 0) return [];
    const due = this.db
      .selectFrom('notify_outbox')
      .select('id')
      .where('channel', '=', req.channel)
      .where('status', 'in', ['pending', 'sending'])
      .where('next_attempt_at', '<=', req.nowMs)
      .orderBy('next_attempt_at')
      .orderBy('created_at')
      .limit(req.limit);
    // PostgreSQL may re-run an IN (SELECT … LIMIT) subquery for each candidate row and so claim
    // more than `limit` (seen in the contract test); ARRAY(SELECT …) runs it exactly once.
    const target = this.dialect === 'postgres' ? sql<boolean>`id = any(array(${due.forUpdate().skipLocked()}))` : sql<boolean>`id in (${due})`;
    const rows = await this.db
      .updateTable('notify_outbox')
      .set({
        status: 'sending',
        claim_token: req.token,
        attempts: sql<number>`attempts + 1`,
        next_attempt_at: req.nowMs + req.leaseMs,
      })
      .where(target)
      .where('status', 'in', ['pending', 'sending'])
      .where('next_attempt_at', '<=', req.nowMs)
      .returningAll()
      .execute();
    return rows.map(toEntry).sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  }

  async finish(id: string, token: string, result: OutboxFinish, attempt: DeliveryAttempt): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const base = {
        status: result.status,
        claim_token: null,
        ...(result.progress !== undefined ? { progress: JSON.stringify(result.progress) } : {}),
      };
      const values =
        result.status === 'delivered'
          ? { ...base, delivered_at: result.deliveredAt, last_error: null }
          : result.status === 'pending'
            ? { ...base, next_attempt_at: result.nextAttemptAt, last_error: result.lastError }
            : { ...base, last_error: result.lastError };
      const r = await trx.updateTable('notify_outbox').set(values).where('id', '=', id).where('claim_token', '=', token).where('status', '=', 'sending').executeTakeFirst();
      if (Number(r.numUpdatedRows) !== 1) return false;
      await trx
        .insertInto('notify_deliveries')
        .values({
          outbox_id: attempt.outboxId,
          attempt: attempt.attempt,
          time: attempt.time,
          outcome: attempt.outcome,
          latency_ms: Math.round(attempt.latencyMs),
          http_status: attempt.httpStatus,
          error: attempt.error,
        })
        .execute();
      return true;
    });
  }

  async release(id: string, token: string, nextAttemptAt: number): Promise<boolean> {
    const r = await this.db
      .updateTable('notify_outbox')
      .set({ status: 'pending', claim_token: null, next_attempt_at: nextAttemptAt, attempts: sql<number>`case when attempts > 0 then attempts - 1 else 0 end` })
      .where('id', '=', id)
      .where('claim_token', '=', token)
      .where('status', '=', 'sending')
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  async get(id: string): Promise<OutboxEntry | undefined> {
    const r = await this.db.selectFrom('notify_outbox').selectAll().where('id', '=', id).executeTakeFirst();
    return r ? toEntry(r) : undefined;
  }

  async getByKey(idempotencyKey: string): Promise<OutboxEntry | undefined> {
    const r = await this.db.selectFrom('notify_outbox').selectAll().where('idempotency_key', '=', idempotencyKey).executeTakeFirst();
    return r ? toEntry(r) : undefined;
  }

  async list(q: { status?: OutboxStatus; channel?: string; limit?: number } = {}): Promise<OutboxEntry[]> {
    let query = this.db.selectFrom('notify_outbox').selectAll();
    if (q.status) query = query.where('status', '=', q.status);
    if (q.channel) query = query.where('channel', '=', q.channel);
    query = query.orderBy('created_at').orderBy('id');
    if (q.limit !== undefined) query = query.limit(q.limit);
    return (await query.execute()).map(toEntry);
  }

  async deliveries(outboxId: string): Promise<DeliveryAttempt[]> {
    const rows = await this.db.selectFrom('notify_deliveries').selectAll().where('outbox_id', '=', outboxId).orderBy('attempt').execute();
    return rows.map(toAttempt);
  }

  async countByStatus(): Promise<Record<OutboxStatus, number>> {
    const rows = await this.db
      .selectFrom('notify_outbox')
      .select(['status', (eb) => eb.fn.countAll<number | string>().as('n')])
      .groupBy('status')
      .execute();
    const out: Record<OutboxStatus, number> = { pending: 0, sending: 0, delivered: 0, failed: 0 };
    for (const r of rows) if (r.status in out) out[r.status as OutboxStatus] = Number(r.n);
    return out;
  }

  async purgeFinished(beforeIso: string): Promise<number> {
    return this.db.transaction().execute(async (trx) => {
      const old = trx.selectFrom('notify_outbox').select('id').where('status', 'in', ['delivered', 'failed']).where('created_at', '<', beforeIso);
      await trx.deleteFrom('notify_deliveries').where('outbox_id', 'in', old).execute();
      const r = await trx.deleteFrom('notify_outbox').where('status', 'in', ['delivered', 'failed']).where('created_at', '<', beforeIso).executeTakeFirst();
      return Number(r.numDeletedRows);
    });
  }
}
