import { randomUUID } from 'node:crypto';
import type { CheckEvidence, CheckResult } from '../core/check-result.js';
import type { Severity } from '../core/severity.js';
import type { Logger } from '../lib/logger.js';
import type { CapturedEvidence } from '../sources/checks/evidence/index.js';
import type { BeatKind, HeartbeatBook } from '../sources/checks/heartbeat/index.js';
import type { CheckResultRow, TelemetryStore } from '../store/telemetry-store.js';
import type { CommonCheckSpec } from './check-kind.js';
import type { CheckRunner } from './check-runner.js';
import { systemClock, type Clock } from './clock.js';
import type { ConcurrencyLimits } from './concurrency.js';
import { resultSamples } from './result-samples.js';
import { ResultWriter } from './result-writer.js';
import { CheckScheduler, type CompletedRun, type ResultVerdict, type SchedulerMetrics } from './scheduler.js';
import {
  applyResult,
  DEFAULT_FLAP_THRESHOLDS,
  FLAP_WINDOW,
  initialState,
  persistedState,
  restoreState,
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
}

export type CheckStateListener = (e: CheckStateEvent) => void;

export interface LastRun {
  status: CheckResult['status'];
  message: string;
  startedAt: number;
  durationMs: number;
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
}

interface Tracked {
  def: CheckDefinition;
  state: CheckState;
  lastRun: LastRun | null;
  restored: Promise<void> | null;
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
    if (t) t.def = def;
    else {
      t = { def, state: initialState(), lastRun: null, restored: null };
      this.#checks.set(def.name, t);
      if (this.#started) t.restored = this.#restore(t);
    }
    if (this.#started) this.#scheduleWhenRestored(t);
  }

  /** A check runs only once its state is back, so a first run never works from a blank state. */
  #scheduleWhenRestored(t: Tracked): void {
    void (t.restored ?? Promise.resolve()).then(() => {
      if (this.#checks.get(t.def.name) !== t) return;
      try {
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
  }

  /** Resolves when every check known so far has its state rebuilt. */
  async restored(): Promise<void> {
    await Promise.all([...this.#checks.values()].map((t) => t.restored));
  }

  async stop(): Promise<void> {
    this.#evidenceAbort.abort();
    await this.#scheduler.stop();
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
      message: t.lastRun?.message ?? null,
      lastRun: t.lastRun,
      nextRun: this.#scheduler.nextRun(name),
    };
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
  flush(): Promise<void> {
    return this.#writer.flush();
  }

  #restore(t: Tracked): Promise<void> {
    return this.#restoreSlots(() => this.#restoreNow(t));
  }

  readonly #restoreSlots = concurrencyLimit(8);

  async #restoreNow(t: Tracked): Promise<void> {
    const name = t.def.name;
    const now = this.#clock.now();
    try {
      const rows = await this.opts.telemetry.selectCheckResults({
        check: name,
        location: this.#location,
        startMs: now - (this.opts.restoreWindowMs ?? 90 * 86_400_000),
        endMs: now,
        limit: FLAP_WINDOW,
        order: 'desc',
      });
      if (!rows.length) return;
      rows.reverse();
      t.state = restoreState(rows.map((r) => ({ status: r.status, at: r.startedAt, state: r.evidence?.state })), t.def.spec.attempts, this.opts.flap ?? DEFAULT_FLAP_THRESHOLDS);
      const last = rows.at(-1)!;
      t.lastRun = { status: last.status, message: last.message, startedAt: last.startedAt, durationMs: last.durationMs };
      if (t.def.spec.type === 'heartbeat') this.opts.heartbeats?.restore(name, last.evidence?.heartbeat);
    } catch (err) {
      this.opts.logger?.warn({ check: name, err }, 'could not rebuild check state from stored results; starting from pending');
    }
  }

  async #onResult(run: CompletedRun): Promise<ResultVerdict> {
    const t = this.#checks.get(run.name);
    if (!t) return { retry: false };
    await t.restored;
    const { result } = run;
    const prev = t.state;
    const outcome = applyResult(prev, { status: result.status, at: result.startedAt }, run.spec.attempts, this.opts.flap ?? DEFAULT_FLAP_THRESHOLDS);
    const turnedBad = (prev.status === 'ok' || prev.status === 'pending') && result.status !== 'ok';
    let evidence: CheckEvidence = { ...(result.evidence ?? {}) };
    if (turnedBad && run.host && this.opts.captureEvidence) {
      try {
        const captured = await this.opts.captureEvidence(run.host, { signal: this.#evidenceAbort.signal, timeoutMs: this.opts.evidenceTimeoutMs ?? 8000 });
        evidence = { ...evidence, ...captured, capturedAt: new Date(this.#clock.now()).toISOString() };
      } catch (err) {
        this.opts.logger?.warn({ check: run.name, err }, 'could not capture evidence');
      }
    }
    // The check may have been removed while evidence was being captured.
    if (this.#checks.get(run.name) !== t) return { retry: false };
    t.state = outcome.state;
    t.lastRun = { status: result.status, message: result.message, startedAt: result.startedAt, durationMs: result.durationMs };
    const row: CheckResultRow = {
      check: run.name,
      location: this.#location,
      status: result.status,
      message: result.message,
      startedAt: result.startedAt,
      durationMs: result.durationMs,
      metrics: result.metrics,
      evidence: { ...evidence, state: persistedState(outcome.state) },
      runId: randomUUID(),
    };
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
    return { retry: outcome.state.status !== 'ok' && !outcome.state.hard };
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
