import { randomUUID } from 'node:crypto';
import type { CheckEvidence, CheckResult } from '../core/check-result.js';
import type { Severity } from '../core/severity.js';
import type { Logger } from '../lib/logger.js';
import type { CapturedEvidence } from '../sources/checks/evidence/index.js';
import type { BeatKind, HeartbeatBook } from '../sources/checks/heartbeat/index.js';
import type { CheckResultRow, TelemetryStore } from '../store/telemetry-store.js';
import type { CommonCheckSpec } from './check-kind.js';
import { ValidationError } from '../lib/errors.js';
import type { CheckRunner } from './check-runner.js';
import { systemClock, type Clock, type TimerHandle } from '../lib/clock.js';
import type { ConcurrencyLimits } from './concurrency.js';
import { aggregateLocations, nextOverallState, type Aggregate } from './locations/aggregate.js';
import { assignmentsFor, checkLocations, isDistributed, minFailingLocations, runsOnServer, type AssignableCheck } from './locations/assignment.js';
import { LocationBook, SILENT_AFTER_INTERVALS, silentMessage, silentState, type LocationTrack } from './locations/location-book.js';
import { checkTimings } from './check-kind.js';
import { resultSamples } from './result-samples.js';
import { ResultWriter } from './result-writer.js';
import { NetConnectionWatcher } from './connection-watch.js';
import { CheckScheduler, type CompletedRun, type ResultVerdict, type SchedulerMetrics } from './scheduler.js';
import {
  applyResult,
  DEFAULT_FLAP_THRESHOLDS,
  FLAP_WINDOW,
  initialState,
  persistedState,
  restoreState,
  type ApplyOutcome,
  type CheckState,
  type CheckStateStatus,
  type FlapThresholds,
  type TransitionKind,
} from './state-machine.js';

/** Where checks run from when no probe location is named: the server itself. */
export const LOCAL_LOCATION = 'local';

export interface CheckDefinition {
  name: string;
  labels: Record<string, string>;
  spec: CommonCheckSpec;
}

/** A state change: what alerting, incidents and automation subscribe to. */
export interface CheckStateEvent {
  check: string;
  type: string;
  labels: Record<string, string>;
  severity: Severity;
  location: string;
  /** Epoch ms of the run that caused the change. */
  at: number;
  kind: TransitionKind | 'flapping-start' | 'flapping-stop';
  previous: { status: CheckStateStatus; hard: boolean };
  current: { status: CheckStateStatus; hard: boolean; attempt: number; attempts: number; since: number | null };
  flapping: boolean;
  message: string;
  /** The stored result row (its evidence included). */
  result: CheckResultRow;
  /**
   * For a check that runs from several locations: which fail, which cannot tell (UNKNOWN,
   * silent, not reported yet), k of n, and each location's state. `location` is the one whose
   * result (or silence) caused the change.
   */
  locations?: { failing: string[]; unknown: string[]; k: number; n: number; states: Record<string, CheckStateStatus> };
}

export type CheckStateListener = (e: CheckStateEvent) => void;

export interface LastRun {
  status: CheckResult['status'];
  message: string;
  startedAt: number;
  durationMs: number;
  /** Why the run happened, when not its schedule: "manual" (run now) or "watch" (its watched connection was lost). */
  trigger?: 'manual' | 'watch';
}

/** What the API and `kansoku status` show for a check. */
export interface CheckStateView {
  name: string;
  type: string;
  labels: Record<string, string>;
  severity: string;
  disabled: boolean;
  target: string | null;
  status: CheckStateStatus;
  hard: boolean;
  attempt: number;
  attempts: number;
  since: number | null;
  hardSince: number | null;
  flapping: boolean;
  flapPercent: number;
  message: string | null;
  lastRun: LastRun | null;
  nextRun: number | null;
  /** k of "bad when k of n locations fail"; null for a check that runs on the server only. */
  minFailingLocations: number | null;
  /** Each location's own state; null for a check that runs on the server only. */
  locations: LocationStateView[] | null;
}

export interface LocationStateView {
  location: string;
  status: CheckStateStatus;
  hard: boolean;
  attempt: number;
  since: number | null;
  flapping: boolean;
  /** Epoch ms since the location has been silent (no result for 3 intervals); null while it reports. */
  silentSince: number | null;
  message: string | null;
  lastRun: LastRun | null;
}

