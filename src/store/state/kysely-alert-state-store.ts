import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type {
  AlertEventRecord,
  AlertNotificationRecord,
  AlertStateBatch,
  AlertStateSnapshot,
  AlertStateStore,
  DispatchLogRecord,
  EscalationRecord,
  PersistedAlert,
  PersistedAlertState,
} from '../state-store.js';

/**
 * Alert state on the state database (tables from migration 0004_alert_state), one Kysely code
 * path for SQLite and PostgreSQL. A batch is one transaction, so an instance, its history line
 * and the dispatch log entry written together are never seen half-written after a crash.
 */
export interface AlertStateTables {
  alert_instances: {
    fingerprint: string;
    labels: string;
    annotations: string;
    state: string;
    rule: string | null;
    rule_state: string | null;
    active_at: number | null;
    for_started_at: number | null;
    fired_at: number | null;
    resolved_at: number | null;
    keep_firing_since: number | null;
    last_eval_at: number | null;
    value: string | null;
    series_key: string | null;
    starts_at: number | null;
    ends_at: number | null;
    generator_url: string | null;
    depends_on: string;
    reasons: string;
    ack_by: string | null;
    ack_at: number | null;
    ack_comment: string | null;
    updated_at: number;
  };
  alert_events: { id: string; fingerprint: string; at: number; event: string; detail: string };
  alert_notifications: {
    id: string;
    fingerprint: string;
    at: number;
    channel: string;
    group_key: string;
    reason: string;
    step: number | null;
    status: string;
    outcome: string;
    outbox_key: string | null;
    error: string | null;
  };
  alert_dispatch_log: { key: string; group_key: string; receiver: string; firing: string; resolved: string; at: number };
  alert_escalations: {
    key: string;
    group_key: string;
    route: string;
    policy: string;
    started_at: number;
    step_reached: number;
    next_step_at: number | null;
    notified: string;
    alerts: string;
  };
}

type InstanceRow = AlertStateTables['alert_instances'];

/** Rows per multi-row statement: far below SQLite's bound-parameter limit at 23 columns. */
const CHUNK = 200;

const num = (v: number | string | null): number | null => (v === null ? null : Number(v));

let seq = 0;
/** Row ids that sort in write order (time, then a per-process counter), so history reads back in order. */
function rowId(at: number): string {
  seq = (seq + 1) % 1_000_000;
  return `${String(Math.max(0, Math.floor(at))).padStart(15, '0')}-${String(seq).padStart(6, '0')}-${randomUUID().slice(0, 8)}`;
}

function chunks<T>(xs: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += CHUNK) out.push(xs.slice(i, i + CHUNK));
  return out;
}

function toRow(a: PersistedAlert): InstanceRow {
  return {
    fingerprint: a.fingerprint,
    labels: JSON.stringify(a.labels),
    annotations: JSON.stringify(a.annotations),
    state: a.state,
    rule: a.rule,
    rule_state: a.ruleState,
    active_at: a.activeAt,
    for_started_at: a.forStartedAt,
    fired_at: a.firedAt,
    resolved_at: a.resolvedAt,
    keep_firing_since: a.keepFiringSince,
    last_eval_at: a.lastEvalAt,
    // Text keeps NaN (a no-data alert's value), which neither engine's float column round-trips.
    value: a.value === null ? null : String(a.value),
    series_key: a.seriesKey,
    starts_at: a.startsAt,
    ends_at: a.endsAt,
    generator_url: a.generatorURL,
    depends_on: JSON.stringify(a.dependsOn),
    reasons: JSON.stringify(a.reasons),
    ack_by: a.ack?.by ?? null,
    ack_at: a.ack?.at ?? null,
    ack_comment: a.ack?.comment ?? null,
    updated_at: a.updatedAt,
  };
}

function fromRow(r: InstanceRow): PersistedAlert {
  return {
    fingerprint: r.fingerprint,
    labels: JSON.parse(r.labels) as Record<string, string>,
    annotations: JSON.parse(r.annotations) as Record<string, string>,
    state: r.state as PersistedAlertState,
    rule: r.rule,
    ruleState: r.rule_state as PersistedAlert['ruleState'],
    activeAt: num(r.active_at),
    forStartedAt: num(r.for_started_at),
    firedAt: num(r.fired_at),
    resolvedAt: num(r.resolved_at),
    keepFiringSince: num(r.keep_firing_since),
    lastEvalAt: num(r.last_eval_at),
    value: r.value === null ? null : Number(r.value),
    seriesKey: r.series_key,
    startsAt: num(r.starts_at),
    endsAt: num(r.ends_at),
    generatorURL: r.generator_url,
    dependsOn: JSON.parse(r.depends_on) as string[],
    reasons: JSON.parse(r.reasons) as string[],
    ack: r.ack_by !== null && r.ack_at !== null ? { by: r.ack_by, at: Number(r.ack_at), comment: r.ack_comment ?? '' } : null,
    updatedAt: Number(r.updated_at),
  };
}

