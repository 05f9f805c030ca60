/**
 * The alerting pipeline wired together: objects → routing config, rules and channels; check
 * state changes and rule rounds → the alert dispatcher (routing); routed notifications → the
 * notification outbox → channels. Also the operations the API offers on it: list, acknowledge,
 * drill, preview.
 */
import { randomUUID } from 'node:crypto';
import { buildAlertingConfig, Dispatcher as AlertDispatcher, RouteTree, routeSpecSchema, type AlertingConfig, type AlertingDocument, type Notification } from '../alerting/index.js';
import { errorMessage, UnavailableError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import { alertNotificationSchema, channelSpecSchema, deliverNow, renderPreview, type AlertNotification, type ChannelSpec, type Dispatcher as NotifyDispatcher, type NotificationPreview } from '../notify/index.js';
import { alertRuleSpecSchema, fingerprintLabels, type PostableAlert, type RuleManager } from '../rules/index.js';
import type { OutboxEntry } from '../notify/outbox-store.js';
import type { AlertEventRecord, AlertNotificationRecord, AlertStateStore, PersistedAlert, StoredObject } from '../store/state-store.js';
import type { AlertStateWriter } from './alert-state-writer.js';
import { dispatchKey, severityOf, toChannelNotification, type RunbookInfo } from './channel-notification.js';

/** Receiver of the stand-in route used while no valid Route tree exists: alerts are recorded, not sent. */
export const NO_RECEIVER = 'kansoku-no-route';

export const CONFIG_KINDS = ['Route', 'InhibitRule', 'Silence', 'MaintenanceWindow', 'TimeInterval', 'EscalationPolicy'] as const;
const ROUTING_KINDS = new Set<string>(['Route', 'InhibitRule', 'TimeInterval', 'EscalationPolicy', 'Channel']);

export interface AlertView {
  fingerprint: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: 'pending' | 'firing' | 'suppressed' | 'resolved';
  severity: string;
  startsAt: string;
  endsAt: string | null;
  updatedAt: string;
  generatorURL: string | null;
  reasons: string[];
  silencedBy: string[];
  inhibitedBy: string[];
  mutedBy: string[];
  suppressedBy: string[];
  ack: { by: string; at: string; comment: string } | null;
  receivers: string[];
}

/** `GET /api/v1/alerts/:fingerprint`: one alert with its history, acknowledgement, escalation and notifications. */
export interface AlertDetail {
  alert: AlertView;
  /** Pending since (rule alerts), as the rule counts it. */
  activeAt: string | null;
  history: { at: string; event: string; detail: string }[];
  escalations: { groupKey: string; policy: string; startedAt: string; stepReached: number; nextStepAt: string | null; notified: string[]; stopped: boolean }[];
  notifications: {
    at: string;
    channel: string;
    groupKey: string;
    reason: AlertNotificationRecord['reason'];
    step: number | null;
    status: AlertNotificationRecord['status'];
    outcome: AlertNotificationRecord['outcome'];
    outboxKey: string | null;
    error: string | null;
    /** The outbox entry's delivery state, when it is still kept. */
    delivery: { status: OutboxEntry['status']; attempts: number; deliveredAt: string | null; lastError: string | null } | null;
  }[];
}

export interface DrillHop {
  hop: 'route' | 'render' | 'deliver';
  channel?: string;
  outcome: 'ok' | 'delivered' | 'skipped' | 'failed';
  latencyMs: number;
  detail?: string;
  status?: number;
}

export interface DrillReport {
  ok: boolean;
  alert: { fingerprint: string; labels: Record<string, string> };
  receivers: string[];
  hops: DrillHop[];
  totalMs: number;
}

export class AlertingService {
  private readonly objects = new Map<string, Map<string, StoredObject>>();
  private routingKey = '';
  private hasConfig = false;
  private configIssues: string[] = [];
  /** The routing the dispatcher runs with (kept here: the dispatcher does not expose it). */
  private config: AlertingConfig = AlertingService.emptyConfig();
  /** Set by the module: the alert journal (persistence) and what `showAlert` reads. */
  journal?: AlertStateWriter;
  alertState?: AlertStateStore;
  outbox?: { getByKey(key: string): Promise<OutboxEntry | undefined> };

  constructor(
    readonly dispatcher: AlertDispatcher,
    readonly notify: NotifyDispatcher,
    readonly rules: RuleManager,
    private readonly log: Logger,
    private readonly externalURL?: string,
  ) {}

  /** The fallback routing: one root route to nobody, so alerts are still recorded and listed. */
  static emptyConfig(): AlertingConfig {
    return { routes: RouteTree.build({ root: routeSpecSchema.parse({ receiver: NO_RECEIVER }) }) };
  }

  // ---- objects --------------------------------------------------------------------------

  objectsOf(kind: string): StoredObject[] {
    return [...(this.objects.get(kind)?.values() ?? [])];
  }

  getObject(kind: string, name: string): StoredObject | undefined {
    return this.objects.get(kind)?.get(name);
  }

  /** Records a change; returns whether routing needs a rebuild (vs only silences / windows). */
  put(o: StoredObject, deleted = false): void {
    let m = this.objects.get(o.kind);
    if (!m) this.objects.set(o.kind, (m = new Map()));
    if (deleted) m.delete(o.name);
    else m.set(o.name, o);
  }

  /**
   * Rebuilds what depends on objects. Nothing is refused here (apply validated each object);
   * a cross-object problem (a route naming a deleted channel) keeps the last good routing and
   * is logged and shown by `configProblems`.
   */
  reload(): void {
    const channelNames = new Set(this.objectsOf('Channel').map((o) => o.name));
    const docs: AlertingDocument[] = CONFIG_KINDS.flatMap((k) => this.objectsOf(k).map((o) => ({ kind: o.kind, metadata: { name: o.name }, spec: o.spec })));
    const { config, issues } = buildAlertingConfig(docs, { receivers: channelNames });
    const routingKey = JSON.stringify([...ROUTING_KINDS].map((k) => this.objectsOf(k).map((o) => [o.name, o.version])));
    if (config) {
      this.configIssues = [];
      if (routingKey !== this.routingKey || !this.hasConfig) this.setConfig(config);
      else {
        this.config = config;
        this.dispatcher.setSilences(config.silences ?? []);
        this.dispatcher.setMaintenanceWindows(config.maintenanceWindows ?? []);
      }
      this.hasConfig = true;
      this.routingKey = routingKey;
    } else {
      this.configIssues = issues.map((i) => `${i.document ?? ''} ${i.path}: ${i.message}`.trim());
      const noRoot = this.objectsOf('Route').length === 0;
      if (noRoot && this.hasConfig) {
        this.setConfig(AlertingService.emptyConfig());
        this.hasConfig = false;
        this.routingKey = '';
      }
      if (!noRoot) this.log.error({ issues: this.configIssues.slice(0, 10) }, 'alert routing objects do not fit together; keeping the previous routing');
    }
    const rules = [];
    for (const o of this.objectsOf('AlertRule')) {
      const r = alertRuleSpecSchema.safeParse(o.spec);
      if (r.success) rules.push({ name: o.name, spec: r.data });
      else this.log.error({ rule: o.name }, 'stored AlertRule no longer validates; not evaluated');
    }
    this.rules.setRules(rules);
  }

  private setConfig(config: AlertingConfig): void {
    this.config = config;
    this.dispatcher.setConfig(config);
  }

  configProblems(): string[] {
    return [...this.configIssues];
  }

  channelSpec(name: string): ChannelSpec | undefined {
    const o = this.getObject('Channel', name);
    if (!o) return undefined;
    const r = channelSpecSchema.safeParse(o.spec);
    return r.success ? r.data : undefined;
  }

  sendResolved(receiver: string): boolean {
    return this.channelSpec(receiver)?.sendResolved ?? true;
  }

  runbook(name: string): RunbookInfo | undefined {
    const o = this.getObject('Runbook', name);
    if (!o) return undefined;
    const spec = o.spec as { title?: string; steps?: { title?: string }[]; links?: { url?: string }[] };
    const base = this.externalURL?.replace(/\/+$/, '');
    return {
      name,
      ...(spec.title ? { title: spec.title } : {}),
      ...(spec.steps?.[0]?.title ? { firstStep: spec.steps[0].title } : {}),
      ...(base ? { url: `${base}/api/v1/objects/Runbook/${encodeURIComponent(name)}` } : {}),
    };
  }

  // ---- routing → delivery -----------------------------------------------------------------

  /** The alert dispatcher's NotifyFunc: durably queue the notification for the receiver's Channel. */
  async enqueue(n: Notification): Promise<void> {
    if (n.receiver === NO_RECEIVER) return;
    const repeatMs = this.repeatIntervalOf(n.kansoku.route);
    const cn = toChannelNotification(n, dispatchKey(n, repeatMs), (name) => this.runbook(name));
    try {
      const r = await this.notify.enqueue(n.receiver, cn);
      this.journal?.notified(n, r.created ? 'queued' : 'duplicate', r.idempotencyKey);
    } catch (err) {
      this.journal?.notified(n, 'failed', null, errorMessage(err));
      throw err;
    }
  }

  private repeatIntervalOf(routeId: string): number {
    return this.config.routes.all().find((r) => r.id === routeId)?.repeatIntervalMs ?? 4 * 3600_000;
  }

  // ---- API operations -----------------------------------------------------------------------

  listAlerts(): AlertView[] {
    const now = Date.now();
    const routes = this.config.routes;
    return this.dispatcher
      .listAlerts(now)
      .map(({ alert: a, status: s }): AlertView => ({
        fingerprint: a.fingerprint,
        labels: a.labels,
        annotations: a.annotations,
        state: s.state === 'active' ? ('firing' as const) : s.state,
        severity: a.labels.severity ?? '',
        startsAt: new Date(a.startsAt).toISOString(),
        endsAt: a.endsAt !== undefined ? new Date(a.endsAt).toISOString() : null,
        updatedAt: new Date(a.updatedAt).toISOString(),
        generatorURL: a.generatorURL ?? null,
        reasons: s.reasons,
        silencedBy: s.silencedBy,
        inhibitedBy: s.inhibitedBy,
        mutedBy: s.mutedBy,
        suppressedBy: s.suppressedBy,
        ack: a.ack ? { by: a.ack.by, at: new Date(a.ack.at).toISOString(), comment: a.ack.comment } : null,
        receivers: [...new Set(routes.match(a.labels).map((r) => r.receiver))].filter((r) => r !== NO_RECEIVER),
      }))
      .sort((x, y) => (x.startsAt < y.startsAt ? 1 : -1));
  }

  /** Routing's alerts plus the rules' pending ones (not yet handed to routing). */
  listAllAlerts(): AlertView[] {
    const routed = this.listAlerts();
    const known = new Set(routed.map((a) => a.fingerprint));
    const pending: AlertView[] = this.rules
      .alerts()
      .filter((a) => a.state === 'pending' && !known.has(a.fingerprint))
      .map((a) => ({
        fingerprint: a.fingerprint,
        labels: a.labels,
        annotations: a.annotations,
        state: 'pending' as const,
        severity: a.labels.severity ?? '',
        startsAt: new Date(a.activeAt).toISOString(),
        endsAt: null,
        updatedAt: new Date(a.activeAt).toISOString(),
        generatorURL: null,
        reasons: [`pending: rule ${a.rule} waits for its "for" duration`],
        silencedBy: [],
        inhibitedBy: [],
        mutedBy: [],
        suppressedBy: a.suppressedBy ?? [],
        ack: null,
        receivers: [],
      }));
    return [...pending, ...routed];
  }

  /**
   * Acknowledges an alert and answers once the acknowledgement is stored: if it cannot be
   * stored, it is taken back and the caller gets an error (the person retries; nothing is
   * acknowledged that a restart would forget).
   */
  async acknowledge(fingerprint: string, by: string, comment: string): Promise<AlertView | undefined> {
    const before = this.dispatcher.store.get(fingerprint)?.ack;
    if (!this.dispatcher.acknowledge(fingerprint, by, comment)) return undefined;
    if (this.journal) {
      try {
        await this.journal.flush();
      } catch (err) {
        if (before) this.dispatcher.store.acknowledge(fingerprint, before);
        else this.dispatcher.store.unacknowledge(fingerprint);
        throw new UnavailableError('KSK_ALERT_ACK_NOT_STORED', `the acknowledgement could not be stored (${errorMessage(err)}); it was not recorded, try again`, { cause: err });
      }
    }
    return this.listAlerts().find((a) => a.fingerprint === fingerprint);
  }

  /** One alert in full: current view, state history, acknowledgement, escalation, notification log with delivery states. */
  async showAlert(fingerprint: string): Promise<AlertDetail | undefined> {
    // Pending writes first, so what was just seen in the listing is in the history too.
    await this.journal?.flush().catch((err: unknown) => this.log.warn({ err }, 'alert state not yet stored; showing what is'));
    const live = this.listAllAlerts().find((a) => a.fingerprint === fingerprint);
    const stored = await this.alertState?.getAlert(fingerprint);
    const alert = live ?? (stored ? viewOfPersisted(stored) : undefined);
    if (!alert) return undefined;
    const [events, notes] = this.alertState ? await Promise.all([this.alertState.alertEvents(fingerprint), this.alertState.alertNotifications(fingerprint)]) : [[] as AlertEventRecord[], [] as AlertNotificationRecord[]];
    const notifications: AlertDetail['notifications'] = [];
    for (const n of notes) {
      const e = n.outboxKey && this.outbox ? await this.outbox.getByKey(n.outboxKey) : undefined;
      notifications.push({
        at: new Date(n.at).toISOString(),
        channel: n.channel,
        groupKey: n.groupKey,
        reason: n.reason,
        step: n.step,
        status: n.status,
        outcome: n.outcome,
        outboxKey: n.outboxKey,
        error: n.error,
        delivery: e ? { status: e.status, attempts: e.attempts, deliveredAt: e.deliveredAt, lastError: e.lastError } : null,
      });
    }
    const rule = this.rules.alerts().find((a) => a.fingerprint === fingerprint);
    const activeAt = rule?.activeAt ?? stored?.activeAt ?? null;
    const acked = alert.ack !== null;
    return {
      alert,
      activeAt: activeAt !== null ? new Date(activeAt).toISOString() : null,
      history: events.map((e) => ({ at: new Date(e.at).toISOString(), event: e.event, detail: e.detail })),
      escalations: this.dispatcher
        .exportState()
        .escalations.filter((e) => e.alerts.includes(fingerprint))
        .map((e) => ({
          groupKey: e.groupKey,
          policy: e.policy,
          startedAt: new Date(e.startedAt).toISOString(),
          stepReached: e.stepReached,
          nextStepAt: e.nextStepAt !== null ? new Date(e.nextStepAt).toISOString() : null,
          notified: e.notified,
          stopped: acked || alert.state !== 'firing',
        })),
      notifications,
    };
  }

  /** A sample notification for previews and drills: one firing alert with the given labels. */
  sampleNotification(opts: { labels?: Record<string, string>; annotations?: Record<string, string>; status?: 'firing' | 'resolved'; receiver?: string } = {}): AlertNotification {
    const labels = { alertname: 'KansokuDrill', severity: 'info', drill: 'true', ...(opts.labels ?? {}) };
    const now = Date.now();
    const fp = fingerprintLabels(labels);
    return {
      receiver: opts.receiver ?? 'drill',
      groupKey: `{}:{alertname="${labels.alertname}"}`,
      groupLabels: { alertname: labels.alertname },
      alerts: [
        {
          status: opts.status ?? 'firing',
          labels,
          annotations: { summary: 'Kansoku drill: a test alert sent through the real routing; no action needed', ...(opts.annotations ?? {}) },
          severity: severityOf(labels),
          startsAt: new Date(now).toISOString(),
          ...(opts.status === 'resolved' ? { endsAt: new Date(now).toISOString() } : {}),
          fingerprint: fp,
        },
      ],
      ...(this.externalURL ? { externalURL: this.externalURL } : {}),
      key: `drill-${randomUUID()}`,
    };
  }

  preview(channel: string, notification?: unknown): NotificationPreview | undefined {
    const o = this.getObject('Channel', channel);
    if (!o) return undefined;
    const n = notification === undefined ? this.sampleNotification({ receiver: channel }) : (alertNotificationSchema.parse(notification) as AlertNotification);
    return renderPreview({ name: channel, spec: o.spec }, n);
  }

  /**
   * A drill: a test alert goes through the live route tree (hop "route": which receivers it
   * picks), is rendered for each receiver's channel (hop "render") and sent to it right now
   * (hop "deliver": the receiver's answer and the latency). `channel` skips routing's choice.
   */
  async drill(opts: { channel?: string; labels?: Record<string, string> } = {}): Promise<DrillReport> {
    const t0 = performance.now();
    const labels = { alertname: 'KansokuDrill', severity: 'info', drill: 'true', ...(opts.labels ?? {}) };
    const hops: DrillHop[] = [];
    const tr = performance.now();
    const routes = this.config.routes.match(labels);
    const routed = [...new Set(routes.map((r) => r.receiver))].filter((r) => r !== NO_RECEIVER);
    hops.push({
      hop: 'route',
      outcome: routed.length || opts.channel ? 'ok' : 'failed',
      latencyMs: performance.now() - tr,
      detail: routed.length ? `routes ${routes.map((r) => r.id).join(', ')} → ${routed.join(', ')}` : 'no route tree with a receiver: apply a Route named root',
    });
    const receivers = opts.channel ? [opts.channel] : routed;
    for (const ch of receivers) {
      const o = this.getObject('Channel', ch);
      if (!o) {
        hops.push({ hop: 'render', channel: ch, outcome: 'failed', latencyMs: 0, detail: `channel "${ch}" does not exist` });
        continue;
      }
      const n = this.sampleNotification({ labels, receiver: ch });
      const t1 = performance.now();
      try {
        const d = await deliverNow({ name: ch, spec: o.spec }, n);
        const renderMs = performance.now() - t1 - d.latencyMs;
        hops.push({ hop: 'render', channel: ch, outcome: 'ok', latencyMs: renderMs, detail: d.preview.subject ?? d.preview.text.split('\n')[0] ?? '' });
        hops.push({
          hop: 'deliver',
          channel: ch,
          outcome: d.result.ok ? (d.preview.skipped ? 'skipped' : 'delivered') : 'failed',
          latencyMs: d.latencyMs,
          ...(d.result.status !== undefined ? { status: d.result.status } : {}),
          ...(d.result.ok ? (d.result.detail ? { detail: d.result.detail } : {}) : { detail: d.result.error }),
        });
      } catch (err) {
        hops.push({ hop: 'render', channel: ch, outcome: 'failed', latencyMs: performance.now() - t1, detail: errorMessage(err) });
      }
    }
    const ok = receivers.length > 0 && hops.every((h) => h.outcome !== 'failed');
    return { ok, alert: { fingerprint: fingerprintLabels(labels), labels }, receivers, hops, totalMs: performance.now() - t0 };
  }

  /** Feeds alerts into routing (check alerts, rule rounds, meta-monitoring). */
  receive(alerts: PostableAlert[]): void {
    if (alerts.length) this.dispatcher.receive(alerts);
  }
}

/** The listing's view of an alert known only from the store (no longer held in memory). */
function viewOfPersisted(a: PersistedAlert): AlertView {
  const iso = (ms: number | null) => (ms !== null ? new Date(ms).toISOString() : null);
  return {
    fingerprint: a.fingerprint,
    labels: a.labels,
    annotations: a.annotations,
    state: a.state,
    severity: a.labels.severity ?? '',
    startsAt: iso(a.startsAt ?? a.activeAt ?? a.updatedAt)!,
    endsAt: iso(a.endsAt),
    updatedAt: iso(a.updatedAt)!,
    generatorURL: a.generatorURL,
    reasons: a.reasons,
    silencedBy: [],
    inhibitedBy: [],
    mutedBy: [],
    suppressedBy: a.dependsOn,
    ack: a.ack ? { by: a.ack.by, at: new Date(a.ack.at).toISOString(), comment: a.ack.comment } : null,
    receivers: [],
  };
}
