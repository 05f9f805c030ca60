import type { ProbeResult } from '../checks/locations/protocol.js';

/**
 * Results waiting to reach the server, oldest first, in memory and bounded: beyond `max` the
 * oldest are dropped (and counted), so a server that stays down costs memory up to a fixed cap
 * and the newest results, which decide the current state, survive.
 */
export class ResultBuffer {
  #items: ProbeResult[] = [];
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

  add(r: ProbeResult): void {
    this.#items.push(r);
    if (this.#items.length > this.max) {
      const over = this.#items.length - this.max;
      this.#items.splice(0, over);
      this.#dropped += over;
    }
    for (const w of this.#waiters.splice(0)) w();
  }

  /** The oldest `n` results, still in the buffer until `remove` confirms they were delivered. */
  peek(n: number): ProbeResult[] {
    return this.#items.slice(0, n);
  }

  /** Removes delivered results (by identity: results dropped meanwhile are skipped). */
  remove(delivered: readonly ProbeResult[]): void {
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