/** A result a probe agent pushed: `runId` makes a second push of the same run harmless. */
export interface RemoteResult {
  check: string;
  runId: string;
  result: CheckResult;
}

export interface AcceptOutcome {
  accepted: number;
  duplicates: number;
  /** Results the server will never take (unknown check, location not listed); the agent drops them. */
  rejected: { check: string; runId: string; reason: string }[];
}

export interface CheckServiceOptions {
  telemetry: Pick<TelemetryStore, 'appendCheckResults' | 'appendSamples' | 'selectCheckResults'>;
  runners: ReadonlyMap<string, CheckRunner>;
  heartbeats?: HeartbeatBook;
  clock?: Clock;
  limits?: ConcurrencyLimits;
  hardDeadlineGraceMs?: number;
  metrics?: SchedulerMetrics;
  logger?: Logger;
  location?: string;
  flap?: FlapThresholds;
  /** Captures ping / tracepath when a check turns bad; undefined disables evidence. */
  captureEvidence?: (host: string, opts: { signal?: AbortSignal; timeoutMs: number }) => Promise<CapturedEvidence>;
  evidenceTimeoutMs?: number;
  /** How far back to look for a check's latest results when rebuilding its state. */
  restoreWindowMs?: number;
  /** How often locations are looked at for silence. Default: 1 s. */
  silenceSweepMs?: number;
}

interface Tracked {
  def: CheckDefinition;
  state: CheckState;
  lastRun: LastRun | null;
  restored: Promise<void> | null;
  /** Per-location states, for a check that runs from probe locations; null when server-only. */
  locs: LocationBook | null;
}

/**
 * The checks capability: keeps the scheduler in step with the Check objects, turns each result
 * into a state (soft / hard, flapping), stores every run and its metrics in the telemetry store,
 * captures evidence when a check turns bad, and tells subscribers about every state change.
 *
 * The current state is not kept in the state store (its port has no table for it): each stored
 * result carries the state after it in `evidence.state`, and on start each check's state is
 * rebuilt from its latest results (the newest row's state, the last 21 statuses for flapping).
 */
export class CheckService {
  readonly #clock: Clock;
  readonly #location: string;
  readonly #checks = new Map<string, Tracked>();
  readonly #listeners = new Set<CheckStateListener>();
  readonly #writer: ResultWriter;
  readonly #scheduler: CheckScheduler;
  readonly #evidenceAbort = new AbortController();
  #started = false;
  #sweepTimer: TimerHandle | null = null;

