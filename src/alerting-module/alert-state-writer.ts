/**
 * The alert journal: keeps the state store's copy of the alerting pipeline's state current, and
 * hands it back after a restart.
 *
 * What is written: one row per alert instance (the rule's timers: pending since, fired at,
 * keep_firing_for, last evaluation; routing's start/end, suppression and acknowledgement), a
 * history line per state change, a notification log line per alert per dispatch (with the
 * outbox key), routing's dispatch log and escalation progress.
 *
 * When: changes are collected and written in one transaction shortly after they happen
 * (`delayMs`), and every `sweepMs` (suppression changes with time: maintenance windows open
 * and close without any event). The state is compared with what was last written, so a round
 * that changes nothing writes nothing. `flush()` writes now and resolves once stored: an
 * acknowledgement is answered only after it.
 *
 * A crash between two writes loses at most `delayMs` of routing bookkeeping, never a
 * notification: the outbox (written before routing counts a notification as sent) already has
 * it, and its idempotency key makes a re-dispatch after the restart the same entry.
 */
import type { Dispatcher, DispatcherState, Notification, StoredAlert } from '../alerting/index.js';
import { errorMessage } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import type { RuleAlert, RuleManager, SavedRuleAlert } from '../rules/index.js';
import type { AlertEventRecord, AlertNotificationRecord, AlertStateBatch, AlertStateSnapshot, AlertStateStore, PersistedAlert, PersistedAlertState } from '../store/state-store.js';

export interface AlertStateWriterOptions {
  store: AlertStateStore;
  dispatcher: Dispatcher;
  rules: RuleManager;
  logger: Logger;
  /** How long changes are collected before they are written (default 200 ms). */
  delayMs?: number;
  /** How often the whole state is compared even without a change event (default 5 s). */
  sweepMs?: number;
  now?: () => number;
}

interface Written {
  sig: string;
  state: PersistedAlertState;
  ackAt: number | null;
}

export class AlertStateWriter {
  private readonly rows = new Map<string, Written>();
  private readonly dispatchLog = new Map<string, string>();
  private readonly escalations = new Map<string, string>();
  private readonly lastEvals = new Map<string, number>();
  private events: AlertEventRecord[] = [];
  private notifications: AlertNotificationRecord[] = [];
  private chain: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private sweep: NodeJS.Timeout | undefined;
  private started = false;
  private lastGc = 0;
  private readonly now: () => number;

  constructor(private readonly opts: AlertStateWriterOptions) {
    this.now = opts.now ?? Date.now;
  }

  /**
   * Reads the persisted state and puts it back: routing's alerts, dispatch log and escalations
   * into the dispatcher, pending and firing rule alerts (with Prometheus's for-state semantics)
   * into the rule manager. Call after the first reload (rules and routing configured), before
   * the rules start. Returns the snapshot (check alerts are restored from it by the caller).
   */
  async restore(ruleOpts: { forGracePeriodMs?: number; forOutageToleranceMs?: number } = {}): Promise<AlertStateSnapshot> {
    const snap = await this.opts.store.loadAlertState();
    const now = this.now();
    const routed = snap.alerts.filter((a) => a.startsAt !== null).map(toStoredAlert);
    this.opts.dispatcher.restoreState(routed, { dispatchLog: snap.dispatchLog, escalations: snap.escalations });
    const byRule: Record<string, SavedRuleAlert[]> = {};
    for (const a of snap.alerts) {
      if (!a.rule || (a.ruleState !== 'pending' && a.ruleState !== 'firing') || a.activeAt === null) continue;
      (byRule[a.rule] ??= []).push(toSavedRuleAlert(a));
    }
    this.opts.rules.restoreForState(byRule, now, ruleOpts);
    // What is stored is what was written: the first flush writes only what differs.
    for (const a of snap.alerts) {
      this.rows.set(a.fingerprint, { sig: signature(a), state: a.state, ackAt: a.ack?.at ?? null });
      if (a.state !== 'resolved') this.events.push({ fingerprint: a.fingerprint, at: now, event: 'restored', detail: `server restarted; ${a.state} since ${new Date(a.firedAt ?? a.activeAt ?? a.startsAt ?? now).toISOString()} restored` });
    }
    for (const d of snap.dispatchLog) this.dispatchLog.set(d.key, JSON.stringify(d));
    for (const e of snap.escalations) this.escalations.set(e.key, JSON.stringify(e));
    return snap;
  }

