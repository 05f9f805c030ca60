import { randomUUID } from 'node:crypto';
import type { CheckResult } from '../core/check-result.js';
import type { Logger } from '../lib/logger.js';
import { checkSpecSchema, type CommonCheckSpec } from '../checks/check-kind.js';
import type { CheckRunner } from '../checks/check-runner.js';
import { systemClock, type Clock } from '../lib/clock.js';
import type { ConcurrencyLimits } from '../checks/concurrency.js';
import { MAX_RESULTS_PER_BATCH, type AssignedCheck, type ProbeResult } from '../checks/locations/protocol.js';
import { CheckScheduler, type CompletedRun, type ResultVerdict } from '../checks/scheduler.js';
import { NetConnectionWatcher } from '../checks/connection-watch.js';
import type { CapturedEvidence } from '../sources/checks/evidence/index.js';
import { ResultBuffer } from './result-buffer.js';
import { ProbeServerClient, ProbeServerError } from './server-client.js';
import { sleep } from '../lib/sleep.js';

export interface ProbeAgentOptions {
  location: string;
  server: string;
  token: string;
  runners: ReadonlyMap<string, CheckRunner>;
  logger: Logger;
  /** How often assignments are fetched (a 304 when unchanged). Default 30 s. */
  pollMs?: number;
  /** Most results kept while the server cannot take them. Default 10,000. */
  maxBuffered?: number;
  batchSize?: number;
  /** First wait after a failed push; doubles up to maxBackoffMs. */
  backoffMs?: number;
  maxBackoffMs?: number;
  clock?: Clock;
  limits?: ConcurrencyLimits;
  captureEvidence?: (host: string, opts: { signal?: AbortSignal; timeoutMs: number }) => Promise<CapturedEvidence>;
  fetch?: typeof fetch;
}

interface Assigned {
  spec: CommonCheckSpec;
  /** Consecutive non-OK runs here, so soft failures are retried at the retry interval as on the server. */
  failures: number;
}

/**
 * `kansoku agent --probe LOCATION`: runs the checks the server assigns to this location with the
 * same scheduler and probes the server uses, and pushes each result (with a run id) in batches.
 * The server keeps the state; the agent only remembers enough to retry soft failures sooner and
 * to capture evidence when a check turns bad here. While the server is unreachable the agent
 * keeps probing with the assignments it has, buffers results in memory (bounded) and retries.
 */
export class ProbeAgent {
  readonly #opts: ProbeAgentOptions;
  readonly #clock: Clock;
  readonly #client: ProbeServerClient;
  readonly #buffer: ResultBuffer;
  readonly #scheduler: CheckScheduler;
  readonly #assigned = new Map<string, Assigned>();
  readonly #stop = new AbortController();
  #loops: Promise<void>[] = [];
  #skippedTypes = new Set<string>();
  #haveAssignments = false;
  /** Results produced here, and results the server confirmed (accepted or already had). */
  produced = 0;
  delivered = 0;

