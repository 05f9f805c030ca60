/**
 * The alerting capability as a server module. It adds the AlertRule, routing (Route,
 * InhibitRule, Silence, MaintenanceWindow, TimeInterval, EscalationPolicy), Channel and
 * Watchdog kinds, and runs the pipeline:
 *
 *   check state change ─┐
 *   rule round (PromQL) ─┼→ alert dispatcher (routing, grouping, muting) → outbox → channel
 *   meta-monitoring ────┘
 *
 * A hard CRITICAL check raises `CheckFailed` from the checks module's state-change event in
 * the same tick (not at the next rule round); the notification is durable in the outbox before
 * routing counts it as sent, and the outbox dispatcher is woken at once.
 */
import type { Kysely } from 'kysely';
import type { ModuleContext, ModuleHandle, ServerModule } from '../server/module.js';
import { ALERTING_KINDS, Dispatcher as AlertDispatcher } from '../alerting/index.js';
import { registerAlertRoutes } from '../api/routes/alerts.js';
import type { ChecksApi } from '../checks/checks-module.js';
import type { CheckStateView } from '../checks/check-service.js';
import { StoreSeriesSource } from '../metrics/store-series-source.js';
import type { MetricsApi } from '../metrics/module.js';
import { channelKind, Dispatcher as NotifyDispatcher, type DispatcherOptions as NotifyOptions } from '../notify/index.js';
import { PromqlEngine } from '../query/promql/index.js';
import { alertRuleKind, engineQueryFunc, RuleManager, type CheckStateSnapshot } from '../rules/index.js';
import { KyselyAlertStateStore } from '../store/state/kysely-alert-state-store.js';
import { KyselyOutboxStore } from '../store/state/kysely-outbox-store.js';
import { AlertStateWriter } from './alert-state-writer.js';
import type { KyselyStateStore } from '../store/state/kysely-state-store.js';
import { AlertSeriesWriter } from './alert-series.js';
import { AlertingService, CONFIG_KINDS } from './alerting-service.js';
import { CheckAlerts } from './check-alerts.js';
import { MetaMonitor, type MetaMonitorOptions } from './meta-monitor.js';
import { watchdogKind, WatchdogRunner, watchdogSpecSchema, type WatchdogSpec } from './watchdog.js';

export interface AlertingModuleOptions {
  /** Raise CheckFailed for every hard CRITICAL check (default true). */
  defaultCheckAlerts?: boolean;
  /** How often check alerts are re-synced from the checks' states (default 5 s). */
  checkResyncMs?: number;
  metaMonitor?: MetaMonitorOptions;
  notify?: Partial<Pick<NotifyOptions, 'pollIntervalMs' | 'maxAttempts' | 'backoff' | 'stopGraceMs' | 'perChannelConcurrency'>>;
  /** Kansoku's own URL for links in notifications (default KANSOKU_EXTERNAL_URL, else http://LISTEN). */
  externalURL?: string;
  /**
   * Restoring rule `for` state after a restart (Prometheus's rules.alert.for-grace-period and
   * for-outage-tolerance): defaults 1m and 1h (see src/rules/restore-for-state.ts).
   */
  forGracePeriodMs?: number;
  forOutageToleranceMs?: number;
  /**
   * Restored firing alerts that no source sends again within this time are resolved (their rule
   * or check was deleted while the server was down). Default 5m, Alertmanager's resolve_timeout.
   */
  restoredResolveAfterMs?: number;
  /** How long alert state changes are collected before they are written (default 200 ms). */
  journalDelayMs?: number;
}

/** Kinds whose objects the module reads. */
const WATCHED = new Set<string>([...CONFIG_KINDS, 'AlertRule', 'Channel', 'Runbook', 'Check', 'Watchdog']);

export function createAlertingModule(options: AlertingModuleOptions = {}): ServerModule {
  return {
    name: 'alerting',
    kinds: [alertRuleKind, ...ALERTING_KINDS, channelKind, watchdogKind],
    start: (cx) => startAlerting(cx, options),
  };
}

export const alertingModule: ServerModule = createAlertingModule();

export function checkSnapshot(v: CheckStateView): CheckStateSnapshot {
  const locations = v.locations
    ? v.locations.map((l) => ({ location: l.location, status: l.status, hard: l.hard, since: l.since, ...(l.message ? { message: l.message } : {}) }))
    : [{ location: 'local', status: v.status, hard: v.hard, since: v.since, ...(v.message ? { message: v.message } : {}) }];
  return { check: v.name, labels: v.labels, severity: v.severity, ...(v.target ? { host: v.target } : {}), locations };
}

