/**
 * Alertmanager's dispatcher (dispatch/dispatch.go + the notify pipeline), on an injected clock:
 * - every incoming alert is stored once per fingerprint, matched against the route tree, and
 *   inserted into the aggregation group of each matching route (group = route + the values of
 *   its groupBy labels);
 * - a new group flushes after group_wait (at once if an alert in it started more than
 *   group_wait ago), then every group_interval;
 * - a flush drops muted alerts (dependencies, inhibition, silences, maintenance windows; the
 *   route's mute/active time intervals skip the flush), then sends only when the notification
 *   log says so: new firing alerts, newly resolved ones, all resolved, or repeat_interval passed
 *   (repeats go out at the first group_interval tick after repeat_interval);
 * - after a successful flush the resolved alerts leave the group; an empty group is removed.
 * Escalation policies add timed notifications while a group's alerts stay unacknowledged.
 */
import type { Labels } from '../core/labels.js';
import { labelsKey, systemClock, type Clock, type PostableAlert, type TimerHandle } from '../rules/index.js';
import { AlertStore, isResolved, type Acknowledgement, type AlertStatus, type StoredAlert } from './alert-store.js';
import type { EscalationStep } from './escalation-policy.js';
import type { InhibitRule } from './inhibit-rule.js';
import type { MaintenanceWindow } from './maintenance-window.js';
import { commonOf, formatLabelSet, goTimeString, type Notification, type NotificationAlert, type NotifyFunc } from './notification.js';
import type { ResolvedRoute, RouteTree } from './route-tree.js';
import type { Silence } from './silence.js';
import type { TimeInterval } from './time-interval.js';

export interface AlertingConfig {
  routes: RouteTree;
  inhibitRules?: readonly InhibitRule[];
  silences?: readonly Silence[];
  maintenanceWindows?: readonly MaintenanceWindow[];
  timeIntervals?: ReadonlyMap<string, TimeInterval>;
  escalationPolicies?: ReadonlyMap<string, EscalationStep[]>;
}

export interface DispatcherOptions {
  config: AlertingConfig;
  notify: NotifyFunc;
  clock?: Clock;
  externalURL?: string;
  /** Whether a receiver wants resolved notifications (Alertmanager's send_resolved); default true. */
  sendResolved?: (receiver: string) => boolean;
  store?: AlertStore;
  /** Called when a notification is rejected (it is retried at the next flush). */
  onNotifyError?: (n: Notification, err: unknown) => void;
}

interface Episode {
  startedAt: number;
  timers: TimerHandle[];
  notified: Set<string>;
}

interface AggrGroup {
  id: string;
  groupKey: string;
  route: ResolvedRoute;
  labels: Labels;
  members: Set<string>;
  timer?: TimerHandle;
  hasFlushed: boolean;
  nextFlushAt: number;
  flushing?: Promise<void>;
  episode?: Episode;
}

interface NflogEntry {
  firing: Set<string>;
  resolved: Set<string>;
  at: number;
}

export interface GroupInfo {
  groupKey: string;
  route: string;
  receiver: string;
  labels: Labels;
  alerts: string[];
  nextFlushAt: number;
  escalating: boolean;
}

export class Dispatcher {
  private config: AlertingConfig;
  private readonly clock: Clock;
  readonly store: AlertStore;
  private readonly groups = new Map<string, AggrGroup>();
  private readonly nflog = new Map<string, NflogEntry>();
  private stopped = false;

  constructor(private readonly opts: DispatcherOptions) {
    this.config = opts.config;
    this.clock = opts.clock ?? systemClock;
    this.store = opts.store ?? new AlertStore();
  }

  /**
   * Replaces the configuration (reload). Groups are rebuilt from the stored alerts; the
   * notification log is kept, so nothing already sent is sent again.
   */
  setConfig(config: AlertingConfig): void {
    this.config = config;
    for (const g of this.groups.values()) this.dropGroup(g);
    const now = this.clock.now();
    for (const a of this.store.firing(now)) this.route(a, now);
  }

