import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Registry } from 'prom-client';
import { parseDurationMs } from '../core/duration.js';
import { errorMessage } from '../lib/errors.js';
import { silentLogger, type Logger } from '../lib/logger.js';
import { backoffDelayMs, DEFAULT_BACKOFF, type BackoffPolicy } from './backoff.js';
import { channelSpecSchema, type ChannelSpec } from './channel-kind.js';
import { notificationKey } from './idempotency.js';
import { NotifyMetrics } from './metrics.js';
import type { DeliveryOutcome, OutboxEntry, OutboxFinish, OutboxStore } from './outbox-store.js';
import { alertsForChannel, NOTIFIERS, notifierFor, type NotifierRegistry } from './registry.js';
import { alertNotificationSchema, type AlertNotification } from './types.js';

/**
 * Delivers what routing put in the outbox. Each poll finds the channels with due entries and
 * claims, per channel, only as many as that channel has free slots; so a channel that hangs
 * holds at most `perChannelConcurrency` sends (each bounded by its timeout) and every other
 * channel keeps flowing. Outcomes follow the notifier's verdict: delivered; retry later with
 * exponential backoff and jitter (at least Retry-After); or failed for good — on a final error,
 * after `maxAttempts`, or when the notification would be older than `maxAge`.
 *
 * Nothing is lost or doubled by a restart: entries are durable before `enqueue` returns, a
 * stopping dispatcher lets sends in flight finish (for `stopGraceMs`) and gives the rest back,
 * and entries a crashed node left in `sending` become due again when their lease runs out.
 */
export interface DispatcherOptions {
  store: OutboxStore;
  /** The channel's spec by object name, read at send time; undefined when it does not exist. */
  resolveChannel(name: string): Promise<unknown>;
  logger?: Logger;
  /** prom-client registry for kansoku_notify_* metrics. */
  registry?: Registry;
  notifiers?: NotifierRegistry;
  /** Clock and randomness, injectable for tests. */
  now?: () => number;
  random?: () => number;
  /** Identifies this node in claim tokens and logs. */
  nodeId?: string;
  pollIntervalMs?: number;
  /** Sends in flight per channel; 1 keeps a channel's notifications in order. */
  perChannelConcurrency?: number;
  /** Sends in flight in total. */
  maxConcurrency?: number;
  maxAttempts?: number;
  maxAgeMs?: number;
  backoff?: BackoffPolicy;
  /** A receiver's Retry-After is honoured up to this long. */
  maxRetryAfterMs?: number;
  /** Lease = the channel's timeout per request + this margin. */
  leaseMarginMs?: number;
  /** How long stop() lets sends in flight finish before cancelling them. */
  stopGraceMs?: number;
}

export interface EnqueueResult {
  id: string;
  idempotencyKey: string;
  /** False when the key was already in the outbox (nothing new stored). */
  created: boolean;
}

interface InFlight {
  channel: string;
  done: Promise<void>;
}

export class Dispatcher {
  private readonly store: OutboxStore;
  private readonly log: Logger;
  private readonly metrics: NotifyMetrics | undefined;
  private readonly notifiers: NotifierRegistry;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly nodeId: string;
  private readonly pollIntervalMs: number;
  private readonly perChannel: number;
  private readonly maxConcurrency: number;
  private readonly maxAttempts: number;
  private readonly maxAgeMs: number;
  private readonly backoff: BackoffPolicy;
  private readonly maxRetryAfterMs: number;
  private readonly leaseMarginMs: number;
  private readonly stopGraceMs: number;

  private readonly inFlight = new Map<string, InFlight>();
  private readonly abort = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private stopping = false;
  private polling: Promise<void> | undefined;
  private pollAgain = false;