export class KyselyAlertStateStore implements AlertStateStore {
  private readonly db: Kysely<AlertStateTables>;

  /** `db` is the state store's Kysely instance (any database type); only the alert tables are touched. */
  constructor(db: object) {
    this.db = db as unknown as Kysely<AlertStateTables>;
  }

  async writeAlertState(b: AlertStateBatch): Promise<void> {
    const empty =
      !b.upsert?.length && !b.remove?.length && !b.events?.length && !b.notifications?.length && !b.putDispatchLog?.length && !b.removeDispatchLog?.length && !b.putEscalations?.length && !b.removeEscalations?.length && !b.lastEvaluation?.length;
    if (empty) return;
    await this.db.transaction().execute(async (trx) => {
      for (const part of chunks(b.upsert ?? [])) {
        // The last write of a fingerprint in one batch wins (a statement may not touch a row twice).
        const rows = [...new Map(part.map((a) => [a.fingerprint, toRow(a)])).values()];
        await trx
          .insertInto('alert_instances')
          .values(rows)
          .onConflict((oc) =>
            oc.column('fingerprint').doUpdateSet((eb) => ({
              labels: eb.ref('excluded.labels'),
              annotations: eb.ref('excluded.annotations'),
              state: eb.ref('excluded.state'),
              rule: eb.ref('excluded.rule'),
              rule_state: eb.ref('excluded.rule_state'),
              active_at: eb.ref('excluded.active_at'),
              for_started_at: eb.ref('excluded.for_started_at'),
              fired_at: eb.ref('excluded.fired_at'),
              resolved_at: eb.ref('excluded.resolved_at'),
              keep_firing_since: eb.ref('excluded.keep_firing_since'),
              last_eval_at: eb.ref('excluded.last_eval_at'),
              value: eb.ref('excluded.value'),
              series_key: eb.ref('excluded.series_key'),
              starts_at: eb.ref('excluded.starts_at'),
              ends_at: eb.ref('excluded.ends_at'),
              generator_url: eb.ref('excluded.generator_url'),
              depends_on: eb.ref('excluded.depends_on'),
              reasons: eb.ref('excluded.reasons'),
              ack_by: eb.ref('excluded.ack_by'),
              ack_at: eb.ref('excluded.ack_at'),
              ack_comment: eb.ref('excluded.ack_comment'),
              updated_at: eb.ref('excluded.updated_at'),
            })),
          )
          .execute();
      }
      for (const e of b.lastEvaluation ?? []) {
        await trx.updateTable('alert_instances').set({ last_eval_at: e.at }).where('rule', '=', e.rule).where('rule_state', 'in', ['pending', 'firing']).execute();
      }
      for (const part of chunks(b.events ?? [])) {
        await trx
          .insertInto('alert_events')
          .values(part.map((e) => ({ id: rowId(e.at), fingerprint: e.fingerprint, at: e.at, event: e.event, detail: e.detail })))
          .execute();
      }
      for (const part of chunks(b.notifications ?? [])) {
        await trx
          .insertInto('alert_notifications')
          .values(
            part.map((n) => ({
              id: rowId(n.at),
              fingerprint: n.fingerprint,
              at: n.at,
              channel: n.channel,
              group_key: n.groupKey,
              reason: n.reason,
              step: n.step,
              status: n.status,
              outcome: n.outcome,
              outbox_key: n.outboxKey,
              error: n.error,
            })),
          )
          .execute();
      }
      for (const part of chunks(b.remove ?? [])) {
        await trx.deleteFrom('alert_events').where('fingerprint', 'in', part).execute();
        await trx.deleteFrom('alert_notifications').where('fingerprint', 'in', part).execute();
        await trx.deleteFrom('alert_instances').where('fingerprint', 'in', part).execute();
      }
      for (const part of chunks(b.removeDispatchLog ?? [])) await trx.deleteFrom('alert_dispatch_log').where('key', 'in', part).execute();
      for (const part of chunks(b.putDispatchLog ?? [])) {
        const rows = [...new Map(part.map((d) => [d.key, { key: d.key, group_key: d.groupKey, receiver: d.receiver, firing: JSON.stringify(d.firing), resolved: JSON.stringify(d.resolved), at: d.at }])).values()];
        await trx
          .insertInto('alert_dispatch_log')
          .values(rows)
          .onConflict((oc) =>
            oc.column('key').doUpdateSet((eb) => ({
              group_key: eb.ref('excluded.group_key'),
              receiver: eb.ref('excluded.receiver'),
              firing: eb.ref('excluded.firing'),
              resolved: eb.ref('excluded.resolved'),
              at: eb.ref('excluded.at'),
            })),
          )
          .execute();
      }
      for (const part of chunks(b.removeEscalations ?? [])) await trx.deleteFrom('alert_escalations').where('key', 'in', part).execute();
      for (const part of chunks(b.putEscalations ?? [])) {
        const rows = [
          ...new Map(
            part.map((e) => [
              e.key,
              {
                key: e.key,
                group_key: e.groupKey,
                route: e.route,
                policy: e.policy,
                started_at: e.startedAt,
                step_reached: e.stepReached,
                next_step_at: e.nextStepAt,
                notified: JSON.stringify(e.notified),
                alerts: JSON.stringify(e.alerts),
              },
            ]),
          ).values(),
        ];
        await trx
          .insertInto('alert_escalations')
          .values(rows)
          .onConflict((oc) =>
            oc.column('key').doUpdateSet((eb) => ({
              group_key: eb.ref('excluded.group_key'),
              route: eb.ref('excluded.route'),
              policy: eb.ref('excluded.policy'),
              started_at: eb.ref('excluded.started_at'),
              step_reached: eb.ref('excluded.step_reached'),
              next_step_at: eb.ref('excluded.next_step_at'),
              notified: eb.ref('excluded.notified'),
              alerts: eb.ref('excluded.alerts'),
            })),
          )
          .execute();
      }
    });
  }