  /** Starts writing changes (after restore, so an empty memory never overwrites the store). */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.sweep = setInterval(() => this.schedule(), this.opts.sweepMs ?? 5_000);
    this.sweep.unref();
    this.schedule();
  }

  /** Something changed: write it soon. */
  schedule(): void {
    if (!this.started || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush().catch((err: unknown) => this.opts.logger.error({ err }, 'could not store alert state; retrying with the next change'));
    }, this.opts.delayMs ?? 200);
    this.timer.unref();
  }

  /** A notification routing handed to delivery (or failed to), for each alert in it. */
  notified(n: Notification, outcome: AlertNotificationRecord['outcome'], outboxKey: string | null, error: string | null = null): void {
    for (const a of n.alerts) {
      this.notifications.push({
        fingerprint: a.fingerprint,
        at: n.kansoku.dispatchedAt,
        channel: n.receiver,
        groupKey: n.groupKey,
        reason: n.kansoku.reason,
        step: n.kansoku.escalationStep ?? null,
        status: a.status,
        outcome,
        outboxKey,
        error,
      });
    }
    this.schedule();
  }

  /** Writes everything that changed now; resolves once it is stored (rejects if it is not). */
  flush(): Promise<void> {
    const run = this.chain.then(() => this.write());
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** Final write at shutdown. */
  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    if (this.sweep) clearInterval(this.sweep);
    this.timer = undefined;
    if (this.started) await this.flush();
    this.started = false;
  }

  private async write(): Promise<void> {
    const now = this.now();
    const { dispatcher, rules } = this.opts;
    if (now - this.lastGc > 60_000) {
      dispatcher.store.gc(now);
      this.lastGc = now;
    }
    const ruleAlerts = new Map<string, RuleAlert & { rule: string }>();
    for (const a of rules.alerts()) ruleAlerts.set(a.fingerprint, a);
    const evals = rules.lastEvaluations();
    const routed = new Map(dispatcher.listAlerts(now).map((x) => [x.alert.fingerprint, x]));
    const batch: Required<Pick<AlertStateBatch, 'upsert' | 'remove' | 'events' | 'notifications' | 'putDispatchLog' | 'removeDispatchLog' | 'putEscalations' | 'removeEscalations' | 'lastEvaluation'>> = {
      upsert: [],
      remove: [],
      events: this.events,
      notifications: this.notifications,
      putDispatchLog: [],
      removeDispatchLog: [],
      putEscalations: [],
      removeEscalations: [],
      lastEvaluation: [],
    };
    this.events = [];
    this.notifications = [];
    const nextRows = new Map<string, Written>();
    for (const fp of new Set([...ruleAlerts.keys(), ...routed.keys()])) {
      const r = ruleAlerts.get(fp);
      const d = routed.get(fp);
      const row = toPersisted(fp, r, d?.alert, d?.status, r ? evals.get(r.rule) : undefined, now);
      const sig = signature(row);
      const prev = this.rows.get(fp);
      nextRows.set(fp, { sig, state: row.state, ackAt: row.ack?.at ?? null });
      if (prev?.sig === sig) continue;
      batch.upsert.push(row);
      if (prev?.state !== row.state) batch.events.push({ fingerprint: fp, at: now, event: row.state, detail: row.reasons.join('; ') });
      if (row.ack && prev?.ackAt !== row.ack.at) batch.events.push({ fingerprint: fp, at: row.ack.at, event: 'acknowledged', detail: `${row.ack.by}${row.ack.comment ? `: ${row.ack.comment}` : ''}` });
    }
    for (const fp of this.rows.keys()) if (!nextRows.has(fp)) batch.remove.push(fp);
    const activeRules = new Set<string>();
    for (const a of ruleAlerts.values()) if (a.state !== 'inactive') activeRules.add(a.rule);
    for (const [rule, at] of evals) if (this.lastEvals.get(rule) !== at && activeRules.has(rule)) batch.lastEvaluation.push({ rule, at });
    const ds = dispatcher.exportState();
    const nextDispatch = diffKeyed(ds.dispatchLog, this.dispatchLog, batch.putDispatchLog, batch.removeDispatchLog);
    const escEvents = escalationEvents(ds, this.escalations, now);
    batch.events.push(...escEvents);
    const nextEsc = diffKeyed(ds.escalations, this.escalations, batch.putEscalations, batch.removeEscalations);
    try {
      await this.opts.store.writeAlertState(batch);
    } catch (err) {
      // Kept for the next attempt; rows and logs are compared again then.
      this.events = [...batch.events.filter((e) => !escEvents.includes(e)), ...this.events];
      this.notifications = [...batch.notifications, ...this.notifications];
      this.schedule();
      throw new Error(`storing alert state failed: ${errorMessage(err)}`, { cause: err });
    }
    this.rows.clear();
    for (const [k, v] of nextRows) this.rows.set(k, v);
    for (const e of batch.lastEvaluation) this.lastEvals.set(e.rule, e.at);
    replace(this.dispatchLog, nextDispatch);
    replace(this.escalations, nextEsc);
  }
}

function replace<K, V>(m: Map<K, V>, next: Map<K, V>): void {
  m.clear();
  for (const [k, v] of next) m.set(k, v);
}

