import type { CheckResult, CheckStatus } from '../core/check-result.js';
import { formatDurationMs } from '../core/duration.js';
import type { Logger } from '../lib/logger.js';
import { checkTimings, type CommonCheckSpec } from './check-kind.js';
import type { CheckRunner } from './check-runner.js';
import { systemClock, type Clock, type TimerHandle } from '../lib/clock.js';
import { ConcurrencyGate, DEFAULT_LIMITS, type ConcurrencyLimits, type SlotKey } from './concurrency.js';
import { DueQueue } from './due-queue.js';
import { nextSlotMs, phaseOffsetMs } from './spread.js';
import type { TargetWatcher } from './connection-watch.js';

/** schedule: its interval came; manual: someone asked; watch: its watched connection was lost (`watch: connection`). */
export type RunTrigger = 'schedule' | 'manual' | 'watch';

export interface CompletedRun {
  name: string;
  spec: CommonCheckSpec;
  /** The host the check talks to, when it has one. */
  host: string | undefined;
  result: CheckResult;
  trigger: RunTrigger;
  /** When the run was due (epoch ms); for a manual run, when it was asked for. */
  scheduledAt: number;
}

/** What the owner of the state says after a result: whether the check is soft-failing (retry soon). */
export interface ResultVerdict {
  retry: boolean;
}

export interface SchedulerMetrics {
  runs?: { inc(labels: { type: string; status: CheckStatus }): void };
  /** Seconds from when a run was due to when its probe started. */
  lag?: { observe(seconds: number): void };
}

export interface SchedulerOptions {
  runners: ReadonlyMap<string, CheckRunner>;
  /** Applies a result (state, storage, events); its verdict picks the next run's time. */
  onResult(run: CompletedRun): Promise<ResultVerdict | void> | ResultVerdict | void;
  clock?: Clock;
  limits?: ConcurrencyLimits;
  /**
   * How long after its timeout a probe that ignores its AbortSignal is abandoned with UNKNOWN,
   * so that one hanging target can never hold the scheduler. Default: 2 s.
   */
  hardDeadlineGraceMs?: number;
  metrics?: SchedulerMetrics;
  logger?: Logger;
  /** Holds connections for checks with `watch: connection`; without one that setting is ignored. */
  watcher?: TargetWatcher;
}

interface Entry {
  name: string;
  spec: CommonCheckSpec;
  specKey: string;
  runner: CheckRunner;
  slot: SlotKey;
  intervalMs: number;
  timeoutMs: number;
  retryMs: number;
  offsetMs: number;
  /** The time this entry's live item in the due queue stands for; null when none. */
  due: number | null;
  queued: { scheduledAt: number; trigger: RunTrigger } | null;
  running: Promise<CheckResult> | null;
  abort: AbortController | null;
  removed: boolean;
  waiters: ((r: CheckResult) => void)[];
}

/**
 * Runs every enabled check at its interval, at a phase within the interval fixed by a hash of
 * its name; a soft-failing check runs again after its retry interval. A run needs a slot under
 * the global, per-type and per-host limits, waits in FIFO order when none is free, and is
 * bounded twice: its AbortSignal fires at the timeout, and a hard deadline shortly after
 * abandons a probe that ignores it. One timer, for the earliest due check, drives everything.
 */
export class CheckScheduler {
  readonly #clock: Clock;
  readonly #gate: ConcurrencyGate;
  readonly #entries = new Map<string, Entry>();
  readonly #queue = new DueQueue();
  readonly #ready: Entry[] = [];
  readonly #graceMs: number;
  #timer: TimerHandle | null = null;
  #armedFor: number | null = null;
  #started = false;
  #stopping = false;

  constructor(private readonly opts: SchedulerOptions) {
    this.#clock = opts.clock ?? systemClock;
    this.#gate = new ConcurrencyGate(opts.limits ?? DEFAULT_LIMITS);
    this.#graceMs = opts.hardDeadlineGraceMs ?? 2000;
  }

  get gate(): ConcurrencyGate {
    return this.#gate;
  }