async function startAlerting(cx: ModuleContext, options: AlertingModuleOptions): Promise<ModuleHandle> {
  const externalURL = options.externalURL ?? process.env.KANSOKU_EXTERNAL_URL ?? `http://${cx.config.listen}`;
  const state = cx.state as Partial<KyselyStateStore>;
  if (!state.database || !state.engine) throw new Error('alerting needs the SQL state store (SQLite or PostgreSQL) for its notification outbox');
  const outbox = new KyselyOutboxStore(state.database as unknown as Kysely<unknown>, state.engine);
  const alertState = new KyselyAlertStateStore(state.database);

  const checks = cx.modules.get('checks')?.api as ChecksApi | undefined;
  const metrics = cx.modules.get('metrics')?.api as MetricsApi | undefined;
  const engine = new PromqlEngine(metrics?.source ?? new StoreSeriesSource(cx.telemetry));

  // The service and the meta-monitor are created after the parts that call back into them.
  const late: { service?: AlertingService; meta?: MetaMonitor; series?: AlertSeriesWriter; journal?: AlertStateWriter } = {};
  const svc = (): AlertingService => late.service!;
  const notify = new NotifyDispatcher({
    store: outbox,
    resolveChannel: async (name) => svc().getObject('Channel', name)?.spec ?? (await cx.objects.list({ kind: 'Channel' })).find((o) => o.name === name)?.spec,
    logger: cx.logger.child({ part: 'notify' }),
    registry: cx.metrics.registry,
    ...(options.notify ?? {}),
  });
  const dispatcher = new AlertDispatcher({
    config: AlertingService.emptyConfig(),
    notify: (n) => svc().enqueue(n),
    externalURL,
    sendResolved: (r) => svc().sendResolved(r),
    onNotifyError: (n, err) => cx.logger.error({ err, receiver: n.receiver, groupKey: n.groupKey }, 'could not queue a notification; routing retries at the next group interval'),
    onStateChange: () => late.journal?.schedule(),
  });
  const intervals = new Map<string, number>();
  const rules = new RuleManager({
    query: engineQueryFunc(engine),
    ...(checks ? { checkStates: { checkStates: () => checks.states().map(checkSnapshot) } } : {}),
    sink: (alerts) => dispatcher.receive(alerts),
    externalURL,
    onRound: (r) => {
      if (r.failedRules > 0) cx.logger.warn({ group: r.group, failed: r.failedRules }, 'alert rules failed to evaluate');
      late.meta?.onRound(r, intervals.get(r.group) ?? 60_000);
      late.series?.touch();
      late.journal?.schedule();
    },
  });
  // ALERTS / ALERTS_FOR_STATE go where every other sample goes (the metrics module's batcher).
  const series = metrics ? new AlertSeriesWriter(() => rules.alertSeries(), (rows) => metrics.ingest.batcher.append(rows)) : undefined;
  late.series = series;
  const service = new AlertingService(dispatcher, notify, rules, cx.logger, externalURL);
  late.service = service;
  const journal = new AlertStateWriter({ store: alertState, dispatcher, rules, logger: cx.logger.child({ part: 'alert-journal' }), ...(options.journalDelayMs !== undefined ? { delayMs: options.journalDelayMs } : {}) });
  service.journal = journal;
  service.alertState = alertState;
  service.outbox = outbox;

  const watchdogs = new WatchdogRunner({ logger: cx.logger.child({ part: 'watchdog' }), externalURL });
  const reloadWatchdogs = () => {
    const m = new Map<string, WatchdogSpec>();
    for (const o of service.objectsOf('Watchdog')) {
      const r = watchdogSpecSchema.safeParse(o.spec);
      if (r.success) m.set(o.name, r.data);
    }
    watchdogs.set(m);
  };

  let reloadTimer: NodeJS.Timeout | undefined;
  const reload = () => {
    reloadTimer = undefined;
    service.reload();
    for (const g of rules.listGroups()) intervals.set(g.name, g.intervalMs);
    reloadWatchdogs();
  };
  // Listen before listing so nothing committed in between is missed; an apply of many objects
  // arrives as many changes and is rebuilt once.
  const unsubscribeObjects = cx.objects.subscribe((c) => {
    if (!WATCHED.has(c.kind)) return;
    service.put(c.object, c.change === 'delete');
    if (c.kind === 'Check') return;
    reloadTimer ??= setTimeout(reload, 0);
  });
  // Only kinds this build registers (Runbook and Check come from other modules).
  const known = new Set(cx.objects.registry.names());
  for (const kind of WATCHED) if (known.has(kind)) for (const o of await cx.objects.list({ kind })) service.put(o);
  reload();

  // What the previous process knew: alerts, acknowledgements, dispatch log, escalations, rule timers.
  const restored = await journal.restore({
    ...(options.forGracePeriodMs !== undefined ? { forGracePeriodMs: options.forGracePeriodMs } : {}),
    ...(options.forOutageToleranceMs !== undefined ? { forOutageToleranceMs: options.forOutageToleranceMs } : {}),
  });
  late.journal = journal;
  journal.start();
  const resolveOrphans = setTimeout(() => {
    const gone = dispatcher.resolveUnconfirmed();
    if (gone.length) cx.logger.info({ alerts: gone }, 'resolved restored alerts that no rule, check or monitor raised again');
  }, options.restoredResolveAfterMs ?? 5 * 60_000);
  resolveOrphans.unref();
  const restoredActive = restored.alerts.filter((a) => a.state !== 'resolved').length;
  if (restored.alerts.length) cx.logger.info({ alerts: restored.alerts.length, active: restoredActive, escalations: restored.escalations.length }, 'alert state restored');

  // Default check alerts, driven by state-change events.
  const checkAlerts = new CheckAlerts({
    runbookOf: (name) => (service.getObject('Check', name)?.spec as { runbook?: string } | undefined)?.runbook,
    externalURL,
  });
  checkAlerts.restore(
    restored.alerts
      .filter((a) => a.endsAt === null && a.startsAt !== null && a.rule === null)
      .map((a) => ({ fingerprint: a.fingerprint, labels: a.labels, annotations: a.annotations, startsAt: a.startsAt!, ...(a.generatorURL ? { generatorURL: a.generatorURL } : {}) })),
  );
  const defaultAlerts = options.defaultCheckAlerts ?? true;
  const syncChecks = () => {
    if (!checks) return;
    if (defaultAlerts) service.receive(checkAlerts.sync(checks.states(), Date.now()));
  };
  const unsubscribeChecks = checks?.subscribe((e) => {
    if (defaultAlerts) service.receive(checkAlerts.update(e.check, checks.state(e.check), Date.now()));
    void rules.evaluateCheckStateRules().catch((err: unknown) => cx.logger.error({ err }, 'check-state rules failed'));
  });
  syncChecks();
  const resync = setInterval(syncChecks, options.checkResyncMs ?? 5_000);
  resync.unref();

  const meta = new MetaMonitor(
    {
      registry: cx.metrics.registry,
      nextRuns: () => (checks ? checks.states().filter((s) => !s.disabled && s.nextRun !== null).map((s) => s.nextRun!) : []),
      outbox,
      sink: (alerts) => service.receive(alerts),
    },
    options.metaMonitor,
  );
  late.meta = meta;

  notify.start();
  rules.start();
  meta.start();
  cx.logger.info({ rules: service.objectsOf('AlertRule').length, channels: service.objectsOf('Channel').length, routes: service.objectsOf('Route').length }, 'alerting started');

  return {
    routes: (app) =>
      registerAlertRoutes(app, {
        service,
        audit: { store: cx.state, objects: cx.objects },
        status: async () => ({
          routingProblems: service.configProblems(),
          groups: dispatcher.groupsInfo().map((g) => ({ ...g, nextFlushAt: new Date(g.nextFlushAt).toISOString() })),
          ruleGroups: rules.listGroups(),
          outbox: await outbox.countByStatus(),
          firingCheckAlerts: checkAlerts.firingChecks(),
          watchdogs: [...watchdogs.last.values()].map((b) => ({ ...b, at: new Date(b.at).toISOString() })),
        }),
      }),
    async ready() {
      const problems = service.configProblems();
      if (problems.length && service.objectsOf('Route').length) cx.logger.debug({ problems }, 'alert routing has problems');
    },
    async stop() {
      unsubscribeObjects();
      unsubscribeChecks?.();
      clearInterval(resync);
      clearTimeout(resolveOrphans);
      if (reloadTimer) clearTimeout(reloadTimer);
      meta.stop();
      watchdogs.stop();
      await rules.stop();
      series?.stop();
      await dispatcher.stop();
      await journal.stop().catch((err: unknown) => cx.logger.error({ err }, 'could not store the last alert state changes'));
      await notify.stop();
    },
    api: service,
  };
}
