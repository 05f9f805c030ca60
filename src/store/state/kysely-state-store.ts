import { Migrator, sql, type Kysely, type Transaction } from 'kysely';
import { ConflictError, StoreError } from '../../lib/errors.js';
import { hashAuditRecord } from '../../audit/hash-chain.js';
import { stateMigrationProvider } from './migrations.js';
import type { StateDatabase } from './schema.js';
import type {
  ApiToken,
  AuditFilter,
  AuditHead,
  AuditInput,
  AuditRecord,
  AuditOutcome,
  ObjectVersion,
  Role,
  StoredCheckState,
  StateStore,
  StateTx,
  StoredObject,
  ChangeType,
} from '../state-store.js';

type Db = Kysely<StateDatabase> | Transaction<StateDatabase>;
type ObjectRow = StateDatabase['inventory_objects'];
type VersionRow = StateDatabase['inventory_versions'];
type AuditRow = StateDatabase['audit_events'];
type TokenRow = StateDatabase['auth_tokens'];

function toObject(r: ObjectRow): StoredObject {
  return {
    kind: r.kind,
    name: r.name,
    uid: r.uid,
    version: Number(r.version),
    labels: JSON.parse(r.labels) as Record<string, string>,
    annotations: JSON.parse(r.annotations) as Record<string, string>,
    spec: JSON.parse(r.spec) as unknown,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    updatedBy: r.updated_by,
    lastAppliedVersion: r.last_applied_version === null ? null : Number(r.last_applied_version),
    applySet: r.apply_set,
  };
}

function fromObject(o: StoredObject): ObjectRow {
  return {
    kind: o.kind,
    name: o.name,
    uid: o.uid,
    version: o.version,
    labels: JSON.stringify(o.labels),
    annotations: JSON.stringify(o.annotations),
    spec: JSON.stringify(o.spec),
    created_at: o.createdAt,
    updated_at: o.updatedAt,
    updated_by: o.updatedBy,
    last_applied_version: o.lastAppliedVersion,
    apply_set: o.applySet,
  };
}

function toVersion(r: VersionRow): ObjectVersion {
  return {
    kind: r.kind,
    name: r.name,
    uid: r.uid,
    version: Number(r.version),
    change: r.change as ChangeType,
    labels: JSON.parse(r.labels) as Record<string, string>,
    annotations: JSON.parse(r.annotations) as Record<string, string>,
    spec: JSON.parse(r.spec) as unknown,
    time: r.time,
    actor: r.actor,
    auditSeq: Number(r.audit_seq),
  };
}

function toAudit(r: AuditRow): AuditRecord {
  return {
    seq: Number(r.seq),
    time: r.time,
    actorId: r.actor_id,
    actorName: r.actor_name,
    sourceIp: r.source_ip,
    userAgent: r.user_agent,
    requestId: r.request_id,
    action: r.action,
    objectKind: r.object_kind,
    objectName: r.object_name,
    objectVersion: r.object_version === null ? null : Number(r.object_version),
    before: r.before_json,
    after: r.after_json,
    outcome: r.outcome as AuditOutcome,
    detail: r.detail,
    prevHash: r.prev_hash,
    hash: r.hash,
  };
}

function toToken(r: TokenRow): ApiToken & { hash: string } {
  return {
    id: r.id,
    name: r.name,
    role: r.role as Role,
    hash: r.hash,
    createdAt: r.created_at,
    createdBy: r.created_by,
    revokedAt: r.revoked_at,
    lastUsedAt: r.last_used_at,
    expiresAt: r.expires_at,
  };
}

/** Reads and writes shared by the store and its transactions; `db` is either. */
class KyselyStateAccess implements StateTx {
  constructor(
    protected readonly db: Db,
    protected readonly dialect: 'sqlite' | 'postgres',
  ) {}

  async getObject(kind: string, name: string) {
    const r = await this.db.selectFrom('inventory_objects').selectAll().where('kind', '=', kind).where('name', '=', name).executeTakeFirst();
    return r ? toObject(r) : undefined;
  }

  async listObjects(q: { kind?: string } = {}) {
    let query = this.db.selectFrom('inventory_objects').selectAll();
    if (q.kind) query = query.where('kind', '=', q.kind);
    const rows = await query.orderBy('kind').orderBy('name').execute();
    return rows.map(toObject);
  }

  async countObjectsByKind() {
    const rows = await this.db.selectFrom('inventory_objects').select(['kind', (eb) => eb.fn.countAll<number | string | bigint>().as('n')]).groupBy('kind').execute();
    // PostgreSQL returns count(*) as a string (bigint); SQLite as a number.
    return Object.fromEntries(rows.map((r) => [r.kind, Number(r.n)]));
  }