  /** Adds or replaces a check; a changed spec keeps its state and moves to its new schedule. */
  upsert(name: string, spec: CommonCheckSpec): void {
    if (this.#stopping) return;
    const runner = this.opts.runners.get(spec.type);
    if (!runner) throw new Error(`no runner for check type "${spec.type}"`);
    if (spec.disabled) {
      this.remove(name);
      return;
    }
    const specKey = JSON.stringify(spec);
    const existing = this.#entries.get(name);
    if (existing && existing.specKey === specKey) return;
    this.#syncWatch(name, spec, runner);
    const { intervalMs, timeoutMs, retryMs } = checkTimings(spec);
    const fields = {
      spec,
      specKey,
      runner,
      slot: { type: spec.type, host: runner.targetHost(spec) },
      intervalMs,
      timeoutMs,
      retryMs,
      offsetMs: phaseOffsetMs(name, intervalMs),
    };
    if (existing) {
      Object.assign(existing, fields);
      if (!existing.running && !existing.queued) this.#schedule(existing, nextSlotMs(this.#clock.now(), existing.offsetMs, existing.intervalMs));
      return;
    }
    const e: Entry = { name, ...fields, due: null, queued: null, running: null, abort: null, removed: false, waiters: [] };
    this.#entries.set(name, e);
    this.#schedule(e, nextSlotMs(this.#clock.now(), e.offsetMs, e.intervalMs));
  }

  /** Stops scheduling a check; a run in flight is cancelled and its result dropped. */
  remove(name: string): void {
    const e = this.#entries.get(name);
    if (!e) return;
    this.#entries.delete(name);
    this.opts.watcher?.unwatch(name);
    e.removed = true;
    e.due = null;
    if (e.queued) {
      e.queued = null;
      const i = this.#ready.indexOf(e);
      if (i >= 0) this.#ready.splice(i, 1);
    }
    e.abort?.abort(new Error('check removed'));
  }

  has(name: string): boolean {
    return this.#entries.has(name);
  }

  /** When the check runs next (epoch ms); null when it is running, waiting for a slot, or unknown. */
  nextRun(name: string): number | null {
    return this.#entries.get(name)?.due ?? null;
  }

  isRunning(name: string): boolean {
    return Boolean(this.#entries.get(name)?.running);
  }

  /** Checks that are due but wait for a free slot. */
  get waiting(): number {
    return this.#ready.length;
  }

  start(): void {
    this.#started = true;
    this.#arm();
  }

  /**
   * Runs a check now, ahead of the ones waiting (still within the limits), and resolves with its
   * result; joins the run in flight when there is one. Undefined for an unknown check.
   */
  runNow(name: string, trigger: Exclude<RunTrigger, 'schedule'> = 'manual'): Promise<CheckResult> | undefined {
    const e = this.#entries.get(name);
    if (!e || this.#stopping) return undefined;
    const done = new Promise<CheckResult>((resolve) => e.waiters.push(resolve));
    if (!e.running && !e.queued) {
      e.due = null;
      e.queued = { scheduledAt: this.#clock.now(), trigger };
      this.#ready.unshift(e);
      this.#pump();
    }
    return done;
  }

  #syncWatch(name: string, spec: CommonCheckSpec, runner: CheckRunner): void {
    const watcher = this.opts.watcher;
    if (!watcher) return;
    const target = spec.watch === 'connection' ? runner.watchTarget?.(spec) : undefined;
    if (!target) {
      watcher.unwatch(name);
      return;
    }
    watcher.watch(name, target, (reason) => {
      if (!this.#started || this.#stopping) return;
      this.opts.logger?.info({ check: name, reason }, 'running the check early: its watched connection was lost');
      void this.runNow(name, 'watch');
    });
  }

  /** Cancels runs in flight and waits for them (each bounded by its hard deadline). */
  async stop(): Promise<void> {
    this.#stopping = true;
    this.opts.watcher?.stop();
    if (this.#timer) this.#clock.clearTimer(this.#timer);
    this.#timer = null;
    this.#ready.length = 0;
    for (const e of this.#entries.values()) e.abort?.abort(new Error('the scheduler is stopping'));
    const inFlight = [...this.#entries.values()].map((e) => e.running).filter((p): p is Promise<CheckResult> => p !== null);
    await Promise.allSettled(inFlight);
  }

  #schedule(e: Entry, at: number): void {
    if (e.removed || this.#stopping) return;
    e.due = at;
    this.#queue.push(at, e.name);
    const top = this.#queue.peek();
    if (top && (this.#armedFor === null || top.due < this.#armedFor)) this.#arm();
  }

  #arm(): void {
    if (!this.#started || this.#stopping) return;
    // Drop stale items so the timer targets a real run.
    for (let top = this.#queue.peek(); top && !this.#live(top.name, top.due); top = this.#queue.peek()) this.#queue.pop();
    const top = this.#queue.peek();
    if (this.#timer) this.#clock.clearTimer(this.#timer);
    this.#timer = null;
    this.#armedFor = null;
    if (!top) return;
    this.#armedFor = top.due;
    this.#timer = this.#clock.setTimer(() => this.#tick(), top.due - this.#clock.now());
  }

  #live(name: string, due: number): boolean {
    const e = this.#entries.get(name);
    return Boolean(e && e.due === due);
  }

  #tick(): void {
    this.#timer = null;
    this.#armedFor = null;
    const now = this.#clock.now();
    for (let top = this.#queue.peek(); top && top.due <= now; top = this.#queue.peek()) {
      this.#queue.pop();
      const e = this.#entries.get(top.name);
      if (!e || e.due !== top.due) continue;
      e.due = null;
      // A run still in flight or waiting reschedules itself when it completes.
      if (e.running || e.queued) continue;
      e.queued = { scheduledAt: top.due, trigger: 'schedule' };
      this.#ready.push(e);
    }
    this.#pump();
    this.#arm();
  }

  #pump(): void {
    if (this.#stopping) return;
    for (let i = 0; i < this.#ready.length; ) {
      if (this.#gate.inFlight() >= this.#gate.limits.global) return;
      const e = this.#ready[i]!;
      if (!this.#gate.tryAcquire(e.slot)) {
        i++;
        continue;
      }
      this.#ready.splice(i, 1);
      const q = e.queued!;
      e.queued = null;
      const slot = e.slot;
      e.running = this.#execute(e, slot, q.scheduledAt, q.trigger);
    }
  }

  async #execute(e: Entry, slot: SlotKey, scheduledAt: number, trigger: RunTrigger): Promise<CheckResult> {
    const { name, spec, runner, timeoutMs } = e;
    const startedAt = this.#clock.now();
    if (trigger === 'schedule') this.opts.metrics?.lag?.observe(Math.max(0, startedAt - scheduledAt) / 1000);
    const ac = new AbortController();
    e.abort = ac;
    const signal = ac.signal;
    const timers: TimerHandle[] = [];
    let timedOut = false;
    let result: CheckResult;
    try {
      timers.push(
        this.#clock.setTimer(() => {
          timedOut = true;
          ac.abort(new Error(`timed out after ${formatDurationMs(timeoutMs)}`));
        }, timeoutMs),
      );
      const deadline = new Promise<CheckResult>((resolve) => {
        timers.push(
          this.#clock.setTimer(() => {
            this.opts.logger?.warn({ check: name, type: spec.type, timeoutMs }, 'probe ignored its timeout; abandoned');
            resolve(unknownResult(startedAt, this.#clock.now(), `the ${spec.type} probe did not stop within ${formatDurationMs(timeoutMs)} (timeout) + ${formatDurationMs(this.#graceMs)}; abandoned`));
          }, timeoutMs + this.#graceMs),
        );
      });
      // Cancellation (check removed, scheduler stopping) ends the wait at once, whatever the probe does.
      const stopped = new Promise<CheckResult>((resolve) => {
        const onAbort = () => resolve(unknownResult(startedAt, this.#clock.now(), `run cancelled: ${(signal.reason as Error)?.message ?? 'aborted'}`));
        signal.addEventListener('abort', () => {
          if (!timedOut) onAbort();
        }, { once: true });
      });
      const probe = Promise.resolve().then(() => runner.run(name, spec, { signal, timeoutMs, now: () => this.#clock.now(), ...(this.opts.logger ? { logger: this.opts.logger } : {}) }));
      result = await Promise.race([probe, deadline, stopped]);
    } catch (err) {
      result = unknownResult(startedAt, this.#clock.now(), `the ${spec.type} probe failed: ${(err as Error)?.message ?? String(err)}`);
      this.opts.logger?.error({ check: name, type: spec.type, err }, 'probe threw instead of returning a result');
    } finally {
      for (const t of timers) this.#clock.clearTimer(t);
      this.#gate.release(slot);
      e.abort = null;
    }
    result = normalizeResult(result, startedAt, this.#clock.now());
    this.opts.metrics?.runs?.inc({ type: spec.type, status: result.status });
    // Free slots go to waiting runs before this one's (possibly slow) result handling.
    this.#pump();

    let verdict: ResultVerdict | void = undefined;
    if (!e.removed && !this.#stopping) {
      try {
        verdict = await this.opts.onResult({ name, spec, host: slot.host, result, trigger, scheduledAt });
      } catch (err) {
        this.opts.logger?.error({ check: name, err }, 'could not apply a check result');
      }
    }
    e.running = null;
    for (const w of e.waiters.splice(0)) w(result);
    if (!e.removed && !this.#stopping) {
      const now = this.#clock.now();
      const next = verdict?.retry ? Math.max(now, (trigger === 'schedule' ? scheduledAt : startedAt) + e.retryMs) : nextSlotMs(now, e.offsetMs, e.intervalMs);
      this.#schedule(e, next);
    }
    return result;
  }
}

function unknownResult(startedAt: number, now: number, message: string): CheckResult {
  return { status: 'unknown', message, startedAt, durationMs: Math.max(0, now - startedAt), metrics: [] };
}

const STATUSES = new Set(['ok', 'warning', 'critical', 'unknown']);

/** Guards against a probe that returns something malformed: the state must stay meaningful. */
function normalizeResult(r: CheckResult, startedAt: number, now: number): CheckResult {
  if (!r || typeof r !== 'object' || !STATUSES.has(r.status)) return unknownResult(startedAt, now, 'the probe returned no valid status');
  return {
    ...r,
    message: typeof r.message === 'string' ? r.message : String(r.message ?? ''),
    startedAt: Number.isFinite(r.startedAt) ? r.startedAt : startedAt,
    durationMs: Number.isFinite(r.durationMs) ? r.durationMs : Math.max(0, now - startedAt),
    metrics: Array.isArray(r.metrics) ? r.metrics.filter((m) => m && typeof m.name === 'string' && typeof m.value === 'number') : [],
  };
}