  /** Changes only the silences (they come and go through the API more often than the rest). */
  setSilences(silences: readonly Silence[]): void {
    this.config = { ...this.config, silences };
  }

  setMaintenanceWindows(windows: readonly MaintenanceWindow[]): void {
    this.config = { ...this.config, maintenanceWindows: windows };
  }

  /** Receives alerts from rule evaluation (usable directly as the rules' AlertSink). */
  receive(alerts: readonly PostableAlert[]): void {
    if (this.stopped) return;
    const now = this.clock.now();
    for (const a of alerts) {
      const { alert } = this.store.upsert(a, now);
      this.route(alert, now);
    }
  }

  private route(a: StoredAlert, now: number): void {
    for (const r of this.config.routes.match(a.labels)) {
      const labels = groupLabels(a.labels, r);
      const id = `${r.id}\u0000${labelsKey(labels)}`;
      let g = this.groups.get(id);
      if (!g) {
        if (isResolved(a, now)) continue;
        g = { id, groupKey: `${r.key}:${formatLabelSet(labels)}`, route: r, labels, members: new Set(), hasFlushed: false, nextFlushAt: now + r.groupWaitMs };
        this.groups.set(id, g);
        this.arm(g, r.groupWaitMs);
      }
      g.members.add(a.fingerprint);
      // An alert that began more than group_wait ago gains nothing from waiting.
      if (!g.hasFlushed && a.startsAt + r.groupWaitMs < now && g.nextFlushAt > now) this.arm(g, 0);
    }
  }

  private arm(g: AggrGroup, delayMs: number): void {
    if (g.timer !== undefined) this.clock.clearTimer(g.timer);
    g.nextFlushAt = this.clock.now() + delayMs;
    g.timer = this.clock.setTimer(() => {
      g.timer = undefined;
      if (this.groups.get(g.id) !== g || this.stopped) return;
      g.hasFlushed = true;
      this.arm(g, g.route.groupIntervalMs);
      g.flushing = this.flush(g).catch(() => undefined);
    }, delayMs);
  }

  private dropGroup(g: AggrGroup): void {
    if (g.timer !== undefined) this.clock.clearTimer(g.timer);
    for (const t of g.episode?.timers ?? []) this.clock.clearTimer(t);
    this.groups.delete(g.id);
  }

  /** Current status of an alert: active, suppressed (with every reason) or resolved. */
  status(a: StoredAlert, now = this.clock.now()): AlertStatus {
    const st: AlertStatus = { state: 'active', silencedBy: [], inhibitedBy: [], mutedBy: [], suppressedBy: [], reasons: [] };
    if (isResolved(a, now)) return { ...st, state: 'resolved' };
    for (const s of this.config.silences ?? []) if (s.mutes(a.labels, now)) st.silencedBy.push(s.name);
    for (const w of this.config.maintenanceWindows ?? []) if (w.mutes(a.labels, now)) st.mutedBy.push(w.name);
    const rules = this.config.inhibitRules ?? [];
    if (rules.length > 0) {
      const firing = this.store.firing(now).filter((x) => x.fingerprint !== a.fingerprint);
      for (const r of rules) {
        const by = r.inhibitedBy(a.labels, firing);
        if (by && !st.inhibitedBy.includes(by)) st.inhibitedBy.push(by);
      }
    }
    for (const p of a.dependsOnFiring ?? []) {
      const parent = this.store.get(p);
      if (!parent || !isResolved(parent, now)) st.suppressedBy.push(p);
    }
    for (const s of st.silencedBy) st.reasons.push(`silenced by ${s}`);
    for (const w of st.mutedBy) st.reasons.push(`maintenance window ${w}`);
    for (const i of st.inhibitedBy) st.reasons.push(`inhibited by alert ${i}`);
    for (const p of st.suppressedBy) st.reasons.push(`depends on firing alert ${p}`);
    if (st.reasons.length > 0) st.state = 'suppressed';
    return st;
  }

