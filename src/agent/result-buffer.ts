import type { ProbeResult } from '../checks/locations/protocol.js';

/**
 * Items waiting to reach the server (probe results, or encoded host-metric collections), oldest
 * first, in memory and bounded: beyond `max` the oldest are dropped (and counted), so a server
 * that stays down costs memory up to a fixed cap and the newest items, which decide the current
 * state, survive.
 */
export class ResultBuffer<T = ProbeResult> {
  #items: T[] = [];
  #dropped = 0;
  #waiters: (() => void)[] = [];

  constructor(readonly max = 10_000) {
    if (!(max >= 1)) throw new RangeError('the result buffer must hold at least one result');
  }

  get size(): number {
    return this.#items.length;
  }

  /** Results dropped so far because the buffer was full. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Adds an item; returns how many old ones this dropped (0 unless the buffer was full). */
  add(r: T): number {
    this.#items.push(r);
    const over = Math.max(0, this.#items.length - this.max);
    if (over) {
      this.#items.splice(0, over);
      this.#dropped += over;
    }
    for (const w of this.#waiters.splice(0)) w();
    return over;
  }

  /** The oldest `n` results, still in the buffer until `remove` confirms they were delivered. */
  peek(n: number): T[] {
    return this.#items.slice(0, n);
  }

  /** Removes delivered results (by identity: results dropped meanwhile are skipped). */
  remove(delivered: readonly T[]): void {
    const gone = new Set(delivered);
    this.#items = this.#items.filter((r) => !gone.has(r));
  }

  /** Resolves when a result is added (or at once when some are waiting), or when the signal aborts. */
  waitForResults(signal: AbortSignal): Promise<void> {
    if (this.#items.length || signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        signal.removeEventListener('abort', done);
        resolve();
      };
      this.#waiters.push(done);
      signal.addEventListener('abort', done, { once: true });
    });
  }
}
