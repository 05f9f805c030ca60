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
import type { InhibitRule, InhibitSource } from './inhibit-rule.js';
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
  /** Called after anything persisted may have changed (alerts, dispatch log, escalations): the journal's cue. */
  onStateChange?: () => void;
}

interface Episode {
  policy: string;
  steps: EscalationStep[];
  startedAt: number;
  timers: TimerHandle[];
  notified: Set<string>;
  /** Index of the last step whose time came (-1: none yet). */
  stepReached: number;
}

/** An escalation episode without its timers: carried across a reload or a restart. */
export interface EpisodeState {
  policy: string;
  startedAt: number;
  stepReached: number;
  notified: string[];
}

/** Routing's durable state besides the alerts (see exportState / restoreState). */
export interface DispatchLogState {
  /** Opaque key of group and receiver. */
  key: string;
  groupKey: string;
  receiver: string;
  firing: string[];
  resolved: string[];
  at: number;
}

export interface EscalationState extends EpisodeState {
  /** Opaque key of the group. */
  key: string;
  groupKey: string;
  route: string;
  nextStepAt: number | null;
  alerts: string[];
}

export interface DispatcherState {
  dispatchLog: DispatchLogState[];
  escalations: EscalationState[];
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
  groupKey: string;
  receiver: string;
}

