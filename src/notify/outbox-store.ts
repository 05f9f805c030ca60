/**
 * The notification outbox port: durable, idempotent, claimable by several dispatchers at once.
 * Adapter: src/store/state/kysely-outbox-store.ts (SQLite and PostgreSQL); every adapter passes
 * src/store/contract/outbox-store.contract.ts.
 *
 * Invariants:
 * - One row per idempotency key: enqueueing the same key again returns the existing row.
 * - An entry is sent by whoever holds its claim. `claim` moves due entries to `sending` with a
 *   fresh token and a lease (next_attempt_at = now + lease) in one atomic statement, so two
 *   dispatchers never claim the same entry. An entry whose lease ran out (its dispatcher died)
 *   is due again.
 * - `finish` and `release` only act while the caller's token still holds the claim, so a
 *   dispatcher that lost its lease cannot overwrite the outcome of the one that took over.
 */
export const OUTBOX_STATUSES = ['pending', 'sending', 'delivered', 'failed'] as const;
export type OutboxStatus = (typeof OUTBOX_STATUSES)[number];

export interface OutboxEntry {
  id: string;
  idempotencyKey: string;
  /** Channel object name; resolved to its spec when sending, so spec edits apply to retries. */
  channel: string;
  payload: unknown;
  status: OutboxStatus;
  /** Attempts started (claims), including the one in flight. */
  attempts: number;
  /** Epoch ms: when a pending entry is due, or when a sending entry's lease runs out. */
  nextAttemptAt: number;
  lastError: string | null;
  createdAt: string;
  deliveredAt: string | null;
  claimToken: string | null;
  /** Parts (e.g. phone numbers) an earlier attempt already delivered. */
  progress: string[];
}

export interface NewOutboxEntry {
  id: string;
  idempotencyKey: string;
  channel: string;
  payload: unknown;
  createdAt: string;
  /** Epoch ms the first attempt is due. */
  nextAttemptAt: number;
}

export type DeliveryOutcome = 'delivered' | 'retry' | 'failed' | 'skipped';

export interface DeliveryAttempt {
  outboxId: string;
  attempt: number;
  time: string;
  outcome: DeliveryOutcome;
  latencyMs: number;
  httpStatus: number | null;
  error: string | null;
}

export type OutboxFinish =
  | { status: 'delivered'; deliveredAt: string; progress?: string[] }
  | { status: 'pending'; nextAttemptAt: number; lastError: string; progress?: string[] }
  | { status: 'failed'; lastError: string; progress?: string[] };

export interface ClaimRequest {
  channel: string;
  nowMs: number;
  limit: number;
  leaseMs: number;
  token: string;
}

export interface OutboxStore {
  /** Stores the entry unless its idempotency key exists; returns the stored row's id either way. */
  enqueue(entry: NewOutboxEntry): Promise<{ id: string; created: boolean }>;
  /** Channels with entries due at `nowMs` (pending, or sending with an expired lease). */
  dueChannels(nowMs: number, limit: number): Promise<string[]>;
  /** Atomically claims up to `limit` due entries of one channel, oldest due first. */
  claim(req: ClaimRequest): Promise<OutboxEntry[]>;
  /** Records the attempt's outcome and its delivery-log row; false when the claim was lost. */
  finish(id: string, token: string, result: OutboxFinish, attempt: DeliveryAttempt): Promise<boolean>;
  /** Gives a claimed entry back untried (e.g. on shutdown): pending again, the attempt uncounted. */
  release(id: string, token: string, nextAttemptAt: number): Promise<boolean>;
  get(id: string): Promise<OutboxEntry | undefined>;
  getByKey(idempotencyKey: string): Promise<OutboxEntry | undefined>;
  list(q?: { status?: OutboxStatus; channel?: string; limit?: number }): Promise<OutboxEntry[]>;
  deliveries(outboxId: string): Promise<DeliveryAttempt[]>;
  countByStatus(): Promise<Record<OutboxStatus, number>>;
  /** Deletes delivered and failed entries (and their log) created before `beforeIso`. */
  purgeFinished(beforeIso: string): Promise<number>;
}