  async listVersions(kind: string, name: string) {
    const rows = await this.db
      .selectFrom('inventory_versions')
      .selectAll()
      .where('kind', '=', kind)
      .where('name', '=', name)
      .orderBy('version')
      .execute();
    return rows.map(toVersion);
  }

  async getVersion(kind: string, name: string, version: number) {
    const r = await this.db
      .selectFrom('inventory_versions')
      .selectAll()
      .where('kind', '=', kind)
      .where('name', '=', name)
      .where('version', '=', version)
      .executeTakeFirst();
    return r ? toVersion(r) : undefined;
  }

  async listKindVersions(kind: string) {
    const rows = await this.db.selectFrom('inventory_versions').selectAll().where('kind', '=', kind).orderBy('name').orderBy('version').execute();
    return rows.map(toVersion);
  }

  async queryAudit(f: AuditFilter) {
    let q = this.db.selectFrom('audit_events').selectAll();
    if (f.actor) q = q.where('actor_name', '=', f.actor);
    if (f.action) q = f.action.endsWith('*') ? q.where('action', 'like', `${f.action.slice(0, -1)}%`) : q.where('action', '=', f.action);
    if (f.kind) q = q.where('object_kind', '=', f.kind);
    if (f.name) q = q.where('object_name', '=', f.name);
    if (f.outcome) q = q.where('outcome', '=', f.outcome);
    if (f.since) q = q.where('time', '>=', f.since);
    if (f.until) q = q.where('time', '<', f.until);
    if (f.afterSeq !== undefined) q = f.order === 'desc' ? q.where('seq', '<', f.afterSeq) : q.where('seq', '>', f.afterSeq);
    q = q.orderBy('seq', f.order === 'desc' ? 'desc' : 'asc');
    if (f.limit !== undefined) q = q.limit(f.limit);
    return (await q.execute()).map(toAudit);
  }

  async auditHead(): Promise<AuditHead> {
    const r = await this.db.selectFrom('audit_head').select(['seq', 'hash']).where('id', '=', 1).executeTakeFirstOrThrow();
    return { seq: Number(r.seq), hash: r.hash };
  }

  async getTokenByHash(hash: string) {
    const r = await this.db.selectFrom('auth_tokens').selectAll().where('hash', '=', hash).executeTakeFirst();
    return r ? toToken(r) : undefined;
  }

  async listTokens() {
    const rows = await this.db.selectFrom('auth_tokens').selectAll().orderBy('created_at').orderBy('id').execute();
    return rows.map((r) => {
      const { hash: _hash, ...t } = toToken(r);
      return t;
    });
  }

  async countTokens() {
    const r = await this.db.selectFrom('auth_tokens').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    return Number(r.n);
  }

  async listCheckStates(): Promise<StoredCheckState[]> {
    const rows = await this.db.selectFrom('check_states').selectAll().orderBy('name').execute();
    return rows.map((r) => ({
      name: r.name,
      status: r.status as StoredCheckState['status'],
      hard: Number(r.hard) === 1,
      since: r.since,
      message: r.message,
      detail: JSON.parse(r.detail) as unknown,
      updatedAt: r.updated_at,
    }));
  }

  async insertObject(obj: StoredObject) {
    try {
      await this.db.insertInto('inventory_objects').values(fromObject(obj)).execute();
    } catch (err) {
      if (isUniqueViolation(err)) throw new ConflictError('KSK_OBJECT_EXISTS', `${obj.kind}/${obj.name} already exists`, { cause: err });
      throw err;
    }
  }

