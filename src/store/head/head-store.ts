/**
 * Prometheus's TSDB design in front of the telemetry store: a write-ahead log and an in-memory
 * head block, as a decorator of the TelemetryStore port.
 *
 * - appendSamples validates, writes the batch to the WAL (write(2) before it resolves; fsync
 *   grouped, see wal.ts), adds it to the head and to the flush queue, and returns. It waits only
 *   when the queue is over `maxBacklogRows` (backpressure), and fails after `backlogWaitMs`.
 * - A background flusher appends the queue to the inner store in large blocks, records how far
 *   it got in the WAL checkpoint, and deletes segments that are flushed and older than the head.
 * - The head keeps the last `windowMs` of samples and the rest of that hour (chunks per series,
 *   head-series.ts) with a postings index (head-index.ts). selectSeries / labelNames /
 *   labelValues answer the part of a range inside the head from memory; an older part comes
 *   from the inner store (after flushing any queued rows that fall in it), for selectSeries
 *   through a cache of whole hours (block-cache.ts), and is joined per series.
 * - Start replays the WAL: into the head, and into the inner store from the checkpoint on (the
 *   store keeps one row per (series, t), so a repeat is harmless). close() flushes everything.
 *
 * Every other port method is forwarded; one this class does not know (a method added to the
 * port later) first flushes the queued rows it could need, so read-after-write holds.
 */
import { StoreError, ValidationError } from '../../lib/errors.js';
import type { Logger } from '../../lib/logger.js';
import { canonicalLabelKey } from '../clickhouse/series-id.js';
import { storeClosedError } from '../clickhouse/store-errors.js';
import { DEFAULT_RETENTION, appendSeriesColumns, type AppendSeries, type LabelQuery, type RetentionConfig, type SampleColumns, type SampleRow, type SelectSeriesQuery, type SeriesData, type TelemetryStore } from '../telemetry-store.js';
import { ColumnarSeries, columnsOf } from '../sample-columns.js';
import { validateSamples, validateSeriesColumns } from '../sample-validation.js';
import { BLOCK_MS, BlockCache, blockStart, readEnd, type OlderSeries } from './block-cache.js';
import { blockColumns } from './flush-columns.js';
import { HeadIndex, RegexNotSupportedHere } from './head-index.js';
import type { HeadSeries } from './head-series.js';
import { Wal, comparePositions, type Checkpoint, type WalPosition } from './wal.js';
import type { SeriesEntry } from './wal-records.js';

export interface HeadStoreOptions {
  /** The WAL directory, e.g. "<dataDir>/wal". Created when missing. */
  dir: string;
  logger: Logger;
  /** The same retention the inner store applies: the head neither keeps nor returns older samples. */
  retention?: Partial<RetentionConfig>;
  /** How much recent time the head serves from memory (default 2 h). */
  windowMs?: number;
  /** Longest time between a write and its fsync (default 1 s): the power-loss window. */
  fsyncIntervalMs?: number;
  /**
   * How often the flusher looks at the queue (default 1 s). It writes everything queued when
   * appends have paused for a second, or when the oldest queued row waited `maxFlushDelayMs`:
   * its work runs on the event loop, so during a burst it leaves the time to ingest, as
   * Prometheus leaves head compaction for later.
   */
  flushIntervalMs?: number;
  /** Longest a queued row waits for the inner store while appends keep coming (default 30 s). */
  maxFlushDelayMs?: number;
  /**
   * The flusher starts at once when this many rows wait (default 3,000,000, ≈ 60 MB of queue).
   * Until then a burst's samples sit in the WAL and the head, and reach the store when appends
   * pause for a second or after maxFlushDelayMs: writing MergeTree parts in the middle of a
   * burst took CPU from ingest (about 15 % of the remote-write rate on 2 cores, BENCHMARKS.md),
   * which is why Prometheus writes blocks only long after the head received the samples.
   */
  flushRows?: number;
  /**
   * Rows per inner append at most (default 500,000). Its columns are built on the event loop
   * (≈ 0.1 s for 500k rows); the store's insert runs on its own threads. Larger blocks mean
   * fewer MergeTree parts to merge: under sustained ingest at 10,000 series, 100k-row blocks
   * gave 0.88–0.90× Prometheus's rate, 500k 0.98×, 1 M 1.03× (BENCHMARKS.md).
   */
  flushBlockRows?: number;
  /** Appends wait while more rows than this wait for the inner store (default 4,000,000, ≈ 80 MB). */
  maxBacklogRows?: number;
  /** How long an append waits for room before it fails (default 30 s). */
  backlogWaitMs?: number;
  /** WAL segment size (default 64 MiB). */
  segmentBytes?: number;
  /**
   * Samples of older whole hours kept from the inner store's answers (default 2,000,000,
   * ≈ 32 MB; 0 turns it off): a dashboard refreshed again reads them from memory (block-cache.ts).
   */
  blockCacheSamples?: number;
  now?: () => number;
  /**
   * Where a new WAL's head coverage starts; by default 0 when the store holds no samples yet,
   * else the time of opening (older samples keep coming from the store). Tests set it.
   */
  coveredFromMs?: number;
}