  constructor(private readonly opts: CheckServiceOptions) {
    this.#clock = opts.clock ?? systemClock;
    this.#location = opts.location ?? LOCAL_LOCATION;
    this.#writer = new ResultWriter(opts.telemetry, opts.logger);
    this.#scheduler = new CheckScheduler({
      runners: opts.runners,
      clock: this.#clock,
      ...(opts.limits ? { limits: opts.limits } : {}),
      ...(opts.hardDeadlineGraceMs !== undefined ? { hardDeadlineGraceMs: opts.hardDeadlineGraceMs } : {}),
      ...(opts.metrics ? { metrics: opts.metrics } : {}),
      ...(opts.logger ? { logger: opts.logger } : {}),
      watcher: new NetConnectionWatcher(opts.logger ? { logger: opts.logger } : {}),
      onResult: (run) => this.#onResult(run),
    });
  }

  get scheduler(): CheckScheduler {
    return this.#scheduler;
  }

  get location(): string {
    return this.#location;
  }

  /** Adds or changes a check. Its state survives a spec change. */
  upsert(def: CheckDefinition): void {
    let t = this.#checks.get(def.name);
    if (t) {
      t.def = def;
      this.#syncLocations(t);
    } else {
      t = { def, state: initialState(), lastRun: null, restored: null, locs: null };
      this.#checks.set(def.name, t);
      this.#syncLocations(t);
      if (this.#started) t.restored = this.#restore(t);
    }
    if (this.#started) this.#scheduleWhenRestored(t);
  }

  /** Keeps a check's per-location book in step with its spec.locations. */
  #syncLocations(t: Tracked): void {
    const now = this.#clock.now();
    if (!isDistributed(t.def.spec, this.#location)) {
      // Back to server-only: the server's own location state becomes the check's state.
      const own = t.locs?.get(this.#location);
      if (own) {
        t.state = own.state;
        t.lastRun = own.lastRun;
      }
      t.locs = null;
      return;
    }
    const locations = checkLocations(t.def.spec, this.#location);
    if (!t.locs) {
      const wasLocal = t.state.status !== 'pending';
      t.locs = new LocationBook(locations, now);
      const own = t.locs.get(this.#location);
      if (own && wasLocal) {
        own.state = t.state;
        own.lastRun = t.lastRun;
      }
    } else t.locs.sync(locations, now);
    this.#reaggregate(t, now);
  }

  /** A check runs only once its state is back, so a first run never works from a blank state. */
  #scheduleWhenRestored(t: Tracked): void {
    void (t.restored ?? Promise.resolve()).then(() => {
      if (this.#checks.get(t.def.name) !== t) return;
      try {
        if (!runsOnServer(t.def.spec, this.#location)) {
          this.#scheduler.remove(t.def.name);
          return;
        }
        this.#scheduler.upsert(t.def.name, t.def.spec);
      } catch (err) {
        this.opts.logger?.error({ check: t.def.name, err }, 'could not schedule check');
      }
    });
  }

  remove(name: string): void {
    this.#checks.delete(name);
    this.#scheduler.remove(name);
    this.opts.heartbeats?.delete(name);
  }

  has(name: string): boolean {
    return this.#checks.has(name);
  }

  definition(name: string): CheckDefinition | undefined {
    return this.#checks.get(name)?.def;
  }

  /** Rebuilds every known check's state from stored results, then starts scheduling. */
  /**
   * Starts scheduling at once; states are rebuilt in the background, a few queries at a time,
   * and a check's first result waits for its own state to be back.
   */
  start(): void {
    this.#started = true;
    for (const t of this.#checks.values()) {
      t.restored = this.#restore(t);
      this.#scheduleWhenRestored(t);
    }
    this.#scheduler.start();
    this.#armSweep();
  }

  /** Resolves when every check known so far has its state rebuilt. */
  async restored(): Promise<void> {
    await Promise.all([...this.#checks.values()].map((t) => t.restored));
  }

  async stop(): Promise<void> {
    if (this.#sweepTimer) this.#clock.clearTimer(this.#sweepTimer);
    this.#sweepTimer = null;
    this.#started = false;
    await this.#scheduler.stop();
    // Evidence being captured is cut short (the abort ends ping / tracepath) and what was
    // gathered is still written.
    this.#evidenceAbort.abort();
    await Promise.all([...this.#pendingEvidence]);
    await this.#writer.flush();
  }

  subscribe(listener: CheckStateListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  states(): CheckStateView[] {
    return [...this.#checks.keys()].sort().map((n) => this.state(n)!);
  }

  state(name: string): CheckStateView | undefined {
    const t = this.#checks.get(name);
    if (!t) return undefined;
    const { def, state } = t;
    const runner = this.opts.runners.get(def.spec.type);
    return {
      name,
      type: def.spec.type,
      labels: def.labels,
      severity: def.spec.severity,
      disabled: def.spec.disabled,
      target: runner?.targetHost(def.spec) ?? null,
      status: state.status,
      hard: state.hard,
      attempt: state.attempt,
      attempts: def.spec.attempts,
      since: state.since,
      hardSince: state.hardSince,
      flapping: state.flapping,
      flapPercent: state.flapPercent,
      message: t.locs ? this.#aggregate(t).message : (t.lastRun?.message ?? null),
      lastRun: t.locs ? newestRun(t.locs.all()) : t.lastRun,
      nextRun: this.#scheduler.nextRun(name),
      minFailingLocations: t.locs ? minFailingLocations(def.spec, this.#location) : null,
      locations: t.locs
        ? t.locs.all().map((l) => ({
            location: l.location,
            status: l.state.status,
            hard: l.state.hard,
            attempt: l.state.attempt,
            since: l.state.since,
            flapping: l.state.flapping,
            silentSince: l.silentSince,
            message: l.lastRun?.message ?? null,
            lastRun: l.lastRun,
          }))
        : null,
    };
  }

  /** The enabled checks a probe agent at `location` runs (secrets included: the probe needs them). */
  assignments(location: string): AssignableCheck[] {
    return assignmentsFor(location, [...this.#checks.values()].map((t) => t.def), this.#location);
  }

  /**
   * Takes results a probe agent pushed from `location`: stores every one (the store dedupes on
   * runId) and applies the new ones to that location's state, oldest first; a result older than
   * one already applied is stored but leaves the state alone, so a retried or late batch cannot
   * move the state backwards.
   */
  async acceptResults(location: string, results: readonly RemoteResult[]): Promise<AcceptOutcome> {
    if (location === this.#location) {
      throw new ValidationError('KSK_PROBE_LOCATION_RESERVED', `location "${location}" is the server's own; name the probe after the place it runs in`, [{ path: 'params.location', message: 'reserved for the server' }]);
    }
    const out: AcceptOutcome = { accepted: 0, duplicates: 0, rejected: [] };
    const sorted = [...results].sort((a, b) => a.result.startedAt - b.result.startedAt);
    for (const r of sorted) {
      const t = this.#checks.get(r.check);
      const reject = (reason: string) => out.rejected.push({ check: r.check, runId: r.runId, reason });
      if (!t) {
        reject(`Check/${r.check} does not exist (deleted?)`);
        continue;
      }
      if (t.def.spec.disabled) {
        reject(`Check/${r.check} is disabled`);
        continue;
      }
      await t.restored;
      if (this.#checks.get(r.check) !== t) {
        reject(`Check/${r.check} was deleted`);
        continue;
      }
      const track = t.locs?.get(location);
      if (!t.locs || !track) {
        reject(`Check/${r.check} does not run from location "${location}" (spec.locations: ${checkLocations(t.def.spec, this.#location).join(', ')})`);
        continue;
      }
      if (!t.locs.remember(track, r.runId)) {
        out.duplicates++;
        continue;
      }
      const result = { ...r.result, evidence: r.result.evidence ?? {} };
      track.lastReportAt = Math.max(track.lastReportAt, this.#clock.now());
      if (result.startedAt <= track.newestStartedAt) {
        this.#writer.add(this.#row(r.check, location, result, result.evidence, r.runId), resultSamples(r.check, location, result));
      } else {
        this.#applyAt(t, track, result, result.evidence, r.runId);
      }
      out.accepted++;
    }
    return out;
  }

  /** Runs a check now and resolves with its result and the state after it; undefined for an unknown or disabled check. */
  async runNow(name: string): Promise<{ result: CheckResult; state: CheckStateView } | undefined> {
    // A check created a moment ago is scheduled once its state is back; wait for that.
    await this.#checks.get(name)?.restored;
    const p = this.#scheduler.runNow(name);
    if (!p) return undefined;
    const result = await p;
    return { result, state: this.state(name)! };
  }

  /** Records a heartbeat and evaluates the check at once, so a failure or a recovery shows immediately. */
  async beat(name: string, kind: BeatKind, message?: string): Promise<{ result: CheckResult; state: CheckStateView } | undefined> {
    const book = this.opts.heartbeats;
    const t = this.#checks.get(name);
    if (!book || !t || t.def.spec.type !== 'heartbeat') return undefined;
    await t.restored;
    book.record(name, kind, this.#clock.now(), message);
    if (kind === 'start') return { result: { status: 'ok', message: 'job started', startedAt: this.#clock.now(), durationMs: 0, metrics: [] }, state: this.state(name)! };
    return this.runNow(name);
  }

  /** Waits until every result so far is stored (tests, shutdown). */
  async flush(): Promise<void> {
    await Promise.all([...this.#pendingEvidence]);
    return this.#writer.flush();
  }

  #restore(t: Tracked): Promise<void> {
    return this.#restoreSlots(() => this.#restoreNow(t));
  }

  readonly #restoreSlots = concurrencyLimit(8);

  async #restoreNow(t: Tracked): Promise<void> {
    if (t.locs) return this.#restoreLocations(t, t.locs);
    const name = t.def.name;
    const now = this.#clock.now();
    try {
      const rows = await this.#latestRows(name, this.#location, now);
      if (!rows.length) return;
      t.state = restoreState(rows.map((r) => ({ status: r.status, at: r.startedAt, state: r.evidence?.state })), t.def.spec.attempts, this.opts.flap ?? DEFAULT_FLAP_THRESHOLDS);
      const last = rows.at(-1)!;
      t.lastRun = { status: last.status, message: last.message, startedAt: last.startedAt, durationMs: last.durationMs };
      if (t.def.spec.type === 'heartbeat') this.opts.heartbeats?.restore(name, last.evidence?.heartbeat);
    } catch (err) {
      this.opts.logger?.warn({ check: name, err }, 'could not rebuild check state from stored results; starting from pending');
    }
  }

  /** Oldest first, at most FLAP_WINDOW. */
  async #latestRows(check: string, location: string, now: number): Promise<CheckResultRow[]> {
    const rows = await this.opts.telemetry.selectCheckResults({
      check,
      location,
      startMs: now - (this.opts.restoreWindowMs ?? 90 * 86_400_000),
      endMs: now,
      limit: FLAP_WINDOW,
      order: 'desc',
    });
    return rows.reverse();
  }

  /**
   * Each location's state from its own latest rows; the overall state from the aggregate, with
   * its since / hard since from the newest row when that row recorded the same overall state.
   * Silence clocks start now: probes could not report while the server was down.
   */
  async #restoreLocations(t: Tracked, book: LocationBook): Promise<void> {
    const name = t.def.name;
    const now = this.#clock.now();
    let newest: CheckResultRow | undefined;
    for (const track of book.all()) {
      try {
        const rows = await this.#latestRows(name, track.location, now);
        if (!rows.length) continue;
        track.state = restoreState(rows.map((r) => ({ status: r.status, at: r.startedAt, state: r.evidence?.state })), t.def.spec.attempts, this.opts.flap ?? DEFAULT_FLAP_THRESHOLDS);
        const last = rows.at(-1)!;
        track.lastRun = { status: last.status, message: last.message, startedAt: last.startedAt, durationMs: last.durationMs };
        track.newestStartedAt = last.startedAt;
        for (const r of rows) book.remember(track, r.runId);
        if (!newest || last.startedAt > newest.startedAt) newest = last;
      } catch (err) {
        this.opts.logger?.warn({ check: name, location: track.location, err }, 'could not rebuild a location state from stored results; starting from pending');
      }
    }
    book.resetSilenceClocks(now);
    const agg = this.#aggregate(t);
    t.state = nextOverallState(initialState(), agg, newest?.startedAt ?? now).state;
    const recorded = newest?.evidence?.overall as Partial<CheckState> | undefined;
    if (recorded && recorded.status === t.state.status && recorded.hard === t.state.hard && typeof recorded.since === 'number') {
      t.state = { ...t.state, since: recorded.since, hardSince: typeof recorded.hardSince === 'number' ? recorded.hardSince : t.state.hardSince };
    }
  }

  async #onResult(run: CompletedRun): Promise<ResultVerdict> {
    const t = this.#checks.get(run.name);
    if (!t) return { retry: false };
    await t.restored;
    const { result } = run;
    const track = t.locs?.get(this.#location);
    const prev = track ? track.state : t.state;
    const turnedBad = (prev.status === 'ok' || prev.status === 'pending') && result.status !== 'ok';
    let evidence: CheckEvidence = { ...(result.evidence ?? {}) };
    const wantEvidence = turnedBad && run.host && this.opts.captureEvidence;
    if (wantEvidence && t.locs) {
      // Checks that also run from probe locations capture before recording (rare, and the
      // per-location row is built deeper down).
      evidence = { ...evidence, ...(await this.#captureEvidence(run.name, run.host!)) };
      // The check may have been removed (or stopped running here) while evidence was being captured.
      if (this.#checks.get(run.name) !== t) return { retry: false };
    }
    if (t.locs) {
      const own = t.locs.get(this.#location);
      if (!own) return { retry: false };
      own.lastReportAt = this.#clock.now();
      const outcome = this.#applyAt(t, own, result, evidence, randomUUID(), run.spec);
      return { retry: outcome.state.status !== 'ok' && !outcome.state.hard };
    }
    const outcome = applyResult(prev, { status: result.status, at: result.startedAt }, run.spec.attempts, this.opts.flap ?? DEFAULT_FLAP_THRESHOLDS);
    t.state = outcome.state;
    t.lastRun = { status: result.status, message: result.message, startedAt: result.startedAt, durationMs: result.durationMs, ...(run.trigger !== 'schedule' ? { trigger: run.trigger } : {}) };
    const row = this.#row(run.name, this.#location, result, { ...evidence, state: persistedState(outcome.state) }, randomUUID());
    this.#writer.add(row, resultSamples(run.name, this.#location, { ...result, evidence }));

    const emit = (kind: CheckStateEvent['kind']) =>
      this.#emit({
        check: run.name,
        type: run.spec.type,
        labels: t.def.labels,
        severity: run.spec.severity as Severity,
        location: this.#location,
        at: result.startedAt,
        kind,
        previous: { status: prev.status, hard: prev.hard },
        current: { status: outcome.state.status, hard: outcome.state.hard, attempt: outcome.state.attempt, attempts: run.spec.attempts, since: outcome.state.since },
        flapping: outcome.state.flapping,
        message: result.message,
        result: row,
      });
    if (outcome.transition) emit(outcome.transition.kind);
    if (outcome.flappingChanged !== undefined) emit(outcome.flappingChanged ? 'flapping-start' : 'flapping-stop');
    // Evidence (ping, tracepath: seconds) is captured after the state change has been told, so
    // alerts are not held up by it; the same row is written again with it (same key: the stored
    // row is replaced).
    if (wantEvidence) this.#track(this.#attachEvidence(run.name, run.host!, row));
    return { retry: outcome.state.status !== 'ok' && !outcome.state.hard };
  }

  async #captureEvidence(check: string, host: string): Promise<CheckEvidence> {
    try {
      const captured = await this.opts.captureEvidence!(host, { signal: this.#evidenceAbort.signal, timeoutMs: this.opts.evidenceTimeoutMs ?? 8000 });
      return { ...captured, capturedAt: new Date(this.#clock.now()).toISOString() };
    } catch (err) {
      this.opts.logger?.warn({ check, err }, 'could not capture evidence');
      return {};
    }
  }

  async #attachEvidence(check: string, host: string, row: CheckResultRow): Promise<void> {
    const captured = await this.#captureEvidence(check, host);
    if (Object.keys(captured).length) this.#writer.add({ ...row, evidence: { ...row.evidence, ...captured } }, []);
  }

  readonly #pendingEvidence = new Set<Promise<void>>();
  #track(p: Promise<void>): void {
    this.#pendingEvidence.add(p);
    void p.finally(() => this.#pendingEvidence.delete(p));
  }

  #row(check: string, location: string, result: CheckResult, evidence: CheckEvidence, runId: string): CheckResultRow {
    return {
      check,
      location,
      status: result.status,
      message: result.message,
      startedAt: result.startedAt,
      durationMs: result.durationMs,
      metrics: result.metrics,
      evidence,
      runId,
    };
  }

  #aggregate(t: Tracked): Aggregate {
    return aggregateLocations(t.locs!.statuses(), minFailingLocations(t.def.spec, this.#location));
  }

  /**
   * One location's result (or silence, with `forced`): its own state machine, the stored row
   * (with that location's state and the overall one), and the overall state from the aggregate,
   * whose changes are the check's events.
   */
  #applyAt(t: Tracked, track: LocationTrack, result: CheckResult, evidence: CheckEvidence, runId: string, spec: CommonCheckSpec = t.def.spec, forced?: CheckState): ApplyOutcome {
    const at = result.startedAt;
    const outcome: ApplyOutcome = forced ? { state: forced } : applyResult(track.state, { status: result.status, at }, spec.attempts, this.opts.flap ?? DEFAULT_FLAP_THRESHOLDS);
    track.state = outcome.state;
    track.lastRun = { status: result.status, message: result.message, startedAt: result.startedAt, durationMs: result.durationMs };
    track.newestStartedAt = Math.max(track.newestStartedAt, at);
    if (!forced) track.silentSince = null;
    const prevOverall = t.state;
    const overall = nextOverallState(prevOverall, this.#aggregate(t), at);
    t.state = overall.state;
    const row = this.#row(t.def.name, track.location, result, { ...evidence, state: persistedState(outcome.state), overall: persistedState(overall.state) }, runId);
    this.#writer.add(row, resultSamples(t.def.name, track.location, { ...result, evidence }));
    this.#emitOverall(t, prevOverall, overall, row, track.location);
    return outcome;
  }

  #emitOverall(t: Tracked, prev: CheckState, overall: ApplyOutcome, row: CheckResultRow, location: string): void {
    if (!overall.transition && overall.flappingChanged === undefined) return;
    const agg = this.#aggregate(t);
    const spec = t.def.spec;
    const emit = (kind: CheckStateEvent['kind']) =>
      this.#emit({
        check: t.def.name,
        type: spec.type,
        labels: t.def.labels,
        severity: spec.severity as Severity,
        location,
        at: row.startedAt,
        kind,
        previous: { status: prev.status, hard: prev.hard },
        current: { status: overall.state.status, hard: overall.state.hard, attempt: overall.state.attempt, attempts: spec.attempts, since: overall.state.since },
        flapping: overall.state.flapping,
        message: agg.message,
        result: row,
        locations: { failing: agg.failing, unknown: agg.unknown, k: agg.k, n: agg.n, states: Object.fromEntries(t.locs!.all().map((l) => [l.location, l.state.status])) },
      });
    if (overall.transition) emit(overall.transition.kind);
    if (overall.flappingChanged !== undefined) emit(overall.flappingChanged ? 'flapping-start' : 'flapping-stop');
  }

  /** After the set of locations changed: the overall state follows, and a change is an event like any other. */
  #reaggregate(t: Tracked, now: number): void {
    if (!t.locs) return;
    const prev = t.state;
    const overall = nextOverallState(prev, this.#aggregate(t), now);
    t.state = overall.state;
    const agg = this.#aggregate(t);
    const status = overall.state.status === 'pending' ? 'unknown' : overall.state.status;
    // Not stored: no probe ran; the row only tells subscribers why the state moved.
    const row = this.#row(t.def.name, this.#location, { status, message: `spec.locations changed: ${agg.message}`, startedAt: now, durationMs: 0, metrics: [] }, {}, `locations-changed:${t.def.name}:${now}`);
    this.#emitOverall(t, prev, overall, row, this.#location);
  }

  #armSweep(): void {
    if (!this.#started) return;
    this.#sweepTimer = this.#clock.setTimer(() => {
      this.#sweepTimer = null;
      try {
        this.#sweepSilence();
      } catch (err) {
        this.opts.logger?.error({ err }, 'silence sweep failed');
      }
      this.#armSweep();
    }, this.opts.silenceSweepMs ?? 1000);
  }

  /** Marks locations that have not reported for SILENT_AFTER_INTERVALS intervals as UNKNOWN. */
  #sweepSilence(): void {
    const now = this.#clock.now();
    for (const t of this.#checks.values()) {
      if (!t.locs || t.def.spec.disabled) continue;
      const { intervalMs, timeoutMs, retryMs } = checkTimings(t.def.spec);
      const silentAfterMs = SILENT_AFTER_INTERVALS * Math.max(intervalMs, retryMs) + timeoutMs;
      for (const track of t.locs.newlySilent(now, silentAfterMs, this.#location)) {
        track.silentSince = track.lastReportAt;
        const message = silentMessage(track.location, track.lastReportAt);
        this.opts.logger?.warn({ check: t.def.name, location: track.location, since: new Date(track.lastReportAt).toISOString() }, 'probe location silent');
        const result: CheckResult = { status: 'unknown', message, startedAt: now, durationMs: 0, metrics: [] };
        this.#applyAt(t, track, result, { silentSince: new Date(track.lastReportAt).toISOString() }, `silent:${t.def.name}:${track.location}:${now}`, t.def.spec, silentState(track.state, now));
      }
    }
  }

  #emit(e: CheckStateEvent): void {
    this.opts.logger?.info({ check: e.check, kind: e.kind, from: e.previous.status, to: e.current.status, hard: e.current.hard }, 'check state changed');
    for (const l of this.#listeners) {
      try {
        l(e);
      } catch (err) {
        this.opts.logger?.error({ check: e.check, err }, 'a check state listener failed');
      }
    }
  }
}

/** Runs at most n of the given tasks at a time, in call order. */
function concurrencyLimit(n: number): <T>(task: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: (() => void)[] = [];
  return async (task) => {
    if (active >= n) await new Promise<void>((r) => waiting.push(r));
    active++;
    try {
      return await task();
    } finally {
      active--;
      waiting.shift()?.();
    }
  };
}

/** The newest run over every location. */
function newestRun(tracks: readonly LocationTrack[]): LastRun | null {
  let out: LastRun | null = null;
  for (const t of tracks) if (t.lastRun && (!out || t.lastRun.startedAt > out.startedAt)) out = t.lastRun;
  return out;
}