  /** Every stored alert with its status (suppressed ones included: they are recorded, not routed). */
  listAlerts(now = this.clock.now()): { alert: StoredAlert; status: AlertStatus }[] {
    return this.store.list().map((alert) => ({ alert, status: this.status(alert, now) }));
  }

  /** Acknowledges an alert: who, when, why. Stops its escalation; returns undefined when unknown. */
  acknowledge(fingerprint: string, by: string, comment = ''): StoredAlert | undefined {
    const ack: Acknowledgement = { by, at: this.clock.now(), comment };
    return this.store.acknowledge(fingerprint, ack);
  }

  groupsInfo(): GroupInfo[] {
    return [...this.groups.values()].map((g) => ({
      groupKey: g.groupKey,
      route: g.route.id,
      receiver: g.route.receiver,
      labels: { ...g.labels },
      alerts: [...g.members],
      nextFlushAt: g.nextFlushAt,
      escalating: g.episode !== undefined,
    }));
  }

  /** Stops every timer and waits for flushes in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    const inflight = [...this.groups.values()].map((g) => g.flushing);
    for (const g of [...this.groups.values()]) this.dropGroup(g);
    await Promise.all(inflight);
  }

  private isTimeMuted(r: ResolvedRoute, now: number): boolean {
    const ti = this.config.timeIntervals;
    if (!ti) return false;
    if (r.muteTimeIntervals.some((n) => ti.get(n)?.contains(now))) return true;
    if (r.activeTimeIntervals.length > 0 && !r.activeTimeIntervals.some((n) => ti.get(n)?.contains(now))) return true;
    return false;
  }

  private async flush(g: AggrGroup): Promise<void> {
    const now = this.clock.now();
    const members = [...g.members].map((fp) => this.store.get(fp)).filter((a): a is StoredAlert => a !== undefined);
    const visible = members.filter((a) => this.status(a, now).state !== 'suppressed');
    const firing = visible.filter((a) => !isResolved(a, now));
    const resolved = visible.filter((a) => isResolved(a, now));
    let ok = true;
    if (!this.isTimeMuted(g.route, now)) {
      const receiver = g.route.receiver;
      const logKey = `${g.id}\u0000${receiver}`;
      const entry = this.nflog.get(logKey);
      const sendResolved = this.opts.sendResolved?.(receiver) ?? true;
      // Everything muted: Alertmanager's pipeline stops at its mute stage, before the
      // notification log, so the resolve of an alert notified before the mute still goes out.
      if (visible.length > 0 && needsUpdate(entry, firing, resolved, sendResolved, g.route.repeatIntervalMs, now)) {
        const payload = sendResolved ? visible : firing;
        if (payload.length > 0) ok = await this.send(g, receiver, payload, now, 'route');
        if (ok) this.nflog.set(logKey, { firing: new Set(firing.map((a) => a.fingerprint)), resolved: new Set(resolved.map((a) => a.fingerprint)), at: now });
      }
      if (ok) await this.escalate(g, firing, resolved, now);
    }
    if (ok) {
      // Resolved alerts were notified (or need not be): they leave the group unless they re-fired meanwhile.
      const after = this.clock.now();
      for (const a of members) if (isResolved(a, after)) g.members.delete(a.fingerprint);
      if (g.members.size === 0 && this.groups.get(g.id) === g) {
        this.dropGroup(g);
        this.nflog.delete(`${g.id}\u0000${g.route.receiver}`);
      }
    }
  }

  private async escalate(g: AggrGroup, firing: StoredAlert[], resolved: StoredAlert[], now: number): Promise<void> {
    const policy = g.route.escalationPolicy ? this.config.escalationPolicies?.get(g.route.escalationPolicy) : undefined;
    if (!policy) return;
    if (firing.length > 0 && !g.episode) {
      const ep: Episode = { startedAt: now, timers: [], notified: new Set() };
      g.episode = ep;
      policy.forEach((step, i) => {
        ep.timers.push(this.clock.setTimer(() => void this.runStep(g, ep, step, i).catch(() => undefined), step.afterMs));
      });
      return;
    }
    if (firing.length === 0 && g.episode) {
      const ep = g.episode;
      g.episode = undefined;
      for (const t of ep.timers) this.clock.clearTimer(t);
      for (const receiver of ep.notified) {
        if (resolved.length > 0 && (this.opts.sendResolved?.(receiver) ?? true)) await this.send(g, receiver, resolved, now, 'escalation');
      }
    }
  }

  private async runStep(g: AggrGroup, ep: Episode, step: EscalationStep, index: number): Promise<void> {
    if (g.episode !== ep || this.stopped) return;
    const now = this.clock.now();
    const pending = [...g.members]
      .map((fp) => this.store.get(fp))
      .filter((a): a is StoredAlert => a !== undefined && !isResolved(a, now) && !a.ack && this.status(a, now).state === 'active');
    if (pending.length === 0 || this.isTimeMuted(g.route, now)) return;
    for (const receiver of step.receivers) {
      if (await this.send(g, receiver, pending, now, 'escalation', index)) ep.notified.add(receiver);
    }
  }

  private async send(g: AggrGroup, receiver: string, alerts: StoredAlert[], now: number, reason: 'route' | 'escalation', step?: number): Promise<boolean> {
    const sorted = [...alerts].sort((a, b) => (labelsKey(a.labels) < labelsKey(b.labels) ? -1 : 1));
    const items: NotificationAlert[] = sorted.map((a) => ({
      status: isResolved(a, now) ? 'resolved' : 'firing',
      labels: { ...a.labels },
      annotations: { ...a.annotations },
      startsAt: goTimeString(a.startsAt),
      endsAt: isResolved(a, now) ? goTimeString(a.endsAt) : goTimeString(undefined),
      generatorURL: a.generatorURL ?? '',
      fingerprint: a.fingerprint,
    }));
    const acks: Record<string, Acknowledgement> = {};
    for (const a of sorted) if (a.ack) acks[a.fingerprint] = { ...a.ack };
    const n: Notification = {
      version: '4',
      groupKey: g.groupKey,
      truncatedAlerts: 0,
      status: items.some((i) => i.status === 'firing') ? 'firing' : 'resolved',
      receiver,
      groupLabels: { ...g.labels },
      commonLabels: commonOf(items.map((i) => i.labels)),
      commonAnnotations: commonOf(items.map((i) => i.annotations)),
      externalURL: this.opts.externalURL ?? '',
      alerts: items,
      kansoku: { route: g.route.id, reason, ...(step !== undefined ? { escalationStep: step } : {}), acks, dispatchedAt: now },
    };
    try {
      await this.opts.notify(n);
      return true;
    } catch (err) {
      this.opts.onNotifyError?.(n, err);
      return false;
    }
  }
}

/** The group labels of an alert on a route: its groupBy labels that the alert has (all with "..."). */
export function groupLabels(labels: Labels, r: ResolvedRoute): Labels {
  if (r.groupByAll) return { ...labels };
  const out: Labels = {};
  for (const l of r.groupBy) if (labels[l] !== undefined && labels[l] !== '') out[l] = labels[l];
  return out;
}

/** Alertmanager's DedupStage.needsUpdate. */
function needsUpdate(entry: NflogEntry | undefined, firing: StoredAlert[], resolved: StoredAlert[], sendResolved: boolean, repeatMs: number, now: number): boolean {
  if (!entry) return firing.length > 0;
  if (!firing.every((a) => entry.firing.has(a.fingerprint))) return true;
  if (firing.length === 0) return entry.firing.size > 0;
  if (sendResolved && !resolved.every((a) => entry.resolved.has(a.fingerprint))) return true;
  return entry.at < now - repeatMs;
}
