/**
 * The state store port: configuration objects and their versions, API tokens and the audit
 * trail, in Kansoku's own words. Adapters (src/store/state/) implement it on SQLite and
 * PostgreSQL through one Kysely code path; domain code sees only these interfaces.
 *
 * Invariant: every change runs inside `transaction()`, and the audit record describing it is
 * appended through the same transaction, so no change can commit without its record.
 */
export type Role = 'admin' | 'editor' | 'viewer';
export const ROLES: readonly Role[] = ['viewer', 'editor', 'admin'];

export interface ObjectMeta {
  name: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface StoredObject {
  kind: string;
  name: string;
  uid: string;
  version: number;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  spec: unknown;
  createdAt: string;
  updatedAt: string;
  /** Actor name of the last change. */
  updatedBy: string;
  /** Version written or confirmed by the latest `apply`; null when never applied. */
  lastAppliedVersion: number | null;
  /** The apply set that manages the object (config as code), null when created by hand. */
  applySet: string | null;
}

export type ChangeType = 'create' | 'update' | 'delete';

export interface ObjectVersion {
  kind: string;
  name: string;
  uid: string;
  version: number;
  change: ChangeType;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** The spec as of this version (for a delete: the spec that was deleted). */
  spec: unknown;
  time: string;
  actor: string;
  /** Audit sequence number of the change. */
  auditSeq: number;
}

export type AuditOutcome = 'success' | 'failure' | 'denied';

export interface AuditInput {
  time: string;
  actorId: string | null;
  actorName: string;
  sourceIp: string | null;
  userAgent: string | null;
  requestId: string | null;
  action: string;
  objectKind: string | null;
  objectName: string | null;
  objectVersion: number | null;
  /** Redacted JSON text of the object before / after the change. */
  before: string | null;
  after: string | null;
  outcome: AuditOutcome;
  detail: string | null;
}

export interface AuditRecord extends AuditInput {
  seq: number;
  prevHash: string;
  hash: string;
}

export interface AuditHead {
  seq: number;
  hash: string;
}

export interface AuditFilter {
  actor?: string;
  action?: string;
  kind?: string;
  name?: string;
  outcome?: AuditOutcome;
  since?: string;
  until?: string;
  afterSeq?: number;
  limit?: number;
  order?: 'asc' | 'desc';
}

export interface ApiToken {
  id: string;
  name: string;
  role: Role;
  createdAt: string;
  createdBy: string;
  revokedAt: string | null;
  lastUsedAt: string | null;
  expiresAt: string | null;
}

/** The current state of one check, as the checks module last recorded it. */
export interface StoredCheckState {
  name: string;
  status: 'pending' | 'ok' | 'warning' | 'critical' | 'unknown';
  hard: boolean;
  since: string | null;
  message: string;
  /** JSON with the rest: attempt, flapping, per-location states. */
  detail: unknown;
  updatedAt: string;
}

export interface StateReader {
  getObject(kind: string, name: string): Promise<StoredObject | undefined>;
  listObjects(q?: { kind?: string }): Promise<StoredObject[]>;
  listVersions(kind: string, name: string): Promise<ObjectVersion[]>;
  getVersion(kind: string, name: string, version: number): Promise<ObjectVersion | undefined>;
  queryAudit(filter: AuditFilter): Promise<AuditRecord[]>;
  auditHead(): Promise<AuditHead>;
  getTokenByHash(hash: string): Promise<(ApiToken & { hash: string }) | undefined>;
  listTokens(): Promise<ApiToken[]>;
  countTokens(): Promise<number>;
  listCheckStates(): Promise<StoredCheckState[]>;
}

export interface StateTx extends StateReader {
  insertObject(obj: StoredObject): Promise<void>;
  /** Fails with ConflictError when the stored version is not `expectedVersion`. */
  updateObject(obj: StoredObject, expectedVersion: number): Promise<void>;
  deleteObject(kind: string, name: string, expectedVersion: number): Promise<void>;
  appendVersion(v: ObjectVersion): Promise<void>;
  /** Chains the record onto the head and returns it with its sequence number and hash. */
  appendAudit(rec: AuditInput): Promise<AuditRecord>;
  insertToken(t: ApiToken & { hash: string }): Promise<void>;
  revokeToken(id: string, at: string): Promise<boolean>;
}

export interface StateStore extends StateReader {
  readonly engine: 'sqlite' | 'postgres';
  transaction<T>(fn: (tx: StateTx) => Promise<T>): Promise<T>;
  /** Best-effort bookkeeping outside any transaction (never audited: not a change). */
  touchToken(id: string, at: string): Promise<void>;
  /** Operational state, not configuration: written outside the audit trail. */
  putCheckState(s: StoredCheckState): Promise<void>;
  deleteCheckState(name: string): Promise<void>;
  close(): Promise<void>;
}
