import { Counter, Gauge, Histogram } from 'prom-client';
import type { ModuleContext, ModuleHandle, ServerModule } from '../server/module.js';
import { registerCheckRoutes } from '../api/routes/checks.js';
import { registerProbeRoutes } from '../api/routes/probes.js';
import { TokenService } from '../auth/tokens.js';
import { captureEvidence } from '../sources/checks/evidence/index.js';
import { HeartbeatBook } from '../sources/checks/heartbeat/index.js';
import type { StoredObject } from '../store/state-store.js';
import { builtinRunners } from './builtin-runners.js';
import { ProcesslistRecorder } from './processlist/index.js';
import { checkKind, checkSpecSchema } from './check-kind.js';
import type { CheckRunner } from './check-runner.js';
import { CheckService, type CheckServiceOptions, type CheckStateListener, type CheckStateView } from './check-service.js';
import type { Clock } from '../lib/clock.js';
import type { ConcurrencyLimits } from './concurrency.js';

/** What the checks module offers to modules started after it (alerting, incidents, automation). */
export interface ChecksApi {
  /** Every state change (soft, hard, recovery, flapping); returns the function that unsubscribes. */
  subscribe(listener: CheckStateListener): () => void;
  states(): CheckStateView[];
  state(name: string): CheckStateView | undefined;
  runNow: CheckService['runNow'];
}

export interface ChecksModuleOptions {
  clock?: Clock;
  limits?: ConcurrencyLimits;
  /** Replaces the built-in runners (tests). */
  runners?: (book: HeartbeatBook) => ReadonlyMap<string, CheckRunner>;
  captureEvidence?: CheckServiceOptions['captureEvidence'] | null;
  hardDeadlineGraceMs?: number;
  /** The server's own probe location name (default "local"). */
  location?: string;
}

/** The Check kind, the scheduler and state, and the /api/v1/checks and /api/v1/heartbeats routes. */
export function createChecksModule(options: ChecksModuleOptions = {}): ServerModule {
  return {
    name: 'checks',
    kinds: [checkKind],
    start: (cx) => startChecks(cx, options),
  };
}

export const checksModule: ServerModule = createChecksModule();

async function startChecks(cx: ModuleContext, options: ChecksModuleOptions): Promise<ModuleHandle> {
  const registry = cx.metrics.registry;
  const runs = new Counter({ name: 'kansoku_check_runs_total', help: 'Check runs completed, by check type and result status', labelNames: ['type', 'status'] as const, registers: [registry] });
  const lag = new Histogram({
    name: 'kansoku_scheduler_lag_seconds',
    help: 'Delay from when a check run was due to when its probe started',
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [registry],
  });
  const book = new HeartbeatBook();
  const runners = new Map(options.runners?.(book) ?? builtinRunners(book));
  // MySQL checks with `processlist:` keep their SHOW FULL PROCESSLIST snapshots in the log store.
  const processlist = new ProcesslistRecorder(cx.telemetry, cx.logger);
  if (runners.has('mysql')) runners.set('mysql', processlist.runner());
  const service = new CheckService({
    telemetry: cx.telemetry,
    runners,
    heartbeats: book,
    logger: cx.logger,
    metrics: { runs, lag },
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.limits ? { limits: options.limits } : {}),
    ...(options.hardDeadlineGraceMs !== undefined ? { hardDeadlineGraceMs: options.hardDeadlineGraceMs } : {}),
    ...(options.location ? { location: options.location } : {}),
    ...(options.captureEvidence === null ? {} : { captureEvidence: options.captureEvidence ?? captureEvidence }),
  });
  new Gauge({
    name: 'kansoku_checks',
    help: 'Checks by current status and hardness',
    labelNames: ['status', 'hard'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const s of service.states()) this.inc({ status: s.status, hard: String(s.hard) });
    },
  });
  new Gauge({
    name: 'kansoku_scheduler_waiting_runs',
    help: 'Check runs that are due but wait for a free concurrency slot',
    registers: [registry],
    collect() {
      this.set(service.scheduler.waiting);
    },
  });

  const apply = (o: StoredObject) => {
    const parsed = checkSpecSchema.safeParse(o.spec);
    if (!parsed.success) {
      cx.logger.error({ check: o.name, issues: parsed.error.issues.slice(0, 5) }, 'stored Check spec no longer validates; not scheduled');
      service.remove(o.name);
      return;
    }
    service.upsert({ name: o.name, labels: o.labels, spec: parsed.data });
  };
  // Listen before listing, so that no change committed in between is missed.
  const unsubscribe = cx.objects.subscribe((c) => {
    if (c.kind !== 'Check') return;
    if (c.change === 'delete') service.remove(c.name);
    else apply(c.object);
  });
  for (const o of await cx.objects.list({ kind: 'Check' })) apply(o);
  // The current state of each check also lives in the state store, written on every change
  // (not every run), for other nodes and reports; writes are chained so they land in order.
  let persisting: Promise<void> = Promise.resolve();
  const persist = (name: string) => {
    persisting = persisting.then(async () => {
      const v = service.state(name);
      try {
        if (!v) await cx.state.deleteCheckState(name);
        else
          await cx.state.putCheckState({
            name,
            status: v.status,
            hard: v.hard,
            since: v.since === null ? null : new Date(v.since).toISOString(),
            message: v.message ?? '',
            detail: { attempt: v.attempt, attempts: v.attempts, flapping: v.flapping, hardSince: v.hardSince, minFailingLocations: v.minFailingLocations, locations: v.locations },
            updatedAt: new Date().toISOString(),
          });
      } catch (err) {
        cx.logger.warn({ err, check: name }, 'could not record the check state in the state store');
      }
    });
  };
  const unsubscribeStates = service.subscribe((e) => persist(e.check));
  const unsubscribeDeletes = cx.objects.subscribe((c) => {
    if (c.kind === 'Check' && c.change === 'delete') persist(c.name);
  });
  service.start();
  cx.logger.info({ checks: service.states().length }, 'check scheduler started');

  const api: ChecksApi = {
    subscribe: (l) => service.subscribe(l),
    states: () => service.states(),
    state: (n) => service.state(n),
    runNow: (n) => service.runNow(n),
  };
  return {
    routes: (app) => {
      registerCheckRoutes(app, { service, telemetry: cx.telemetry, tokens: new TokenService(cx.state) });
      registerProbeRoutes(app, { service });
    },
    async stop() {
      unsubscribe();
      unsubscribeDeletes();
      await service.stop();
      unsubscribeStates();
      await persisting;
      await processlist.flush();
    },
    api,
  };
}