  constructor(private readonly opts: DispatcherOptions) {
    this.store = opts.store;
    this.log = opts.logger ?? silentLogger();
    this.metrics = opts.registry ? new NotifyMetrics(opts.registry) : undefined;
    this.notifiers = opts.notifiers ?? NOTIFIERS;
    this.now = opts.now ?? Date.now;
    this.random = opts.random ?? Math.random;
    this.nodeId = opts.nodeId ?? `${hostname()}:${process.pid}`;
    this.pollIntervalMs = opts.pollIntervalMs ?? 1000;
    this.perChannel = Math.max(1, opts.perChannelConcurrency ?? 1);
    this.maxConcurrency = Math.max(1, opts.maxConcurrency ?? 32);
    this.maxAttempts = Math.max(1, opts.maxAttempts ?? 12);
    this.maxAgeMs = opts.maxAgeMs ?? 24 * 3600_000;
    this.backoff = opts.backoff ?? DEFAULT_BACKOFF;
    this.maxRetryAfterMs = opts.maxRetryAfterMs ?? 3600_000;
    this.leaseMarginMs = opts.leaseMarginMs ?? 30_000;
    this.stopGraceMs = opts.stopGraceMs ?? 10_000;
  }

  /** Stores a notification for a channel; durable when the promise resolves. */
  async enqueue(channel: string, notification: AlertNotification, opts: { idempotencyKey?: string; notBefore?: number } = {}): Promise<EnqueueResult> {
    const n = alertNotificationSchema.parse(notification) as AlertNotification;
    const idempotencyKey = opts.idempotencyKey ?? notificationKey(channel, n);
    const now = this.now();
    const r = await this.store.enqueue({
      id: randomUUID(),
      idempotencyKey,
      channel,
      payload: n,
      createdAt: new Date(now).toISOString(),
      nextAttemptAt: opts.notBefore ?? now,
    });
    if (r.created) this.kick();
    return { id: r.id, idempotencyKey, created: r.created };
  }

  /** Enqueues one notification for each channel of a receiver. */
  async enqueueAll(channels: readonly string[], notification: AlertNotification): Promise<EnqueueResult[]> {
    const out: EnqueueResult[] = [];
    for (const c of channels) out.push(await this.enqueue(c, notification));
    return out;
  }

  start(): void {
    if (this.running || this.stopping) return;
    this.running = true;
    this.log.info({ nodeId: this.nodeId }, 'notification dispatcher started');
    this.kick();
  }

  /** Asks for a poll now (after an enqueue, or when a send finished and freed a slot). */
  kick(): void {
    if (!this.running || this.stopping) return;
    if (this.polling) {
      this.pollAgain = true;
      return;
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.loop(), 0);
  }

  private loop(): void {
    this.timer = undefined;
    if (!this.running || this.stopping) return;
    this.polling = this.pollOnce()
      .then(() => undefined)
      .catch((err: unknown) => this.log.error({ err }, 'notification outbox poll failed'))
      .finally(() => {
        this.polling = undefined;
        if (!this.running || this.stopping) return;
        const delay = this.pollAgain ? 0 : this.pollIntervalMs;
        this.pollAgain = false;
        this.timer = setTimeout(() => this.loop(), delay);
      });
  }

  /** One poll: claim what is due and start sending it. Returns how many sends started. */
  async pollOnce(): Promise<number> {
    const now = this.now();
    let started = 0;
    if (this.inFlight.size < this.maxConcurrency) {
      const channels = await this.store.dueChannels(now, 200);
      for (const channel of channels) {
        if (this.stopping) break;
        const busy = [...this.inFlight.values()].filter((f) => f.channel === channel).length;
        const slots = Math.min(this.perChannel - busy, this.maxConcurrency - this.inFlight.size);
        if (slots <= 0) continue;
        const resolved = await this.resolve(channel);
        const leaseMs = (resolved.ok ? resolved.timeoutMs * resolved.parts : 10_000) + this.leaseMarginMs;
        const token = `${this.nodeId}:${randomUUID()}`;
        const entries = await this.store.claim({ channel, nowMs: now, limit: slots, leaseMs, token });
        for (const entry of entries) {
          const done = this.deliver(entry, token, resolved)
            .catch((err: unknown) => this.log.error({ err, channel, outboxId: entry.id }, 'notification delivery crashed'))
            .finally(() => {
              this.inFlight.delete(entry.id);
              this.kick();
            });
          this.inFlight.set(entry.id, { channel, done });
          started++;
        }
      }
    }
    if (this.metrics) {
      const counts = await this.store.countByStatus();
      this.metrics.pending.set(counts.pending + counts.sending);
    }
    return started;
  }