  async loadAlertState(): Promise<AlertStateSnapshot> {
    const alerts = (await this.db.selectFrom('alert_instances').selectAll().orderBy('fingerprint').execute()).map(fromRow);
    const dispatchLog: DispatchLogRecord[] = (await this.db.selectFrom('alert_dispatch_log').selectAll().orderBy('key').execute()).map((r) => ({
      key: r.key,
      groupKey: r.group_key,
      receiver: r.receiver,
      firing: JSON.parse(r.firing) as string[],
      resolved: JSON.parse(r.resolved) as string[],
      at: Number(r.at),
    }));
    const escalations: EscalationRecord[] = (await this.db.selectFrom('alert_escalations').selectAll().orderBy('key').execute()).map((r) => ({
      key: r.key,
      groupKey: r.group_key,
      route: r.route,
      policy: r.policy,
      startedAt: Number(r.started_at),
      stepReached: Number(r.step_reached),
      nextStepAt: num(r.next_step_at),
      notified: JSON.parse(r.notified) as string[],
      alerts: JSON.parse(r.alerts) as string[],
    }));
    return { alerts, dispatchLog, escalations };
  }

  async getAlert(fingerprint: string): Promise<PersistedAlert | undefined> {
    const r = await this.db.selectFrom('alert_instances').selectAll().where('fingerprint', '=', fingerprint).executeTakeFirst();
    return r ? fromRow(r) : undefined;
  }

  async alertEvents(fingerprint: string, limit = 200): Promise<AlertEventRecord[]> {
    const rows = await this.db.selectFrom('alert_events').selectAll().where('fingerprint', '=', fingerprint).orderBy('id', 'desc').limit(limit).execute();
    return rows.map((r) => ({ fingerprint: r.fingerprint, at: Number(r.at), event: r.event, detail: r.detail })).reverse();
  }

  async alertNotifications(fingerprint: string, limit = 200): Promise<AlertNotificationRecord[]> {
    const rows = await this.db.selectFrom('alert_notifications').selectAll().where('fingerprint', '=', fingerprint).orderBy('id', 'desc').limit(limit).execute();
    return rows
      .map((r) => ({
        fingerprint: r.fingerprint,
        at: Number(r.at),
        channel: r.channel,
        groupKey: r.group_key,
        reason: r.reason as AlertNotificationRecord['reason'],
        step: num(r.step),
        status: r.status as AlertNotificationRecord['status'],
        outcome: r.outcome as AlertNotificationRecord['outcome'],
        outboxKey: r.outbox_key,
        error: r.error,
      }))
      .reverse();
  }

  async purgeResolvedAlerts(beforeMs: number): Promise<number> {
    const old = (await this.db.selectFrom('alert_instances').select('fingerprint').where('state', '=', 'resolved').where('ends_at', '<', beforeMs).execute()).map((r) => r.fingerprint);
    if (old.length) await this.writeAlertState({ remove: old });
    return old.length;
  }
}