export interface HeadStats {
  series: number;
  samples: number;
  /** Bytes in sample chunks (typed arrays). */
  chunkBytes: number;
  pendingRows: number;
  walBytes: number;
  walSegments: number;
  coveredFromMs: number;
  /** The head holds samples from here on (the window's start, aligned down to the hour). */
  headFromMs: number;
  /** Blocks of older hours answered from memory, read from the inner store, samples kept (block-cache.ts). */
  blockCacheHits: number;
  blockCacheMisses: number;
  blockCacheSamples: number;
}

const HOUR = 3_600_000;
/** Marks `s` as written by batch `seq`, and lists it in `named` if the current WAL segment has not named it yet. */
function touchSeries(s: HeadSeries, seq: number, segment: number, named: HeadSeries[]): void {
  s.lastSeq = seq;
  if (s.walSegment !== segment) {
    s.walSegment = segment;
    named.push(s);
  }
}

/** This store's entry in a caller's SeriesSlot (telemetry-store.ts): the head series of those labels. */
const HEAD_SERIES = Symbol('head series');

/** Forwarded port methods known not to change samples: the block cache survives them. */
const READ_ONLY_FORWARDED = new Set<string | symbol>(['aggregateSamples']);

interface PendingBatch {
  seq: number;
  /** performance.now() when appended. */
  at: number;
  refs: Uint32Array;
  ts: Float64Array;
  vs: Float64Array;
  n: number;
  minT: number;
  pos: WalPosition;
}

interface Waiter {
  seq: number;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/** The port methods this decorator implements itself; anything else is forwarded. */
type Handled = 'engine' | 'migrate' | 'appendSamples' | 'appendSeriesColumns' | 'selectSeries' | 'labelNames' | 'labelValues' | 'appendCheckResults' | 'selectCheckResults' | 'availability' | 'appendLogEvents' | 'searchLogs' | 'usage' | 'close';

/** Opens the WAL, replays it and returns the decorated store. */
export async function openHeadStore(inner: TelemetryStore, options: HeadStoreOptions): Promise<TelemetryStore> {
  const now = options.now ?? Date.now;
  let existed: boolean;
  try {
    ({ existed } = Wal.prepare(options.dir));
  } catch (err) {
    throw new StoreError('KSK_STORE_WAL_OPEN_FAILED', `cannot create the metrics write-ahead log directory ${options.dir}: ${(err as Error).message} — check the data directory's path, free space and permissions`, undefined, { cause: err });
  }
  const wal = new Wal({ dir: options.dir, logger: options.logger, fsyncIntervalMs: options.fsyncIntervalMs ?? 1000, segmentBytes: options.segmentBytes ?? 64 * 1024 * 1024 });
  let checkpoint = existed ? wal.readCheckpoint() : undefined;
  if (!checkpoint) {
    // A new log. The head covers all time only when the store holds no samples yet; otherwise
    // it covers from now on, and older ranges keep coming from the store.
    let coveredFromMs = options.coveredFromMs;
    if (coveredFromMs === undefined) {
      let empty = false;
      try {
        empty = (await inner.usage()).every((u) => u.table !== 'samples' || u.rows === 0);
      } catch {
        empty = false;
      }
      coveredFromMs = empty ? 0 : now();
    }
    checkpoint = { version: 1, coveredFromMs, flushed: { segment: 0, offset: 0 }, minSampleMs: null, walKeepsFromMs: 0 };
  } else if (checkpoint.walKeepsFromMs === undefined) {
    // Written by a version that deleted segments older than now − window: the log can only
    // refill the head from there, not from the hour before.
    checkpoint.walKeepsFromMs = now() - (options.windowMs ?? 2 * HOUR);
  }
  const store = new HeadTelemetryStore(inner, wal, checkpoint, options);
  try {
    store.replay();
  } catch (err) {
    await wal.close().catch(() => undefined);
    throw new StoreError(
      'KSK_STORE_WAL_OPEN_FAILED',
      `cannot replay the metrics write-ahead log in ${options.dir}: ${(err as Error).message} — check its permissions; moving the directory aside starts an empty log, losing the samples in it that had not reached the telemetry store yet`,
      undefined,
      { cause: err },
    );
  }
  return store.asPort();
}

export class HeadTelemetryStore implements Pick<TelemetryStore, Handled> {
  readonly engine;
  readonly #inner: TelemetryStore;
  readonly #wal: Wal;
  readonly #logger: Logger;
  readonly #now: () => number;
  readonly #index = new HeadIndex();
  readonly #checkpoint: Checkpoint;
  readonly #retentionMs: number;
  readonly #windowMs: number;
  readonly #flushRows: number;
  readonly #flushBlockRows: number;
  readonly #maxBacklogRows: number;
  readonly #backlogWaitMs: number;
  readonly #flushIntervalMs: number;
  readonly #maxFlushDelayMs: number;
  /** The inner store's answers for older whole hours; undefined when turned off. */
  readonly #blockCache: BlockCache | undefined;
  #lastAppendAt = 0;

  readonly #inflight = new Set<Promise<unknown>>();
  #closing: Promise<void> | undefined;
  #closed = false;
  #timer: NodeJS.Timeout | undefined;

