/**
 * The beats each heartbeat check has received, in memory. Every evaluation copies the record
 * into its result's evidence, so the server rebuilds it from the latest result after a restart.
 */
export type BeatKind = 'success' | 'start' | 'fail';

export interface BeatRecord {
  /** When the check was first evaluated: the reference point until the first beat arrives. */
  firstSeen: number;
  lastSuccess?: number;
  lastStart?: number;
  lastFail?: number;
  /** The kind of the latest beat (orders beats that share a millisecond). */
  lastKind?: BeatKind;
  /** The message a job sent with its last beat (request body or ?msg=), shortened. */
  lastMessage?: string;
}

export const MAX_BEAT_MESSAGE = 500;

export class HeartbeatBook {
  readonly #records = new Map<string, BeatRecord>();

  get(check: string): BeatRecord | undefined {
    return this.#records.get(check);
  }

  /** The record, created with firstSeen = now when the check is new. */
  ensure(check: string, now: number): BeatRecord {
    let r = this.#records.get(check);
    if (!r) {
      r = { firstSeen: now };
      this.#records.set(check, r);
    }
    return r;
  }

  record(check: string, kind: BeatKind, at: number, message?: string): BeatRecord {
    const r = this.ensure(check, at);
    if (kind === 'success') r.lastSuccess = at;
    else if (kind === 'start') r.lastStart = at;
    else r.lastFail = at;
    r.lastKind = kind;
    if (message !== undefined) r.lastMessage = message.slice(0, MAX_BEAT_MESSAGE);
    else delete r.lastMessage;
    return r;
  }

  /** Puts back a record found in stored evidence; ignores anything malformed. */
  restore(check: string, stored: unknown): void {
    if (this.#records.has(check) || !stored || typeof stored !== 'object') return;
    const s = stored as Record<string, unknown>;
    if (typeof s.firstSeen !== 'number') return;
    const r: BeatRecord = { firstSeen: s.firstSeen };
    for (const k of ['lastSuccess', 'lastStart', 'lastFail'] as const) if (typeof s[k] === 'number') r[k] = s[k];
    if (typeof s.lastMessage === 'string') r.lastMessage = s.lastMessage;
    if (s.lastKind === 'success' || s.lastKind === 'start' || s.lastKind === 'fail') r.lastKind = s.lastKind;
    this.#records.set(check, r);
  }

  delete(check: string): void {
    this.#records.delete(check);
  }
}