/** Group ids hold \u0000 separators, which PostgreSQL text cannot store: keys leave encoded. */
const encodeKey = (k: string): string => Buffer.from(k, 'utf8').toString('base64url');
const decodeKey = (k: string): string => Buffer.from(k, 'base64url').toString('utf8');

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
  /** Escalation episodes waiting for their group to be rebuilt (reload, restart), by group id. */
  private readonly carried = new Map<string, EpisodeState & { groupKey: string; route: string; alerts: string[] }>();
  /** Restored firing alerts no source has confirmed since the restart. */
  private readonly unconfirmed = new Set<string>();
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
    const now = this.clock.now();
    // Escalations in progress continue in the rebuilt groups instead of starting over, and
    // resolutions not yet notified are still notified.
    const unsent: StoredAlert[] = [];
    for (const g of [...this.groups.values()]) {
      if (g.episode) this.carried.set(g.id, { ...episodeState(g.episode), groupKey: g.groupKey, route: g.route.id, alerts: [...g.members] });
      for (const fp of g.members) {
        const a = this.store.get(fp);
        if (a && isResolved(a, now)) unsent.push(a);
      }
      this.dropGroup(g);
    }
    for (const a of this.store.firing(now)) this.route(a, now);
    for (const a of unsent) this.route(a, now, true);
    // An episode whose group is gone with the old routing ends.
    this.carried.clear();
    this.changed();
  }

  /**
   * Restores what a previous process persisted: the alerts, the notification log (so nothing
   * already sent is sent again before repeat_interval) and escalation episodes (they continue
   * from the step they reached). Call after the first setConfig with the real routing. A resolved
   * alert that a dispatch log entry shows as notified firing is routed so its resolution goes out.
   */
  restoreState(alerts: readonly StoredAlert[], state: DispatcherState): void {
    const now = this.clock.now();
    for (const d of state.dispatchLog) {
      this.nflog.set(decodeKey(d.key), { firing: new Set(d.firing), resolved: new Set(d.resolved), at: d.at, groupKey: d.groupKey, receiver: d.receiver });
    }
    for (const e of state.escalations) {
      this.carried.set(decodeKey(e.key), { policy: e.policy, startedAt: e.startedAt, stepReached: e.stepReached, notified: [...e.notified], groupKey: e.groupKey, route: e.route, alerts: [...e.alerts] });
    }
    const notifiedFiring = new Set<string>();
    for (const d of state.dispatchLog) for (const fp of d.firing) notifiedFiring.add(fp);
    for (const a of alerts) {
      this.store.restore(a);
      const resolved = isResolved(a, now);
      if (!resolved) this.unconfirmed.add(a.fingerprint);
      if (!resolved || notifiedFiring.has(a.fingerprint)) this.route(a, now, true);
    }
    // Log entries and episodes of groups that no longer exist mean nothing now.
    const live = new Set<string>();
    for (const g of this.groups.values()) live.add(g.id);
    for (const k of [...this.nflog.keys()]) if (!live.has(k.slice(0, k.lastIndexOf('\u0000')))) this.nflog.delete(k);
    this.carried.clear();
    this.changed();
  }

  /**
   * Resolves restored firing alerts that no source (rule, check, meta-monitoring) has sent again
   * since the restore: their source is gone (a rule or check deleted while the server was down).
   * Alertmanager's resolve_timeout in spirit; returns the fingerprints resolved.
   */
  resolveUnconfirmed(now = this.clock.now()): string[] {
    const out: string[] = [];
    for (const fp of this.unconfirmed) {
      const a = this.store.get(fp);
      if (a && !isResolved(a, now)) {
        out.push(fp);
        this.receive([{ fingerprint: fp, labels: a.labels, annotations: a.annotations, startsAt: a.startsAt, endsAt: now, ...(a.generatorURL ? { generatorURL: a.generatorURL } : {}) }]);
      }
    }
    this.unconfirmed.clear();
    return out;
  }

  /** The dispatch log and escalation episodes, for the journal. */
  exportState(): DispatcherState {
    const now = this.clock.now();
    const dispatchLog: DispatchLogState[] = [...this.nflog].map(([k, e]) => ({ key: encodeKey(k), groupKey: e.groupKey, receiver: e.receiver, firing: [...e.firing].sort(), resolved: [...e.resolved].sort(), at: e.at }));
    const escalations: EscalationState[] = [];
    for (const g of this.groups.values()) {
      if (!g.episode) continue;
      const ep = g.episode;
      const next = ep.steps[ep.stepReached + 1];
      escalations.push({ key: encodeKey(g.id), groupKey: g.groupKey, route: g.route.id, ...episodeState(ep), nextStepAt: next ? Math.max(now, ep.startedAt + next.afterMs) : null, alerts: [...g.members].sort() });
    }
    for (const [id, c] of this.carried) escalations.push({ key: encodeKey(id), ...c, nextStepAt: null });
    return { dispatchLog, escalations };
  }

  private changed(): void {
    this.opts.onStateChange?.();
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
      this.unconfirmed.delete(a.fingerprint);
      const { alert } = this.store.upsert(a, now);
      this.route(alert, now);
    }
    this.changed();
  }

  private route(a: StoredAlert, now: number, force = false): void {
    for (const r of this.config.routes.match(a.labels)) {
      const labels = groupLabels(a.labels, r);
      const id = `${r.id}\u0000${labelsKey(labels)}`;
      let g = this.groups.get(id);
      if (!g) {
        if (isResolved(a, now) && !force) continue;
        g = { id, groupKey: `${r.key}:${formatLabelSet(labels)}`, route: r, labels, members: new Set(), hasFlushed: false, nextFlushAt: now + r.groupWaitMs };
        this.groups.set(id, g);
        this.arm(g, r.groupWaitMs);
        const carried = this.carried.get(id);
        if (carried) {
          this.carried.delete(id);
          this.resumeEpisode(g, carried, now);
        }
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

  private inhibitCache: { rev: number; now: number; rules: readonly InhibitRule[]; indexes: Map<string, InhibitSource[]>[] } | undefined;

  /** Each inhibit rule's index of firing sources, rebuilt only when the alerts, the time or the rules change. */
  private inhibitIndexes(rules: readonly InhibitRule[], now: number): Map<string, InhibitSource[]>[] {
    const c = this.inhibitCache;
    if (c && c.rev === this.store.revision && c.now === now && c.rules === rules) return c.indexes;
    const firing = this.store.firing(now);
    const indexes = rules.map((r) => r.indexSources(firing));
    this.inhibitCache = { rev: this.store.revision, now, rules, indexes };
    return indexes;
  }

  /** Current status of an alert: active, suppressed (with every reason) or resolved. */
  status(a: StoredAlert, now = this.clock.now()): AlertStatus {
    const st: AlertStatus = { state: 'active', silencedBy: [], inhibitedBy: [], mutedBy: [], suppressedBy: [], reasons: [] };
    if (isResolved(a, now)) return { ...st, state: 'resolved' };
    for (const s of this.config.silences ?? []) if (s.mutes(a.labels, now)) st.silencedBy.push(s.name);
    for (const w of this.config.maintenanceWindows ?? []) if (w.mutes(a.labels, now)) st.mutedBy.push(w.name);
    const rules = this.config.inhibitRules ?? [];
    if (rules.length > 0) {
      const indexes = this.inhibitIndexes(rules, now);
      rules.forEach((r, i) => {
        const by = r.inhibitedByIndexed(a.labels, a.fingerprint, indexes[i]!);
        if (by && !st.inhibitedBy.includes(by)) st.inhibitedBy.push(by);
      });
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
    const a = this.store.acknowledge(fingerprint, ack);
    if (a) this.changed();
    return a;
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
        if (ok) this.nflog.set(logKey, { firing: new Set(firing.map((a) => a.fingerprint)), resolved: new Set(resolved.map((a) => a.fingerprint)), at: now, groupKey: g.groupKey, receiver });
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
    this.changed();
  }

  private async escalate(g: AggrGroup, firing: StoredAlert[], resolved: StoredAlert[], now: number): Promise<void> {
    const name = g.route.escalationPolicy;
    const policy = name ? this.config.escalationPolicies?.get(name) : undefined;
    if (!policy || !name) return;
    if (firing.length > 0 && !g.episode) {
      this.startEpisode(g, { policy: name, startedAt: now, stepReached: -1, notified: [] }, policy, now);
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

  private startEpisode(g: AggrGroup, st: EpisodeState, steps: EscalationStep[], now: number): void {
    const ep: Episode = { policy: st.policy, steps, startedAt: st.startedAt, timers: [], notified: new Set(st.notified), stepReached: st.stepReached };
    g.episode = ep;
    steps.forEach((step, i) => {
      // Steps already reached (before a reload or restart) are not run again.
      if (i <= st.stepReached) return;
      ep.timers.push(this.clock.setTimer(() => void this.runStep(g, ep, step, i).catch(() => undefined), Math.max(0, st.startedAt + step.afterMs - now)));
    });
  }

  /** Continues a carried episode when its group's route still names the same policy. */
  private resumeEpisode(g: AggrGroup, st: EpisodeState, now: number): void {
    if (g.route.escalationPolicy !== st.policy) return;
    const steps = this.config.escalationPolicies?.get(st.policy);
    if (steps) this.startEpisode(g, st, steps, now);
  }

  private async runStep(g: AggrGroup, ep: Episode, step: EscalationStep, index: number): Promise<void> {
    if (g.episode !== ep || this.stopped) return;
    ep.stepReached = Math.max(ep.stepReached, index);
    this.changed();
    const now = this.clock.now();
    const pending = [...g.members]
      .map((fp) => this.store.get(fp))
      .filter((a): a is StoredAlert => a !== undefined && !isResolved(a, now) && !a.ack && this.status(a, now).state === 'active');
    if (pending.length === 0 || this.isTimeMuted(g.route, now)) return;
    for (const receiver of step.receivers) {
      if (await this.send(g, receiver, pending, now, 'escalation', index)) ep.notified.add(receiver);
    }
    this.changed();
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

function episodeState(ep: Episode): EpisodeState {
  return { policy: ep.policy, startedAt: ep.startedAt, stepReached: ep.stepReached, notified: [...ep.notified].sort() };
}

/** Alertmanager's DedupStage.needsUpdate. */
function needsUpdate(entry: NflogEntry | undefined, firing: StoredAlert[], resolved: StoredAlert[], sendResolved: boolean, repeatMs: number, now: number): boolean {
  if (!entry) return firing.length > 0;
  if (!firing.every((a) => entry.firing.has(a.fingerprint))) return true;
  if (firing.length === 0) return entry.firing.size > 0;
  if (sendResolved && !resolved.every((a) => entry.resolved.has(a.fingerprint))) return true;
  return entry.at < now - repeatMs;
}
