/**
 * The deadline of one database probe: the spec's timeout, or the caller's signal (the
 * scheduler's own deadline, or the server stopping). Drivers do not take an AbortSignal, so
 * `race` settles on abort and the probe's `finally` destroys the connection.
 */
import { formatDurationMs } from '../../../core/duration.js';
import type { CheckRunContext } from '../check-type.js';

export class DeadlineExceeded extends Error {
  constructor(
    message: string,
    /** True for the run's timeout; false when the run was cancelled from outside. */
    readonly timedOut: boolean,
  ) {
    super(message);
    this.name = 'DeadlineExceeded';
  }
}

export class RunDeadline {
  readonly signal: AbortSignal;
  /** What the probe is doing, worded to follow "while": "connecting", "running the query". */
  phase = 'connecting';
  readonly #timer: AbortController;
  readonly #handle: NodeJS.Timeout;

  constructor(private readonly cx: CheckRunContext) {
    this.#timer = new AbortController();
    this.#handle = setTimeout(() => this.#timer.abort(new DOMException('timeout', 'TimeoutError')), cx.timeoutMs);
    this.signal = AbortSignal.any([cx.signal, this.#timer.signal]);
  }

  get timedOut(): boolean {
    if (this.#timer.signal.aborted) return true;
    const reason: unknown = this.cx.signal.reason;
    return this.cx.signal.aborted && reason instanceof DOMException && reason.name === 'TimeoutError';
  }

  failure(): DeadlineExceeded {
    return this.timedOut
      ? new DeadlineExceeded(`timed out after ${formatDurationMs(this.cx.timeoutMs)} while ${this.phase}`, true)
      : new DeadlineExceeded(`cancelled while ${this.phase} (check run stopped)`, false);
  }

  /** Resolves with `work`, or rejects with a DeadlineExceeded as soon as the deadline passes. */
  race<T>(work: Promise<T>): Promise<T> {
    if (this.signal.aborted) {
      work.catch(() => undefined);
      return Promise.reject(this.failure());
    }
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => reject(this.failure());
      this.signal.addEventListener('abort', onAbort, { once: true });
      work.then(
        (v) => {
          this.signal.removeEventListener('abort', onAbort);
          resolve(v);
        },
        (err: unknown) => {
          this.signal.removeEventListener('abort', onAbort);
          reject(this.signal.aborted ? this.failure() : err);
        },
      );
    });
  }

  /** Milliseconds left before the run's timeout. */
  remainingMs(startedAt: number): number {
    return Math.max(0, this.cx.timeoutMs - (performance.now() - startedAt));
  }

  dispose(): void {
    clearTimeout(this.#handle);
  }
}

/** The driver's message for an error, with its code when it has one. */
export function driverReason(err: unknown): string {
  if (err instanceof AggregateError && err.errors[0] instanceof Error) return driverReason(err.errors[0]);
  const e = err as { message?: unknown; code?: unknown };
  const message = typeof e?.message === 'string' && e.message ? e.message : String(err);
  const code = typeof e?.code === 'string' && !message.includes(e.code) ? ` (${e.code})` : '';
  return `${message}${code}`;
}