  /** Flush queue, oldest first, from #pendingStart on. */
  #pending: PendingBatch[] = [];
  #pendingStart = 0;
  #pendingRows = 0;
  #pendingMinT = Infinity;
  #seq = 0;
  #flushedSeq = 0;
  /** Flush until #flushedSeq reaches this, whatever the queue length. */
  #drainTarget = 0;
  #flushing: Promise<void> | undefined;
  #blockSeq = 0;
  /** Each row's series during one append (reused: appends run one at a time, synchronously). */
  #scratch: HeadSeries[] = [];
  #flushWaiters: Waiter[] = [];
  #roomWaiters: (() => void)[] = [];
  #failures = 0;
  #lastFailureLog = 0;

  constructor(inner: TelemetryStore, wal: Wal, checkpoint: Checkpoint, options: HeadStoreOptions) {
    this.engine = inner.engine;
    this.#inner = inner;
    this.#wal = wal;
    this.#checkpoint = checkpoint;
    this.#logger = options.logger;
    this.#now = options.now ?? Date.now;
    this.#retentionMs = options.retention?.samplesMs ?? DEFAULT_RETENTION.samplesMs;
    this.#windowMs = options.windowMs ?? 2 * HOUR;
    this.#flushRows = options.flushRows ?? 3_000_000;
    this.#flushBlockRows = options.flushBlockRows ?? 500_000;
    this.#maxBacklogRows = options.maxBacklogRows ?? 4_000_000;
    this.#backlogWaitMs = options.backlogWaitMs ?? 30_000;
    this.#flushIntervalMs = options.flushIntervalMs ?? 1000;
    this.#maxFlushDelayMs = options.maxFlushDelayMs ?? 30_000;
    const cacheSamples = options.blockCacheSamples ?? 2_000_000;
    this.#blockCache = cacheSamples > 0 ? new BlockCache(cacheSamples) : undefined;
  }

  /**
   * This object as the port: its own methods, plus every other method of the inner store,
   * forwarded after flushing what that call could need to see.
   */
  asPort(): TelemetryStore {
    const inner = this.#inner as unknown as Record<string | symbol, unknown>;
    return new Proxy(this, {
      get: (target, prop, receiver) => {
        if (prop in target) {
          const v = Reflect.get(target, prop, receiver) as unknown;
          return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
        }
        const v = inner[prop];
        if (typeof v !== 'function') return v;
        return (...args: unknown[]) => target.#forward(prop, () => (v as (...a: unknown[]) => unknown).apply(this.#inner, args), args);
      },
    }) as unknown as TelemetryStore;
  }

