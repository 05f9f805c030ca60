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
import { appendSeriesColumns, appendSeriesToRows, type AppendSeries, type SampleRow, type TelemetryStore } from '../../store/telemetry-store.js';

/** One caller's batch: rows, or series in columns (remote-write), never both. */
interface Pending {
  rows: SampleRow[] | undefined;
  series: AppendSeries[] | undefined;
  n: number;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/** Rows grouped into series: consecutive rows sharing one labels object become one series. */
function rowsToSeries(rows: readonly SampleRow[], out: AppendSeries[]): void {
  let i = 0;
  while (i < rows.length) {
    const labels = rows[i]!.labels;
    let j = i + 1;
    while (j < rows.length && rows[j]!.labels === labels) j++;
    const t = new Float64Array(j - i);
    const v = new Float64Array(j - i);
    for (let k = i; k < j; k++) {
      t[k - i] = rows[k]!.t;
      v[k - i] = rows[k]!.v;
    }
    out.push({ labels, t, v, start: 0, end: j - i });
    i = j;
  }
}

export class SampleBatcher {
  #pending: Pending[] = [];
  #pendingRows = 0;
  #running: Promise<void> | undefined;
  /** How long the last store append took; lingering pays only while appends cost more. */
  #lastAppendMs = Infinity;

  constructor(
    private readonly store: Pick<TelemetryStore, 'appendSamples' | 'appendSeriesColumns'>,
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
    return this.#enqueue(rows, undefined, rows.length);
  }

  /** append() for samples in columns per series; `samples` is their total. */
  appendSeries(series: AppendSeries[], samples: number): Promise<void> {
    return this.#enqueue(undefined, series, samples);
  }

  #enqueue(rows: SampleRow[] | undefined, series: AppendSeries[] | undefined, n: number): Promise<void> {
    if (!n) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.#pending.push({ rows, series, n, resolve, reject });
      this.#pendingRows += n;
      this.#running ??= this.#drain();
    });
  }

  async #drain(): Promise<void> {
    try {
      if (this.lingerMs > 0 && this.#lastAppendMs > this.lingerMs) await new Promise((r) => setTimeout(r, this.lingerMs));
      while (this.#pending.length) {
        const group: Pending[] = [];
        let n = 0;
        while (this.#pending.length && (group.length === 0 || n + this.#pending[0]!.n <= this.maxRows)) {
          const p = this.#pending.shift()!;
          group.push(p);
          n += p.n;
        }
        this.#pendingRows -= n;
        await this.#write(group, n);
      }
    } finally {
      this.#running = undefined;
    }
  }

  /**
   * One store append for the group: columns when any batch came as columns and the store takes
   * them (rows are grouped into series then), else rows.
   */
  #storeAppend(group: Pending[], n: number): Promise<void> {
    const columnar = this.store.appendSeriesColumns !== undefined && group.some((p) => p.series !== undefined);
    if (columnar) {
      let series: AppendSeries[];
      if (group.length === 1) series = group[0]!.series!;
      else {
        series = [];
        for (const p of group) {
          if (p.series) for (const s of p.series) series.push(s);
          else rowsToSeries(p.rows!, series);
        }
      }
      return appendSeriesColumns(this.store, series);
    }
    let rows: SampleRow[];
    if (group.length === 1) rows = group[0]!.rows ?? appendSeriesToRows(group[0]!.series!);
    else {
      rows = new Array<SampleRow>(n);
      let i = 0;
      for (const p of group) for (const r of p.rows ?? appendSeriesToRows(p.series!)) rows[i++] = r;
    }
    return this.store.appendSamples(rows);
  }

  async #write(group: Pending[], n: number): Promise<void> {
    const t0 = performance.now();
    try {
      await this.#storeAppend(group, n);
      this.#lastAppendMs = performance.now() - t0;
      for (const p of group) p.resolve();
    } catch (err) {
      // A batch the store refuses as invalid must not fail its neighbours: retry them one by one.
      if (err instanceof ValidationError && group.length > 1) {
        for (const p of group) await this.#storeAppend([p], p.n).then(p.resolve, p.reject);
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