  constructor(opts: ProbeAgentOptions) {
    this.#opts = opts;
    this.#clock = opts.clock ?? systemClock;
    this.#client = new ProbeServerClient({ server: opts.server, token: opts.token, location: opts.location, ...(opts.fetch ? { fetch: opts.fetch } : {}) });
    this.#buffer = new ResultBuffer(opts.maxBuffered ?? 10_000);
    this.#scheduler = new CheckScheduler({
      runners: opts.runners,
      clock: this.#clock,
      logger: opts.logger,
      ...(opts.limits ? { limits: opts.limits } : {}),
      // `watch: connection` works from probe locations too: the agent holds the connection from where it runs.
      watcher: new NetConnectionWatcher({ logger: opts.logger }),
      onResult: (run) => this.#onResult(run),
    });
  }

  get buffered(): number {
    return this.#buffer.size;
  }

  get dropped(): number {
    return this.#buffer.dropped;
  }

  /** Names of the checks this location runs now. */
  get checks(): string[] {
    return [...this.#assigned.keys()].sort();
  }

  start(): void {
    this.#scheduler.start();
    this.#loops = [this.#pollLoop(), this.#pushLoop()];
  }

  /** Stops probing, then tries (for at most `flushTimeoutMs`) to deliver what is buffered. */
  async stop(flushTimeoutMs = 5000): Promise<void> {
    await this.#scheduler.stop();
    this.#stop.abort();
    await Promise.allSettled(this.#loops);
    const deadline = Date.now() + flushTimeoutMs;
    while (this.#buffer.size && Date.now() < deadline) {
      const ok = await this.#pushOnce(AbortSignal.timeout(Math.max(1, deadline - Date.now())));
      if (!ok) break;
    }
    if (this.#buffer.size) this.#opts.logger.warn({ results: this.#buffer.size }, 'stopping with results the server has not taken; they are lost');
  }

  /** Fetches assignments once and follows them; false when the server could not be asked. */
  async refresh(): Promise<boolean> {
    try {
      const a = await this.#client.assignments(this.#stop.signal);
      if (a) this.#apply(a.checks);
      if (!this.#haveAssignments) this.#opts.logger.info({ location: this.#opts.location, checks: this.#assigned.size }, 'probe agent has its assignments');
      this.#haveAssignments = true;
      return true;
    } catch (err) {
      if (!this.#stop.signal.aborted) this.#opts.logger.warn({ err: (err as Error).message }, `cannot fetch assignments; ${this.#haveAssignments ? 'keeps running the checks it has' : 'will try again'}`);
      return false;
    }
  }

  #apply(checks: readonly AssignedCheck[]): void {
    const seen = new Set<string>();
    for (const c of checks) {
      const parsed = checkSpecSchema.safeParse(c.spec);
      if (!parsed.success || !this.#opts.runners.has(parsed.data.type)) {
        const type = String(c.spec.type);
        if (!this.#skippedTypes.has(`${c.name}/${type}`)) this.#opts.logger.warn({ check: c.name, type, issues: parsed.success ? undefined : parsed.error.issues.slice(0, 3) }, 'this agent cannot run an assigned check (a newer server?); skipped');
        this.#skippedTypes.add(`${c.name}/${type}`);
        continue;
      }
      seen.add(c.name);
      const spec = parsed.data as CommonCheckSpec;
      const prev = this.#assigned.get(c.name);
      this.#assigned.set(c.name, { spec, failures: prev?.failures ?? 0 });
      try {
        this.#scheduler.upsert(c.name, spec);
      } catch (err) {
        this.#opts.logger.error({ check: c.name, err }, 'could not schedule an assigned check');
      }
    }
    for (const name of [...this.#assigned.keys()]) {
      if (seen.has(name)) continue;
      this.#assigned.delete(name);
      this.#scheduler.remove(name);
    }
  }

  async #onResult(run: CompletedRun): Promise<ResultVerdict> {
    const a = this.#assigned.get(run.name);
    const failures = run.result.status === 'ok' ? 0 : (a?.failures ?? 0) + 1;
    let evidence = run.result.evidence;
    if (failures === 1 && run.host && this.#opts.captureEvidence) {
      try {
        const captured = await this.#opts.captureEvidence(run.host, { signal: this.#stop.signal, timeoutMs: 8000 });
        evidence = { ...(evidence ?? {}), ...captured, capturedAt: new Date(this.#clock.now()).toISOString(), capturedFrom: this.#opts.location };
      } catch (err) {
        this.#opts.logger.warn({ check: run.name, err }, 'could not capture evidence');
      }
    }
    if (a) a.failures = failures;
    this.produced++;
    this.#buffer.add({ check: run.name, runId: randomUUID(), result: wireResult({ ...run.result, ...(evidence ? { evidence } : {}) }) });
    return { retry: failures > 0 && failures < run.spec.attempts };
  }

  async #pollLoop(): Promise<void> {
    const signal = this.#stop.signal;
    while (!signal.aborted) {
      await this.refresh();
      await sleep(this.#opts.pollMs ?? 30_000, signal);
    }
  }

  async #pushLoop(): Promise<void> {
    const signal = this.#stop.signal;
    const base = this.#opts.backoffMs ?? 1000;
    let backoff = base;
    while (!signal.aborted) {
      await this.#buffer.waitForResults(signal);
      if (signal.aborted) return;
      // A short pause lets results that finish together travel together.
      await sleep(50, signal);
      if (await this.#pushOnce(signal)) backoff = base;
      else {
        await sleep(backoff, signal);
        backoff = Math.min(backoff * 2, this.#opts.maxBackoffMs ?? 30_000);
      }
    }
  }

  /** Sends the oldest batch; true when the server took it (or refused it for good). */
  async #pushOnce(signal: AbortSignal): Promise<boolean> {
    const batch = this.#buffer.peek(Math.min(this.#opts.batchSize ?? 500, MAX_RESULTS_PER_BATCH));
    if (!batch.length) return true;
    try {
      const r = await this.#client.pushResults(batch, signal);
      this.#buffer.remove(batch);
      this.delivered += r.accepted + r.duplicates;
      for (const x of r.rejected.slice(0, 5)) this.#opts.logger.warn({ check: x.check, reason: x.reason }, 'the server refused a result');
      return true;
    } catch (err) {
      if (err instanceof ProbeServerError && !err.retryable) {
        this.#buffer.remove(batch);
        this.#opts.logger.error({ err: err.message, results: batch.length }, 'the server refused a batch of results for good; dropped');
        return true;
      }
      if (!signal.aborted) this.#opts.logger.warn({ err: (err as Error).message, buffered: this.#buffer.size, dropped: this.#buffer.dropped }, 'cannot push results; will retry');
      return false;
    }
  }
}

/** A result as the server's schema takes it: finite numbers only, bounded message. */
export function wireResult(r: CheckResult): ProbeResult['result'] {
  const metrics = r.metrics
    .filter((m) => Number.isFinite(m.value))
    .slice(0, 500)
    .map((m) => ({
      name: m.name.slice(0, 200),
      value: m.value,
      ...(m.unit !== undefined ? { unit: m.unit.slice(0, 32) } : {}),
      ...(m.warn !== undefined ? { warn: String(m.warn).slice(0, 64) } : {}),
      ...(m.crit !== undefined ? { crit: String(m.crit).slice(0, 64) } : {}),
      ...(Number.isFinite(m.min) ? { min: m.min! } : {}),
      ...(Number.isFinite(m.max) ? { max: m.max! } : {}),
    }))
    .filter((m) => m.name.length > 0);
  return {
    status: r.status,
    message: r.message.slice(0, 8192),
    startedAt: Math.max(0, Math.round(r.startedAt)),
    durationMs: Math.max(0, r.durationMs),
    metrics,
    ...(r.evidence ? { evidence: r.evidence as Record<string, unknown> } : {}),
  };
}