  /** Resolves when nothing is in flight (tests, drills). */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight.values()].map((f) => f.done));
  }

  /**
   * Stops polling, lets sends in flight finish for stopGraceMs, then cancels the rest and
   * gives them back to the outbox untried, so the next start (here or on another node) sends them.
   */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    await this.polling;
    const pending = [...this.inFlight.values()].map((f) => f.done);
    if (pending.length) {
      let graceTimer: NodeJS.Timeout | undefined;
      const grace = new Promise<void>((resolve) => {
        graceTimer = setTimeout(resolve, this.stopGraceMs);
      });
      await Promise.race([Promise.allSettled(pending), grace]);
      clearTimeout(graceTimer);
    }
    this.abort.abort(new Error('dispatcher stopping'));
    await Promise.allSettled([...this.inFlight.values()].map((f) => f.done));
    this.running = false;
    this.log.info({ nodeId: this.nodeId }, 'notification dispatcher stopped');
  }

  private async resolve(channel: string): Promise<ResolvedChannel> {
    let raw: unknown;
    try {
      raw = await this.opts.resolveChannel(channel);
    } catch (err) {
      return { ok: false, retryable: true, error: `cannot read channel ${channel}: ${errorMessage(err)}` };
    }
    if (raw === undefined || raw === null) {
      return { ok: false, retryable: true, error: `channel "${channel}" does not exist; apply it or fix the route's receiver` };
    }
    const parsed = channelSpecSchema.safeParse(raw);
    if (!parsed.success) {
      return { ok: false, retryable: false, error: `channel "${channel}" has an invalid spec: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}` };
    }
    const spec = parsed.data;
    const parts = spec.type === 'twilio' ? spec.to.length : 1;
    return { ok: true, spec, timeoutMs: parseDurationMs(spec.timeout) ?? 10_000, parts };
  }

  private async deliver(entry: OutboxEntry, token: string, channel: ResolvedChannel): Promise<void> {
    const startedAt = this.now();
    const t0 = performance.now();
    const attempt = await this.attempt(entry, channel, startedAt);
    if (attempt.outcome === 'cancelled') {
      // Cancelled by stop(): not the receiver's fault, so not an attempt; sent after restart.
      await this.store.release(entry.id, token, this.now());
      return;
    }
    const latencyMs = performance.now() - t0;
    const finishedAt = this.now();
    const progress = attempt.completedParts ?? entry.progress;
    let finish: OutboxFinish;
    let logged: DeliveryOutcome;
    if (attempt.outcome !== 'error') {
      finish = { status: 'delivered', deliveredAt: new Date(finishedAt).toISOString(), progress };
      logged = attempt.outcome;
    } else {
      const waitMs = Math.max(backoffDelayMs(entry.attempts, this.backoff, this.random), Math.min(attempt.retryAfterMs ?? 0, this.maxRetryAfterMs));
      const next = finishedAt + waitMs;
      const tooOld = next - Date.parse(entry.createdAt) > this.maxAgeMs;
      if (attempt.retryable && entry.attempts < this.maxAttempts && !tooOld) {
        finish = { status: 'pending', nextAttemptAt: next, lastError: attempt.error, progress };
        logged = 'retry';
      } else {
        const why = !attempt.retryable ? '' : entry.attempts >= this.maxAttempts ? ` (gave up after ${entry.attempts} attempts)` : ` (gave up: the notification would be older than ${formatMinutes(this.maxAgeMs)})`;
        finish = { status: 'failed', lastError: `${attempt.error}${why}`, progress };
        logged = 'failed';
      }
    }
    const recorded = await this.store.finish(entry.id, token, finish, {
      outboxId: entry.id,
      attempt: entry.attempts,
      time: new Date(startedAt).toISOString(),
      outcome: logged,
      latencyMs,
      httpStatus: attempt.status ?? null,
      error: finish.status === 'delivered' ? null : finish.lastError,
    });
    if (!recorded) {
      this.log.warn({ channel: entry.channel, outboxId: entry.id }, 'notification lease lost before the outcome was recorded; another node owns it now');
      return;
    }
    this.metrics?.deliveries.inc({ channel: entry.channel, type: channel.ok ? channel.spec.type : 'unknown', outcome: logged });
    const fields = { channel: entry.channel, outboxId: entry.id, attempt: entry.attempts, latencyMs: Math.round(latencyMs) };
    if (finish.status === 'pending') this.log.warn({ ...fields, err: finish.lastError, nextAttemptAt: new Date(finish.nextAttemptAt).toISOString() }, 'notification delivery failed; will retry');
    else if (finish.status === 'failed') this.log.error({ ...fields, err: finish.lastError }, 'notification delivery failed for good');
    else this.log.debug({ ...fields, outcome: logged }, 'notification delivered');
  }

  /** One send of one entry, as data: never throws. */
  private async attempt(entry: OutboxEntry, channel: ResolvedChannel, startedAt: number): Promise<Attempt> {
    if (!channel.ok) return { outcome: 'error', retryable: channel.retryable, error: channel.error };
    const parsed = alertNotificationSchema.safeParse(entry.payload);
    if (!parsed.success) return { outcome: 'error', retryable: false, error: `stored notification is unreadable: ${parsed.error.issues[0]?.message ?? 'invalid'}` };
    const n = alertsForChannel(channel.spec, parsed.data as AlertNotification);
    if (!n) return { outcome: 'skipped' };
    try {
      const notifier = notifierFor(channel.spec, this.notifiers);
      const rendered = notifier.render(channel.spec, n, { now: new Date(startedAt), idempotencyKey: entry.idempotencyKey });
      const r = await notifier.send(channel.spec, rendered, { signal: this.abort.signal, timeoutMs: channel.timeoutMs, completedParts: entry.progress });
      const common = { ...(r.status !== undefined ? { status: r.status } : {}), ...(r.completedParts ? { completedParts: r.completedParts } : {}) };
      if (r.ok) return { outcome: 'delivered', ...common };
      if (this.abort.signal.aborted) return { outcome: 'cancelled' };
      return { outcome: 'error', retryable: r.retryable, error: r.error, ...common, ...(r.retryAfterMs !== undefined ? { retryAfterMs: r.retryAfterMs } : {}) };
    } catch (err) {
      // A notifier that throws has a bug; record a final failure rather than retry forever.
      this.log.error({ err, channel: entry.channel, outboxId: entry.id }, 'notifier threw');
      return { outcome: 'error', retryable: false, error: `internal error while sending: ${errorMessage(err)}` };
    }
  }
}

type Attempt =
  | { outcome: 'delivered' | 'skipped'; status?: number; completedParts?: string[]; retryAfterMs?: undefined }
  | { outcome: 'cancelled'; status?: undefined; completedParts?: undefined }
  | { outcome: 'error'; retryable: boolean; error: string; status?: number; retryAfterMs?: number; completedParts?: string[] };

function formatMinutes(ms: number): string {
  return ms >= 3600_000 ? `${Math.round(ms / 3600_000)} h` : `${Math.round(ms / 60_000)} min`;
}

type ResolvedChannel = { ok: true; spec: ChannelSpec; timeoutMs: number; parts: number } | { ok: false; retryable: boolean; error: string };