  async updateObject(obj: StoredObject, expectedVersion: number) {
    const { kind, name, ...rest } = fromObject(obj);
    const r = await this.db
      .updateTable('inventory_objects')
      .set(rest)
      .where('kind', '=', kind)
      .where('name', '=', name)
      .where('version', '=', expectedVersion)
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) !== 1) {
      throw new ConflictError('KSK_OBJECT_VERSION_CONFLICT', `${kind}/${name} was changed by someone else (expected version ${expectedVersion}); read it again and retry`);
    }
  }

  async deleteObject(kind: string, name: string, expectedVersion: number) {
    const r = await this.db
      .deleteFrom('inventory_objects')
      .where('kind', '=', kind)
      .where('name', '=', name)
      .where('version', '=', expectedVersion)
      .executeTakeFirst();
    if (Number(r.numDeletedRows) !== 1) {
      throw new ConflictError('KSK_OBJECT_VERSION_CONFLICT', `${kind}/${name} was changed by someone else (expected version ${expectedVersion}); read it again and retry`);
    }
  }

  async appendVersion(v: ObjectVersion) {
    await this.db
      .insertInto('inventory_versions')
      .values({
        kind: v.kind,
        name: v.name,
        uid: v.uid,
        version: v.version,
        change: v.change,
        labels: JSON.stringify(v.labels),
        annotations: JSON.stringify(v.annotations),
        spec: JSON.stringify(v.spec),
        time: v.time,
        actor: v.actor,
        audit_seq: v.auditSeq,
      })
      .execute();
  }

  async rewriteVersionSpec(kind: string, name: string, version: number, spec: unknown) {
    await this.db.updateTable('inventory_versions').set({ spec: JSON.stringify(spec) }).where('kind', '=', kind).where('name', '=', name).where('version', '=', version).execute();
  }

  async appendAudit(rec: AuditInput): Promise<AuditRecord> {
    const head = await this.auditHead();
    const seq = head.seq + 1;
    const hash = hashAuditRecord(seq, head.hash, rec);
    await this.db
      .insertInto('audit_events')
      .values({
        seq,
        time: rec.time,
        actor_id: rec.actorId,
        actor_name: rec.actorName,
        source_ip: rec.sourceIp,
        user_agent: rec.userAgent,
        request_id: rec.requestId,
        action: rec.action,
        object_kind: rec.objectKind,
        object_name: rec.objectName,
        object_version: rec.objectVersion,
        before_json: rec.before,
        after_json: rec.after,
        outcome: rec.outcome,
        detail: rec.detail,
        prev_hash: head.hash,
        hash,
      })
      .execute();
    await this.db.updateTable('audit_head').set({ seq, hash }).where('id', '=', 1).execute();
    return { ...rec, seq, prevHash: head.hash, hash };
  }

  async insertToken(t: ApiToken & { hash: string }) {
    await this.db
      .insertInto('auth_tokens')
      .values({
        id: t.id,
        name: t.name,
        role: t.role,
        hash: t.hash,
        created_at: t.createdAt,
        created_by: t.createdBy,
        revoked_at: t.revokedAt,
        last_used_at: t.lastUsedAt,
        expires_at: t.expiresAt,
      })
      .execute();
  }

  async revokeToken(id: string, at: string) {
    const r = await this.db.updateTable('auth_tokens').set({ revoked_at: at }).where('id', '=', id).where('revoked_at', 'is', null).executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }
}

function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  return e?.code === '23505' || e?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || e?.code === 'SQLITE_CONSTRAINT_UNIQUE';
}

/**
 * The state store on any Kysely dialect. Write transactions are serialised: SQLite has one
 * connection; on PostgreSQL each transaction first locks the audit head row, which every change
 * must update anyway, so the hash chain has exactly one writer at a time and row locks are always
 * taken in the same order (no deadlocks).
 */
export class KyselyStateStore extends KyselyStateAccess implements StateStore {
  readonly engine: 'sqlite' | 'postgres';
  constructor(
    private readonly kysely: Kysely<StateDatabase>,
    dialect: 'sqlite' | 'postgres',
    private readonly onClose: () => Promise<void> = async () => {},
  ) {
    super(kysely, dialect);
    this.engine = dialect;
  }

  /** The Kysely instance, for adapters of other ports that share this database (the notify outbox). */
  get database(): Kysely<StateDatabase> {
    return this.kysely;
  }

  async migrate(): Promise<void> {
    const migrator = new Migrator({ db: this.kysely, provider: stateMigrationProvider, migrationTableName: 'kansoku_migrations', migrationLockTableName: 'kansoku_migrations_lock' });
    const { error, results } = await migrator.migrateToLatest();
    if (error) {
      const failed = results?.find((r) => r.status === 'Error');
      throw new StoreError('KSK_STATE_MIGRATION', `state store migration ${failed?.migrationName ?? ''} failed: ${(error as Error).message}`, undefined, { cause: error });
    }
  }

  async transaction<T>(fn: (tx: StateTx) => Promise<T>): Promise<T> {
    return this.kysely.transaction().execute(async (trx) => {
      if (this.engine === 'postgres') {
        await sql`select seq from audit_head where id = 1 for update`.execute(trx);
      }
      return fn(new KyselyStateAccess(trx, this.engine));
    });
  }

  async putCheckState(c: StoredCheckState) {
    const row = { status: c.status, hard: c.hard ? 1 : 0, since: c.since, message: c.message, detail: JSON.stringify(c.detail ?? {}), updated_at: c.updatedAt };
    await this.kysely
      .insertInto('check_states')
      .values({ name: c.name, ...row })
      .onConflict((oc) => oc.column('name').doUpdateSet(row))
      .execute();
  }

  async deleteCheckState(name: string) {
    await this.kysely.deleteFrom('check_states').where('name', '=', name).execute();
  }

  async touchToken(id: string, at: string) {
    await this.kysely.updateTable('auth_tokens').set({ last_used_at: at }).where('id', '=', id).execute();
  }

  async close() {
    await this.kysely.destroy();
    await this.onClose();
  }
}
