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
  /** Live objects per kind, without reading their specs (self-monitoring scrapes this often). */
  countObjectsByKind(): Promise<Record<string, number>>;
  listVersions(kind: string, name: string): Promise<ObjectVersion[]>;
  getVersion(kind: string, name: string, version: number): Promise<ObjectVersion | undefined>;
  /** Every stored version of every object of one kind, deleted objects included. */
  listKindVersions(kind: string): Promise<ObjectVersion[]>;
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
  /**
   * Replaces the stored form of a version's spec. Only for re-encoding the same content (sealing
   * or re-keying secrets at rest): a version's meaning never changes after it is written.
   */
  rewriteVersionSpec(kind: string, name: string, version: number, spec: unknown): Promise<void>;
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

/**
 * Alert state (operational, not configuration: never audited), so a restart keeps what the
 * alerting pipeline knew. Adapter: src/store/state/kysely-alert-state-store.ts; contract:
 * src/store/contract/alert-state-store.contract.ts. Times are epoch milliseconds.
 */
export type PersistedAlertState = 'pending' | 'firing' | 'resolved' | 'suppressed';

export interface PersistedAlert {
  fingerprint: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: PersistedAlertState;
  /** The AlertRule that produces it (null for check and meta-monitoring alerts). */
  rule: string | null;
  /** The rule's own state: pending | firing | inactive (null when no rule holds it). */
  ruleState: 'pending' | 'firing' | 'inactive' | null;
  /** Pending since (Prometheus's ALERTS_FOR_STATE). */
  activeAt: number | null;
  /** Where `for` counts from when a restart moved it (for_grace_period); null: activeAt. */
  forStartedAt: number | null;
  firedAt: number | null;
  resolvedAt: number | null;
  /** When the condition cleared while keepFiringFor / recoverExpr held the alert firing. */
  keepFiringSince: number | null;
  /** The rule's last evaluation that saw the alert (Prometheus's "down at" on restore). */
  lastEvalAt: number | null;
  value: number | null;
  seriesKey: string | null;
  /** Routing's view: the alert's start and end (set once resolved). */
  startsAt: number | null;
  endsAt: number | null;
  generatorURL: string | null;
  dependsOn: string[];
  /** Why it is suppressed (empty unless state is suppressed). */
  reasons: string[];
  ack: { by: string; at: number; comment: string } | null;
  updatedAt: number;
}

/** One line of an alert's state history. */
export interface AlertEventRecord {
  fingerprint: string;
  at: number;
  /** pending | firing | resolved | suppressed | acknowledged | escalated | restored. */
  event: string;
  detail: string;
}

/** One notification routing handed to delivery for an alert. */
export interface AlertNotificationRecord {
  fingerprint: string;
  at: number;
  channel: string;
  groupKey: string;
  reason: 'route' | 'escalation';
  step: number | null;
  /** The alert's status in that notification. */
  status: 'firing' | 'resolved';
  /** queued: a new outbox entry; duplicate: the same dispatch was already queued; failed: not queued. */
  outcome: 'queued' | 'duplicate' | 'failed';
  outboxKey: string | null;
  error: string | null;
}

/** Routing's notification log: what one aggregation group last told one receiver. */
export interface DispatchLogRecord {
  key: string;
  groupKey: string;
  receiver: string;
  firing: string[];
  resolved: string[];
  at: number;
}

/** An escalation episode of one aggregation group. */
export interface EscalationRecord {
  key: string;
  groupKey: string;
  route: string;
  policy: string;
  startedAt: number;
  /** Index of the last step that ran (-1: none yet). */
  stepReached: number;
  nextStepAt: number | null;
  /** Receivers notified by the steps so far (they get the resolved notification). */
  notified: string[];
  /** Fingerprints in the group when last written. */
  alerts: string[];
}

/** Everything written in one transaction. */
export interface AlertStateBatch {
  upsert?: PersistedAlert[];
  /** Fingerprints whose instance (with its history and notification log) is dropped. */
  remove?: string[];
  events?: AlertEventRecord[];
  notifications?: AlertNotificationRecord[];
  putDispatchLog?: DispatchLogRecord[];
  removeDispatchLog?: string[];
  putEscalations?: EscalationRecord[];
  removeEscalations?: string[];
  /** A rule's evaluation time for all its pending and firing instances. */
  lastEvaluation?: { rule: string; at: number }[];
}

export interface AlertStateSnapshot {
  alerts: PersistedAlert[];
  dispatchLog: DispatchLogRecord[];
  escalations: EscalationRecord[];
}

export interface AlertStateStore {
  writeAlertState(batch: AlertStateBatch): Promise<void>;
  loadAlertState(): Promise<AlertStateSnapshot>;
  getAlert(fingerprint: string): Promise<PersistedAlert | undefined>;
  /** Oldest first, at most `limit` (the newest ones). */
  alertEvents(fingerprint: string, limit?: number): Promise<AlertEventRecord[]>;
  alertNotifications(fingerprint: string, limit?: number): Promise<AlertNotificationRecord[]>;
  /** Drops resolved instances that ended before `beforeMs`, with their history; returns how many. */
  purgeResolvedAlerts(beforeMs: number): Promise<number>;
}