  #forward(prop: string | symbol, call: () => unknown, args: unknown[]): Promise<unknown> {
    return this.#track(async () => {
      // A range in the arguments limits what must be flushed first; without one, flush all.
      const range = args.find((a): a is { endMs: number } => typeof a === 'object' && a !== null && typeof (a as { endMs?: unknown }).endMs === 'number');
      if (range) await this.#flushBelow(range.endMs);
      else await this.#flushAll();
      if (READ_ONLY_FORWARDED.has(prop)) return call();
      // A method this class does not know may change samples (a delete, say): kept blocks go.
      try {
        return await call();
      } finally {
        this.#blockCache?.clear();
      }
    });
  }

  #track<T>(work: () => Promise<T>): Promise<T> {
    if (this.#closing) return Promise.reject(storeClosedError(this.engine));
    const p = work();
    this.#inflight.add(p);
    const forget = () => this.#inflight.delete(p);
    p.then(forget, forget);
    return p;
  }

  /** Whether the inner store can hold samples in [startMs, endMs] (see Checkpoint.minSampleMs). */
  #innerMayHave(startMs: number, endMs: number): boolean {
    const c = this.#checkpoint;
    if (startMs < c.coveredFromMs) return true;
    return c.minSampleMs !== undefined && c.minSampleMs !== null && endMs >= c.minSampleMs;
  }

  #noteMinT(t: number): void {
    const c = this.#checkpoint;
    if (c.minSampleMs === undefined || c.minSampleMs === null || t < c.minSampleMs) c.minSampleMs = t;
  }

  /**
   * Where the head's part of a read starts: the window's start aligned down to the hour, so the
   * head holds 2–3 h as Prometheus's does, and the older part ends on a whole hour whose answer
   * the block cache can keep. Never before what the head has seen or the WAL can replay.
   */
  #headFrom(now: number): number {
    const c = this.#checkpoint;
    return Math.max(c.coveredFromMs, c.walKeepsFromMs ?? 0, Math.floor((now - this.#windowMs) / BLOCK_MS) * BLOCK_MS);
  }

  // ---- start ---------------------------------------------------------------------------------

  replay(): void {
    const t0 = performance.now();
    const now = this.#now();
    const headFrom = this.#headFrom(now);
    const horizon = now - this.#retentionMs;
    let refs = new Map<number, HeadSeries>();
    let segment = -1;
    let samples = 0;
    let queued = 0;
    let unknown = 0;
    this.#wal.replay((seg, rec) => {
      if (seg !== segment) {
        segment = seg;
        refs = new Map();
      }
      if (rec.type === 1) {
        for (const e of rec.series) refs.set(e.ref, this.#index.getOrCreateCanonical(e.labels.map(([n, v]) => [n, v])));
        return;
      }
      const { refs: r, ts, vs, n } = rec.samples;
      const toStore = comparePositions({ segment: seg, offset: rec.end }, this.#checkpoint.flushed) > 0;
      const seq = toStore ? ++this.#seq : 0;
      let k = 0;
      let minT = Infinity;
      for (let i = 0; i < n; i++) {
        const s = refs.get(r[i]!);
        const t = ts[i]!;
        if (!s) {
          unknown++;
          continue;
        }
        if (t < horizon) continue;
        samples++;
        this.#noteMinT(t);
        if (t >= headFrom) s.append(t, vs[i]!);
        if (toStore) {
          s.lastSeq = seq;
          r[k] = s.ref;
          ts[k] = t;
          vs[k] = vs[i]!;
          if (t < minT) minT = t;
          k++;
        }
      }
      if (toStore && k) {
        this.#pending.push({ seq, at: performance.now(), refs: r, ts, vs, n: k, minT, pos: { segment: seg, offset: rec.end } });
        this.#pendingRows += k;
        if (minT < this.#pendingMinT) this.#pendingMinT = minT;
        queued += k;
      }
    });
    if (unknown) this.#logger.warn({ samples: unknown }, 'WAL: samples referring to series the segment never named were skipped');
    this.#wal.start();
    this.#wal.writeCheckpoint(this.#checkpoint);
    this.#drainTarget = this.#seq;
    this.#timer = setInterval(() => this.#tick(), this.#flushIntervalMs);
    this.#timer.unref();
    if (samples || queued) {
      this.#logger.info({ samples, toStore: queued, series: this.#index.seriesCount, ms: Math.round(performance.now() - t0) }, 'WAL replayed into the head');
    }
    if (this.#pendingRows) this.#kick();
  }

  // ---- writes --------------------------------------------------------------------------------

  appendSamples(samples: SampleRow[]): Promise<void> {
    return this.#track(async () => {
      validateSamples(samples);
      if (!samples.length) return;
      if (this.#pendingRows > 0 && this.#pendingRows + samples.length > this.#maxBacklogRows) await this.#waitForRoom(samples.length);
      this.#appendNow(samples);
    });
  }

  /**
   * appendSamples for series in columns (the remote-write path): same validation, WAL record
   * and head, without an object per sample; the SAMPLES record's columns are filled with one
   * copy per series.
   */
  appendSeriesColumns(series: AppendSeries[]): Promise<void> {
    return this.#track(async () => {
      const n = validateSeriesColumns(series);
      if (!n) return;
      if (this.#pendingRows > 0 && this.#pendingRows + n > this.#maxBacklogRows) await this.#waitForRoom(n);
      this.#appendColumnsNow(series, n);
    });
  }

  #appendColumnsNow(series: AppendSeries[], total: number): void {
    const now = this.#now();
    const horizon = now - this.#retentionMs;
    const headFrom = this.#headFrom(now);
    const refs = new Uint32Array(total);
    const ts = new Float64Array(total);
    const vs = new Float64Array(total);
    const vBits = new Uint32Array(vs.buffer);
    const heads = new Array<HeadSeries>(series.length);
    const named: HeadSeries[] = [];
    const segment = this.#wal.currentSegment;
    const seq = this.#seq + 1;
    let k = 0;
    let minT = Infinity;
    let maxT = -Infinity;
    // Values go as their bits (a NaN's payload is the staleness marker), through one word view
    // per source array: a remote-write request's series all share one, a flush block's too.
    let srcV: Float64Array | undefined;
    let srcBits: Uint32Array<ArrayBufferLike> = vBits;
    for (let j = 0; j < series.length; j++) {
      const { labels, t, v, start = 0, end = t.length, slot } = series[j]!;
      const from = k;
      if (v !== srcV) {
        srcV = v;
        srcBits = new Uint32Array(v.buffer, v.byteOffset, v.length * 2);
      }
      for (let i = start; i < end; i++) {
        const x = t[i]!;
        if (x < horizon) continue;
        ts[k] = x;
        vBits[2 * k] = srcBits[2 * i]!;
        vBits[2 * k + 1] = srcBits[2 * i + 1]!;
        if (x < minT) minT = x;
        if (x > maxT) maxT = x;
        k++;
      }
      if (k === from) continue;
      let s = slot?.[HEAD_SERIES] as HeadSeries | undefined;
      if (s === undefined || s.removed) {
        s = this.#index.getOrCreate(labels);
        if (slot) slot[HEAD_SERIES] = s;
      }
      touchSeries(s, seq, segment, named);
      // A loop, not refs.fill(): most series have one row, and the call cost more than the write.
      for (let i = from; i < k; i++) refs[i] = s.ref;
      heads[j] = s;
    }
    const pos = this.#record(seq, named, refs, ts, vs, k, minT, maxT, total);
    if (pos === undefined) return;
    let i = 0;
    for (let j = 0; j < series.length && i < k; j++) {
      const s = heads[j];
      if (!s) continue;
      for (; i < k && refs[i] === s.ref; i++) if (ts[i]! >= headFrom) s.append(ts[i]!, vs[i]!);
    }
    this.#enqueue(seq, refs, ts, vs, k, minT, pos);
  }

  /**
   * What both appends do once their first `k` rows are in `refs`/`ts`/`vs`, before the head:
   * one WAL record, the batch's sequence number and oldest time. Undefined when no row was left
   * (all older than retention). No closure here: a captured local of the callers' per-series
   * loops would live in a context object and cost ingest about a tenth.
   */
  #record(seq: number, named: HeadSeries[], refs: Uint32Array, ts: Float64Array, vs: Float64Array, k: number, minT: number, maxT: number, dropped: number): WalPosition | undefined {
    if (!k) {
      this.#logger.debug({ dropped }, 'samples older than the retention window were not stored');
      return undefined;
    }
    const pos = this.#writeWal(named, refs, ts, vs, k, maxT);
    this.#seq = seq;
    this.#noteMinT(minT);
    return pos;
  }

  /** One WAL record for a batch; a failure leaves nothing of the batch stored and says why. */
  #writeWal(named: HeadSeries[], refs: Uint32Array, ts: Float64Array, vs: Float64Array, k: number, maxT: number): WalPosition {
    try {
      const entries: SeriesEntry[] = named.map((s) => ({ ref: s.ref, labels: s.pairs }));
      return this.#wal.append(entries, { refs, ts, vs, n: k }, maxT);
    } catch (err) {
      // These series' labels were not written: the next batch must name them again.
      for (const s of named) s.walSegment = -1;
      throw new StoreError(
        'KSK_STORE_WAL_WRITE_FAILED',
        `cannot write the metrics write-ahead log in ${this.#wal.dir}: ${(err as Error).message} — nothing of this batch was stored; check free disk space and permissions`,
        undefined,
        { cause: err },
      );
    }
  }

  /** Queues a batch written to the WAL for the inner store, and starts a flush when enough waits. */
  #enqueue(seq: number, refs: Uint32Array, ts: Float64Array, vs: Float64Array, k: number, minT: number, pos: WalPosition): void {
    this.#lastAppendAt = performance.now();
    this.#pending.push({ seq, at: this.#lastAppendAt, refs, ts, vs, n: k, minT, pos });
    this.#pendingRows += k;
    if (minT < this.#pendingMinT) this.#pendingMinT = minT;
    if (this.#pendingRows >= this.#flushRows) this.#kick();
  }

  #appendNow(samples: SampleRow[]): void {
    const now = this.#now();
    const horizon = now - this.#retentionMs;
    const headFrom = this.#headFrom(now);
    const n = samples.length;
    const refs = new Uint32Array(n);
    const ts = new Float64Array(n);
    const vs = new Float64Array(n);
    if (this.#scratch.length < n) this.#scratch = new Array<HeadSeries>(n);
    const rowSeries = this.#scratch;
    const named: HeadSeries[] = [];
    const segment = this.#wal.currentSegment;
    const seq = this.#seq + 1;
    let k = 0;
    let minT = Infinity;
    let maxT = -Infinity;
    let lastLabels: SampleRow['labels'] | undefined;
    let series: HeadSeries | undefined;
    for (let i = 0; i < n; i++) {
      const s = samples[i]!;
      const t = s.t;
      if (t < horizon) continue;
      if (s.labels !== lastLabels || !series) {
        lastLabels = s.labels;
        series = this.#index.getOrCreate(s.labels);
        touchSeries(series, seq, segment, named);
      }
      refs[k] = series.ref;
      ts[k] = t;
      vs[k] = s.v;
      rowSeries[k] = series;
      if (t < minT) minT = t;
      if (t > maxT) maxT = t;
      k++;
    }
    const pos = this.#record(seq, named, refs, ts, vs, k, minT, maxT, n);
    if (pos === undefined) return;
    for (let i = 0; i < k; i++) if (ts[i]! >= headFrom) rowSeries[i]!.append(ts[i]!, vs[i]!);
    this.#enqueue(seq, refs, ts, vs, k, minT, pos);
  }

  #waitForRoom(rows: number): Promise<void> {
    const deadline = performance.now() + this.#backlogWaitMs;
    return new Promise<void>((resolve, reject) => {
      const check = () => {
        if (this.#pendingRows === 0 || this.#pendingRows + rows <= this.#maxBacklogRows) return resolve();
        if (this.#closed) return reject(storeClosedError(this.engine));
        const left = deadline - performance.now();
        if (left <= 0) {
          return reject(
            new StoreError(
              'KSK_STORE_BACKLOG_FULL',
              `the telemetry store (${this.engine}) is behind: ${this.#pendingRows} samples are waiting to be written to it, more than the ${this.#maxBacklogRows} allowed; senders should retry later (see the server log for why writes are slow or failing)`,
            ),
          );
        }
        const timer = setTimeout(() => {
          this.#roomWaiters = this.#roomWaiters.filter((w) => w !== wake);
          check();
        }, left);
        const wake = () => {
          clearTimeout(timer);
          check();
        };
        this.#roomWaiters.push(wake);
        this.#drainTarget = Math.max(this.#drainTarget, this.#seq);
        this.#kick();
      };
      check();
    });
  }

  // ---- flusher -------------------------------------------------------------------------------

  #tick(): void {
    const now = performance.now();
    const oldest = this.#pending[this.#pendingStart];
    if (oldest && (now - this.#lastAppendAt >= 1000 || now - oldest.at >= this.#maxFlushDelayMs)) {
      this.#drainTarget = Math.max(this.#drainTarget, this.#seq);
      this.#kick();
    } else {
      this.#collect();
    }
  }

  #kick(): void {
    this.#flushing ??= this.#flushLoop().finally(() => {
      this.#flushing = undefined;
    });
  }

  async #flushLoop(): Promise<void> {
    for (;;) {
      if (this.#pendingStart >= this.#pending.length) return;
      if (this.#pendingRows < this.#flushRows && this.#flushedSeq >= this.#drainTarget) return;
      // One block: whole batches from the front of the queue, at most #flushBlockRows rows, and
      // none that writes a (series, t) again: within one insert the store cannot tell which
      // of two rows came last, across inserts the later one wins.
      const blockId = ++this.#blockSeq;
      let end = this.#pendingStart;
      let rows = 0;
      while (end < this.#pending.length) {
        const b = this.#pending[end]!;
        if (rows > 0 && (rows + b.n > this.#flushBlockRows || this.#rewrites(b, blockId))) break;
        this.#markBlock(b, blockId);
        rows += b.n;
        end++;
      }
      // Columns, not rows: one part per series (flush-columns.ts), no object per sample; the
      // ClickHouse store writes the block as one Native block.
      const block = blockColumns(this.#pending.slice(this.#pendingStart, end), (ref) => this.#index.byRef(ref)!.labels);
      try {
        await appendSeriesColumns(this.#inner, block);
        this.#invalidateFlushed(this.#pendingStart, end);
      } catch (err) {
        if (err instanceof ValidationError) {
          // Cannot succeed on retry; the head validated these, so this is a bug worth a loud log.
          this.#logger.error({ err, rows }, 'telemetry store refused samples the WAL had accepted; they stay in the head until it moves on, but are not stored');
        } else {
          await this.#flushFailed(err);
          if (this.#closed && this.#failures >= 3) return;
          continue;
        }
      }
      this.#failures = 0;
      const last = this.#pending[end - 1]!;
      for (let b = this.#pendingStart; b < end; b++) this.#pending[b] = undefined as unknown as PendingBatch;
      this.#pendingStart = end;
      if (this.#pendingStart > 1024 && this.#pendingStart * 2 > this.#pending.length) {
        this.#pending = this.#pending.slice(this.#pendingStart);
        this.#pendingStart = 0;
      }
      this.#pendingRows -= rows;
      this.#pendingMinT = Infinity;
      for (let b = this.#pendingStart; b < this.#pending.length; b++) if (this.#pending[b]!.minT < this.#pendingMinT) this.#pendingMinT = this.#pending[b]!.minT;
      this.#flushedSeq = last.seq;
      this.#checkpoint.flushed = last.pos;
      try {
        this.#wal.writeCheckpoint(this.#checkpoint);
      } catch (err) {
        // Only costs a longer replay (rows written again, stored once).
        this.#logger.warn({ err }, 'WAL checkpoint not written');
      }
      const done = this.#flushWaiters.filter((w) => w.seq <= this.#flushedSeq);
      if (done.length) {
        this.#flushWaiters = this.#flushWaiters.filter((w) => w.seq > this.#flushedSeq);
        for (const w of done) w.resolve();
      }
      const room = this.#roomWaiters;
      this.#roomWaiters = [];
      for (const wake of room) wake();
      this.#collect();
    }
  }

  /**
   * The rows of queued batches [from, to) are in the inner store now: kept older blocks they
   * fall in are stale. Rows at or after the cache's reach (most: ingest is recent) touch none.
   */
  #invalidateFlushed(from: number, to: number): void {
    const cache = this.#blockCache;
    if (!cache) return;
    const reach = cache.reach;
    const starts = new Set<number>();
    for (let b = from; b < to; b++) {
      const { ts, n, minT } = this.#pending[b]!;
      if (minT >= reach) continue;
      for (let i = 0; i < n; i++) if (ts[i]! < reach) starts.add(blockStart(ts[i]!));
    }
    for (const start of starts) cache.invalidate(start, start + BLOCK_MS - 1);
  }

  /** Whether the batch has a row at or before a timestamp its series already has in the block. */
  #rewrites(b: PendingBatch, blockId: number): boolean {
    let ref = -1;
    let s: HeadSeries | undefined;
    for (let i = 0; i < b.n; i++) {
      if (b.refs[i] !== ref) {
        ref = b.refs[i]!;
        s = this.#index.byRef(ref);
      }
      if (s && s.flushBlock === blockId && b.ts[i]! <= s.flushMaxT) return true;
    }
    return false;
  }

  #markBlock(b: PendingBatch, blockId: number): void {
    let ref = -1;
    let s: HeadSeries | undefined;
    for (let i = 0; i < b.n; i++) {
      if (b.refs[i] !== ref) {
        ref = b.refs[i]!;
        s = this.#index.byRef(ref)!;
        if (s.flushBlock !== blockId) {
          s.flushBlock = blockId;
          s.flushMaxT = -Infinity;
        }
      }
      if (b.ts[i]! > s!.flushMaxT) s!.flushMaxT = b.ts[i]!;
    }
  }

  async #flushFailed(err: unknown): Promise<void> {
    this.#failures++;
    const waiters = this.#flushWaiters;
    this.#flushWaiters = [];
    for (const w of waiters) w.reject(err);
    const now = Date.now();
    if (now - this.#lastFailureLog > 30_000) {
      this.#lastFailureLog = now;
      this.#logger.error({ err, pendingRows: this.#pendingRows, attempts: this.#failures }, 'writing samples from the WAL to the telemetry store failed; retrying (they are safe in the WAL)');
    }
    if (this.#closed) return;
    const delay = Math.min(30_000, 250 * 2 ** Math.min(this.#failures, 7));
    await new Promise((r) => setTimeout(r, delay).unref());
  }

  /** Everything queued now is in the inner store when this resolves. */
  #flushAll(): Promise<void> {
    return this.#flushThrough(this.#seq);
  }

  /** Queued rows with t <= endMs are in the inner store when this resolves. */
  #flushBelow(endMs: number): Promise<void> {
    if (this.#pendingMinT > endMs) return Promise.resolve();
    return this.#flushAll();
  }

  #flushThrough(seq: number): Promise<void> {
    if (this.#flushedSeq >= seq || this.#pendingRows === 0) return Promise.resolve();
    this.#drainTarget = Math.max(this.#drainTarget, seq);
    const p = new Promise<void>((resolve, reject) => this.#flushWaiters.push({ seq, resolve, reject }));
    this.#kick();
    return p;
  }

  /** Drops samples that left the head window, forgets empty series, deletes old WAL segments. */
  #collect(): void {
    const cutoff = this.#headFrom(this.#now());
    const dead: HeadSeries[] = [];
    for (const s of this.#index.all()) {
      s.dropBefore(cutoff);
      if (s.size === 0 && s.lastSeq <= this.#flushedSeq) dead.push(s);
    }
    this.#index.remove(dead);
    try {
      // Recorded before any segment goes: a restart must not expect the head back from earlier.
      if (cutoff > (this.#checkpoint.walKeepsFromMs ?? 0)) {
        this.#wal.writeCheckpoint({ ...this.#checkpoint, walKeepsFromMs: cutoff });
        this.#checkpoint.walKeepsFromMs = cutoff;
      }
      this.#wal.truncate(this.#checkpoint.flushed, cutoff);
    } catch (err) {
      this.#logger.warn({ err, dir: this.#wal.dir }, 'WAL: could not delete an old segment; will retry');
    }
  }

  // ---- reads ---------------------------------------------------------------------------------

  /** The head's series for the matchers, or undefined when only the inner store can evaluate them. */
  #match(matchers: LabelQuery['matchers']): HeadSeries[] | undefined {
    try {
      return this.#index.match(matchers);
    } catch (err) {
      if (err instanceof RegexNotSupportedHere) return undefined;
      throw err;
    }
  }

  selectSeries(q: SelectSeriesQuery): Promise<SeriesData[]> {
    return this.#track(async () => {
      const now = this.#now();
      const startMs = Math.max(q.startMs, now - this.#retentionMs);
      if (startMs > q.endMs || q.limit === 0) return [];
      const matched = this.#match(q.matchers);
      if (!matched) {
        await this.#flushAll();
        return this.#inner.selectSeries(q);
      }
      const headFrom = this.#headFrom(now);
      // Per series, its pieces in time order: the older part's, then the head's (disjoint).
      let byKey = new Map<string, OlderSeries>();
      if (startMs < headFrom && this.#innerMayHave(startMs, Math.min(q.endMs, headFrom - 1))) {
        const endMs = Math.min(q.endMs, headFrom - 1);
        const cache = q.limit === undefined ? this.#blockCache : undefined;
        if (cache) {
          // Flush, then read: a kept block is current only once no queued row can land in it.
          await this.#flushBelow(readEnd(endMs, headFrom));
          byKey = await cache.read(q.matchers, startMs, endMs, headFrom, (from, to) => this.#inner.selectSeries({ matchers: q.matchers, startMs: from, endMs: to }));
        } else {
          await this.#flushBelow(endMs);
          for (const s of await this.#inner.selectSeries({ matchers: q.matchers, startMs, endMs, limit: q.limit })) byKey.set(canonicalLabelKey(s.labels), { labels: s.labels, parts: [columnsOf(s)], owned: true });
        }
      }
      if (q.endMs >= headFrom) {
        const from = Math.max(startMs, headFrom);
        for (const s of matched) {
          const cols = s.rangeColumns(from, q.endMs);
          if (!cols) continue;
          const older = byKey.get(s.key);
          if (older) older.parts.push(cols);
          else byKey.set(s.key, { labels: s.labels, parts: [cols], owned: true });
        }
      }
      const keys = [...byKey.keys()].sort();
      // Columns all the way (sample-columns.ts): no point object per sample on the query path.
      // Labels are copied: the head's are frozen and shared, a kept block's are shared too.
      return (q.limit !== undefined ? keys.slice(0, q.limit) : keys).map((k) => {
        const { labels, parts, owned } = byKey.get(k)!;
        const [t, v] = owned && parts.length === 1 ? [parts[0]!.t, parts[0]!.v] : joinColumns(parts);
        return new ColumnarSeries({ ...labels }, t, v);
      });
    });
  }

  labelNames(q: LabelQuery): Promise<string[]> {
    return this.#labels(q, (iq) => this.#inner.labelNames(iq), (s, out) => {
      for (const [n] of s.pairs) out.add(n);
    });
  }

  labelValues(name: string, q: LabelQuery): Promise<string[]> {
    return this.#labels(q, (iq) => this.#inner.labelValues(name, iq), (s, out) => {
      const v = s.labels[name];
      if (v) out.add(v);
    });
  }

  #labels(q: LabelQuery, fromInner: (q: LabelQuery) => Promise<string[]>, collect: (s: HeadSeries, out: Set<string>) => void): Promise<string[]> {
    return this.#track(async () => {
      const now = this.#now();
      const startMs = Math.max(q.startMs, now - this.#retentionMs);
      if (startMs > q.endMs) return [];
      const matched = this.#match(q.matchers);
      if (!matched) {
        await this.#flushAll();
        return fromInner(q);
      }
      const headFrom = this.#headFrom(now);
      const out = new Set<string>();
      if (startMs < headFrom && this.#innerMayHave(startMs, Math.min(q.endMs, headFrom - 1))) {
        const endMs = Math.min(q.endMs, headFrom - 1);
        await this.#flushBelow(endMs);
        for (const v of await fromInner({ matchers: q.matchers, startMs, endMs })) out.add(v);
      }
      if (q.endMs >= headFrom) {
        const from = Math.max(startMs, headFrom);
        for (const s of matched) if (s.hasSampleIn(from, q.endMs)) collect(s, out);
      }
      return [...out].sort();
    });
  }

  // ---- forwarded -----------------------------------------------------------------------------

  migrate(): Promise<void> {
    return this.#track(async () => {
      await this.#inner.migrate();
      // Migrations and retention settings may change what the store holds.
      this.#blockCache?.clear();
      // Rows queued before the tables existed can go now.
      if (this.#pendingRows) this.#kick();
    });
  }

  appendCheckResults(...a: Parameters<TelemetryStore['appendCheckResults']>): ReturnType<TelemetryStore['appendCheckResults']> {
    return this.#track(() => this.#inner.appendCheckResults(...a));
  }

  selectCheckResults(...a: Parameters<TelemetryStore['selectCheckResults']>): ReturnType<TelemetryStore['selectCheckResults']> {
    return this.#track(() => this.#inner.selectCheckResults(...a));
  }

  availability(...a: Parameters<TelemetryStore['availability']>): ReturnType<TelemetryStore['availability']> {
    return this.#track(() => this.#inner.availability(...a));
  }

  appendLogEvents(...a: Parameters<TelemetryStore['appendLogEvents']>): ReturnType<TelemetryStore['appendLogEvents']> {
    return this.#track(() => this.#inner.appendLogEvents(...a));
  }

  searchLogs(...a: Parameters<TelemetryStore['searchLogs']>): ReturnType<TelemetryStore['searchLogs']> {
    return this.#track(() => this.#inner.searchLogs(...a));
  }

  /** The inner store's tables; rows still queued in the WAL are not counted yet (see headStats). */
  usage(): ReturnType<TelemetryStore['usage']> {
    return this.#track(() => this.#inner.usage());
  }

  headStats(): HeadStats {
    const cache = this.#blockCache?.stats();
    let samples = 0;
    let chunkBytes = 0;
    for (const s of this.#index.all()) {
      samples += s.size;
      chunkBytes += s.bytes;
    }
    return {
      series: this.#index.seriesCount,
      samples,
      chunkBytes,
      pendingRows: this.#pendingRows,
      walBytes: this.#wal.bytes,
      walSegments: this.#wal.segmentCount,
      coveredFromMs: this.#checkpoint.coveredFromMs,
      headFromMs: this.#headFrom(this.#now()),
      blockCacheHits: cache?.hits ?? 0,
      blockCacheMisses: cache?.misses ?? 0,
      blockCacheSamples: cache?.samples ?? 0,
    };
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      // Settle, not fail: a write that fails during shutdown has already reported to its caller.
      while (this.#inflight.size) await Promise.allSettled([...this.#inflight]);
      if (this.#timer) clearInterval(this.#timer);
      try {
        await this.#flushAll();
      } catch {
        /* reported below */
      }
      this.#closed = true;
      await this.#flushing;
      if (this.#pendingRows) {
        this.#logger.error({ pendingRows: this.#pendingRows }, 'telemetry store unreachable at shutdown: samples stay in the WAL and are written at the next start');
      }
      this.#collect();
      const room = this.#roomWaiters;
      this.#roomWaiters = [];
      for (const wake of room) wake();
      await this.#wal.close();
      await this.#inner.close();
    })();
    return this.#closing;
  }
}

/** A series' pieces (older blocks, then the head's part; disjoint, in time order) copied into fresh columns the reader owns. */
function joinColumns(parts: SampleColumns[]): [Float64Array, Float64Array] {
  let n = 0;
  for (const p of parts) n += p.t.length;
  const t = new Float64Array(n);
  const v = new Float64Array(n);
  let k = 0;
  for (const p of parts) {
    t.set(p.t, k);
    v.set(p.v, k);
    k += p.t.length;
  }
  return [t, v];
}