function diffKeyed<T extends { key: string }>(items: readonly T[], written: ReadonlyMap<string, string>, put: T[], remove: string[]): Map<string, string> {
  const next = new Map<string, string>();
  for (const it of items) {
    const sig = JSON.stringify(it);
    next.set(it.key, sig);
    if (written.get(it.key) !== sig) put.push(it);
  }
  for (const k of written.keys()) if (!next.has(k)) remove.push(k);
  return next;
}

/** A history line for every alert of a group whose escalation reached a new step. */
function escalationEvents(ds: DispatcherState, written: ReadonlyMap<string, string>, now: number): AlertEventRecord[] {
  const out: AlertEventRecord[] = [];
  for (const e of ds.escalations) {
    const prev = written.get(e.key);
    const prevStep = prev ? (JSON.parse(prev) as { stepReached: number }).stepReached : -1;
    if (e.stepReached <= prevStep) continue;
    for (const fp of e.alerts) out.push({ fingerprint: fp, at: now, event: 'escalated', detail: `policy ${e.policy} reached step ${e.stepReached}${e.notified.length ? ` (notified so far: ${e.notified.join(', ')})` : ''}` });
  }
  return out;
}

type RoutedStatus = ReturnType<Dispatcher['listAlerts']>[number]['status'];

export function toPersisted(fp: string, r: (RuleAlert & { rule: string }) | undefined, d: StoredAlert | undefined, status: RoutedStatus | undefined, lastEvalAt: number | undefined, now: number): PersistedAlert {
  let state: PersistedAlertState;
  if (r?.state === 'pending') state = 'pending';
  else if (status) state = status.state === 'active' ? 'firing' : status.state;
  else state = r?.state === 'firing' ? 'firing' : 'resolved';
  return {
    fingerprint: fp,
    labels: { ...(d?.labels ?? r?.labels ?? {}) },
    annotations: { ...(r?.annotations ?? d?.annotations ?? {}) },
    state,
    rule: r?.rule ?? null,
    ruleState: r?.state ?? null,
    activeAt: r?.activeAt ?? null,
    forStartedAt: r?.forStartedAt ?? null,
    firedAt: r?.firedAt ?? null,
    resolvedAt: r?.resolvedAt ?? null,
    keepFiringSince: r?.keepFiringSince ?? null,
    lastEvalAt: lastEvalAt ?? null,
    value: r ? r.value : (d?.value ?? null),
    seriesKey: r?.seriesKey ?? null,
    startsAt: d?.startsAt ?? null,
    endsAt: d?.endsAt ?? null,
    generatorURL: d?.generatorURL ?? null,
    dependsOn: [...(d?.dependsOnFiring ?? r?.suppressedBy ?? [])],
    reasons: state === 'suppressed' ? [...(status?.reasons ?? [])] : state === 'pending' ? [`pending: rule ${r?.rule ?? ''} waits for its "for" duration`] : [],
    ack: d?.ack ? { ...d.ack } : null,
    updatedAt: now,
  };
}

/** What decides whether a row must be written again: everything but the clock fields. */
function signature(a: PersistedAlert): string {
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  const { updatedAt, lastEvalAt, value, ...rest } = a;
  return JSON.stringify(rest);
}

export function toStoredAlert(a: PersistedAlert): StoredAlert {
  return {
    fingerprint: a.fingerprint,
    labels: a.labels,
    annotations: a.annotations,
    startsAt: a.startsAt ?? a.firedAt ?? a.activeAt ?? a.updatedAt,
    ...(a.endsAt !== null ? { endsAt: a.endsAt } : {}),
    updatedAt: a.updatedAt,
    ...(a.generatorURL !== null ? { generatorURL: a.generatorURL } : {}),
    ...(a.value !== null ? { value: a.value } : {}),
    ...(a.dependsOn.length ? { dependsOnFiring: [...a.dependsOn] } : {}),
    ...(a.ack ? { ack: { ...a.ack } } : {}),
  };
}

function toSavedRuleAlert(a: PersistedAlert): SavedRuleAlert {
  return {
    fingerprint: a.fingerprint,
    labels: a.labels,
    annotations: a.annotations,
    value: a.value ?? NaN,
    state: a.ruleState === 'firing' ? 'firing' : 'pending',
    activeAt: a.activeAt!,
    ...(a.forStartedAt !== null ? { forStartedAt: a.forStartedAt } : {}),
    ...(a.firedAt !== null ? { firedAt: a.firedAt } : {}),
    ...(a.keepFiringSince !== null ? { keepFiringSince: a.keepFiringSince } : {}),
    ...(a.dependsOn.length ? { suppressedBy: [...a.dependsOn] } : {}),
    seriesKey: a.seriesKey ?? '',
    ...(a.lastEvalAt !== null ? { lastEvalAt: a.lastEvalAt } : {}),
  };
}
