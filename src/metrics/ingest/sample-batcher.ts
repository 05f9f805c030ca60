/**
 * Group commit for sample appends. Every telemetry-store append is at least one new
 * MergeTree part, so many small appends cost far more than one large one; concurrent writers
 * (remote-write shards, scrapes) queue here and the queued batches go to the store together
 * while the previous append runs. Each caller's promise settles when its rows are stored, so
 * answering a sender after `await append()` still means "stored".
 *
 * Over the WAL-and-head store (src/store/head) an append costs about a millisecond, less than
 * the linger: the batcher then stops lingering (it measures each append) and a lone writer's
 * rows go to the store as they are, without being copied into a group.
 */
import { ValidationError } from '../../lib/errors.js';
import type { SampleRow, TelemetryStore } from '../../store/telemetry-store.js';

interface Pending {
  rows: SampleRow[];
  resolve: () => void;
  reject: (err: unknown) => void;
}

export class SampleBatcher {
  #pending: Pending[] = [];
  #pendingRows = 0;
  #running: Promise<void> | undefined;
  /** How long the last store append took; lingering pays only while appends cost more. */
  #lastAppendMs = Infinity;

  constructor(
    private readonly store: Pick<TelemetryStore, 'appendSamples'>,
    /** Rows per store append at most (one caller's batch is never split). */
    private readonly maxRows = 100_000,
    /**
     * How long an idle batcher waits before the first append, so writers arriving together
     * (remote-write shards) share it. Without it the first of them went alone and the rest
     * waited for it: groups alternated 1 and N-1 requests, and every group costs one insert.
     */
    private readonly lingerMs = 0,
  ) {}

  append(rows: SampleRow[]): Promise<void> {
    if (!rows.length) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.#pending.push({ rows, resolve, reject });
      this.#pendingRows += rows.length;
      this.#running ??= this.#drain();
    });
  }

  async #drain(): Promise<void> {
    try {
      if (this.lingerMs > 0 && this.#lastAppendMs > this.lingerMs) await new Promise((r) => setTimeout(r, this.lingerMs));
      while (this.#pending.length) {
        const group: Pending[] = [];
        let n = 0;
        while (this.#pending.length && (group.length === 0 || n + this.#pending[0]!.rows.length <= this.maxRows)) {
          const p = this.#pending.shift()!;
          group.push(p);
          n += p.rows.length;
        }
        this.#pendingRows -= n;
        await this.#write(group, n);
      }
    } finally {
      this.#running = undefined;
    }
  }

  async #write(group: Pending[], n: number): Promise<void> {
    let rows: SampleRow[];
    if (group.length === 1) rows = group[0]!.rows;
    else {
      rows = new Array<SampleRow>(n);
      let i = 0;
      for (const p of group) for (const r of p.rows) rows[i++] = r;
    }
    const t0 = performance.now();
    try {
      await this.store.appendSamples(rows);
      this.#lastAppendMs = performance.now() - t0;
      for (const p of group) p.resolve();
    } catch (err) {
      // A batch the store refuses as invalid must not fail its neighbours: retry them one by one.
      if (err instanceof ValidationError && group.length > 1) {
        for (const p of group) await this.store.appendSamples(p.rows).then(p.resolve, p.reject);
        return;
      }
      for (const p of group) p.reject(err);
    }
  }

  /** Rows waiting for the store (for self-monitoring). */
  get backlog(): number {
    return this.#pendingRows;
  }

  /** Resolves when everything queued so far has been written or has failed. */
  async flush(): Promise<void> {
    while (this.#running) await this.#running;
  }
}
