/**
 * The write-ahead log: numbered segment files in one directory, plus `head.json`, the
 * checkpoint saying how far the log has reached the telemetry store and since when the head
 * has seen every sample.
 *
 * Durability, as in Prometheus's WAL: every append is written to the segment file with
 * write(2) before the caller hears "stored", so a killed process loses nothing it accepted
 * (the kernel has the bytes). fsync runs at most every `fsyncIntervalMs` for everything
 * written since, and on segment rotation and close: a power loss or kernel crash can lose the
 * last `fsyncIntervalMs` of acknowledged samples. Prometheus fsyncs only when a 128 MiB segment
 * is complete, so its window is wider.
 */
import { closeSync, fsync, fsyncSync, ftruncateSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync, writeSync, close as closeFd } from 'node:fs';
import path from 'node:path';
import type { Logger } from '../../lib/logger.js';
import { encodeBatch, readRecord, type DecodedRecord, type SamplesBody, type SeriesEntry } from './wal-records.js';

export interface WalPosition {
  segment: number;
  /** Byte offset just after the last record counted. */
  offset: number;
}

export interface Checkpoint {
  version: 1;
  /** The head holds every sample accepted with t at or after this instant (within its window). */
  coveredFromMs: number;
  /** Every record up to here is in the telemetry store. */
  flushed: WalPosition;
  /**
   * The oldest sample timestamp ever written through this WAL (null: none yet). With
   * coveredFromMs 0 every sample in the store came this way, so older ranges need no query.
   */
  minSampleMs?: number | null;
  /**
   * Segments deleted so far held only samples older than this (the head's start when they were
   * deleted), so replay refills the head from here on. Missing in a checkpoint written before
   * the head's start was aligned to the hour.
   */
  walKeepsFromMs?: number;
}

export interface SegmentInfo {
  segment: number;
  bytes: number;
  /** Newest sample timestamp in the segment; -Infinity when it holds none. */
  maxT: number;
}

const SEGMENT_NAME = /^\d{8}$/;
const CHECKPOINT = 'head.json';

export function comparePositions(a: WalPosition, b: WalPosition): number {
  return a.segment !== b.segment ? a.segment - b.segment : a.offset - b.offset;
}

function segmentName(n: number): string {
  return String(n).padStart(8, '0');
}

export interface WalOptions {
  dir: string;
  logger: Logger;
  fsyncIntervalMs: number;
  segmentBytes: number;
}

export class Wal {
  readonly dir: string;
  readonly #logger: Logger;
  readonly #fsyncIntervalMs: number;
  readonly #segmentBytes: number;
  /** Closed segments still on disk, oldest first, then the open one (last). */
  readonly #segments: SegmentInfo[] = [];
  #fd = -1;
  #dirty = false;
  #syncing: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  /** Fails the next append when an fsync failed: the disk cannot be trusted for new data. */
  #syncError: Error | undefined;

  constructor(options: WalOptions) {
    this.dir = options.dir;
    this.#logger = options.logger;
    this.#fsyncIntervalMs = options.fsyncIntervalMs;
    this.#segmentBytes = options.segmentBytes;
  }

  /** Creates the directory when missing; says whether a log was there before. */
  static prepare(dir: string): { existed: boolean } {
    let existed = true;
    try {
      statSync(path.join(dir, CHECKPOINT));
    } catch {
      existed = false;
    }
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    return { existed };
  }

  readCheckpoint(): Checkpoint | undefined {
    let text: string;
    try {
      text = readFileSync(path.join(this.dir, CHECKPOINT), 'utf8');
    } catch {
      return undefined;
    }
    try {
      const c = JSON.parse(text) as Checkpoint;
      if (c.version === 1 && typeof c.coveredFromMs === 'number' && typeof c.flushed?.segment === 'number' && typeof c.flushed?.offset === 'number') return c;
    } catch {
      /* reported below */
    }
    this.#logger.warn({ file: path.join(this.dir, CHECKPOINT) }, 'WAL checkpoint unreadable: replaying every segment into the telemetry store again (duplicates are stored once)');
    return { version: 1, coveredFromMs: Date.now(), flushed: { segment: 0, offset: 0 } };
  }

  /** Written beside and renamed over, so a crash leaves the old or the new checkpoint whole. */
  writeCheckpoint(c: Checkpoint): void {
    const file = path.join(this.dir, CHECKPOINT);
    writeFileSync(`${file}.tmp`, JSON.stringify(c));
    renameSync(`${file}.tmp`, file);
  }

  existingSegments(): number[] {
    return readdirSync(this.dir)
      .filter((f) => SEGMENT_NAME.test(f))
      .map(Number)
      .sort((a, b) => a - b);
  }

  /**
   * Calls `onRecord` for every whole record of every segment, oldest first. A torn or corrupt
   * record (a crash in the middle of a write, a bad disk block) ends its segment: the rest of
   * that file is cut off with a warning, and replay goes on with the next segment.
   */
  replay(onRecord: (segment: number, record: DecodedRecord) => void): void {
    for (const n of this.existingSegments()) {
      const file = path.join(this.dir, segmentName(n));
      const buf = readFileSync(file);
      const info: SegmentInfo = { segment: n, bytes: 0, maxT: -Infinity };
      let offset = 0;
      while (offset < buf.length) {
        const r = readRecord(buf, offset);
        if (!r.ok) {
          this.#logger.warn(
            { segment: file, offset, skippedBytes: buf.length - offset, reason: r.reason },
            'WAL: torn or corrupt record skipped (a crash during a write leaves one); samples in it had not been acknowledged, the rest of the segment is cut off',
          );
          const fd = openSync(file, 'r+');
          try {
            ftruncateSync(fd, offset);
            fsyncSync(fd);
          } finally {
            closeSync(fd);
          }
          break;
        }
        if (r.record.type === 2) {
          const { ts, n: count } = r.record.samples;
          for (let i = 0; i < count; i++) if (ts[i]! > info.maxT) info.maxT = ts[i]!;
        }
        onRecord(n, r.record);
        offset = r.record.end;
      }
      info.bytes = offset;
      this.#segments.push(info);
    }
  }

  /** Starts a new segment after the replayed ones (a crashed run's last segment is never appended to). */
  start(): void {
    const last = this.#segments.at(-1)?.segment ?? 0;
    this.#openSegment(last + 1);
    this.#timer = setInterval(() => void this.sync(), this.#fsyncIntervalMs);
    this.#timer.unref();
  }

  #openSegment(n: number): void {
    this.#fd = openSync(path.join(this.dir, segmentName(n)), 'a', 0o600);
    this.#segments.push({ segment: n, bytes: 0, maxT: -Infinity });
    // The new file's directory entry must survive a power loss too.
    const dirFd = openSync(this.dir, 'r');
    fsync(dirFd, () => closeFd(dirFd, () => undefined));
  }

  get currentSegment(): number {
    return this.#segments.at(-1)!.segment;
  }

  /**
   * Writes one batch (its new series first) and returns the position after it. Synchronous:
   * when this returns, the kernel has the bytes.
   */
  append(series: readonly SeriesEntry[], body: SamplesBody, maxT: number): WalPosition {
    if (this.#closed) throw new Error('the WAL is closed');
    if (this.#syncError) throw this.#syncError;
    const buf = encodeBatch(series, body);
    let written = 0;
    while (written < buf.length) written += writeSync(this.#fd, buf, written, buf.length - written);
    const seg = this.#segments.at(-1)!;
    seg.bytes += buf.length;
    if (maxT > seg.maxT) seg.maxT = maxT;
    this.#dirty = true;
    const pos = { segment: seg.segment, offset: seg.bytes };
    if (seg.bytes >= this.#segmentBytes) this.#rotate();
    return pos;
  }

  /** The full segment is synced and closed in the background; appends go on in the next one. */
  #rotate(): void {
    const fd = this.#fd;
    const wasDirty = this.#dirty;
    this.#dirty = false;
    this.#openSegment(this.#segments.at(-1)!.segment + 1);
    const done = () => closeFd(fd, () => undefined);
    if (!wasDirty) return done();
    const p = new Promise<void>((resolve) =>
      fsync(fd, (err) => {
        if (err) this.#failSync(err);
        done();
        resolve();
      }),
    );
    this.#syncing = (this.#syncing ?? Promise.resolve()).then(() => p);
  }

  #failSync(err: Error): void {
    this.#logger.error({ err, dir: this.dir }, 'WAL: fsync failed; refusing new samples until restart, because written data may not be on disk');
    this.#syncError = new Error(`the write-ahead log in ${this.dir} could not be synced to disk (${err.message}); check the disk, then restart`);
  }

  /** Group commit: one fsync for everything written since the last. */
  sync(): Promise<void> {
    if (!this.#dirty || this.#fd < 0) return this.#syncing ?? Promise.resolve();
    this.#dirty = false;
    const fd = this.#fd;
    const p = new Promise<void>((resolve) =>
      fsync(fd, (err) => {
        if (err) this.#failSync(err);
        resolve();
      }),
    );
    const chained = (this.#syncing ?? Promise.resolve()).then(() => p);
    this.#syncing = chained;
    void chained.then(() => {
      if (this.#syncing === chained) this.#syncing = undefined;
    });
    return chained;
  }

  /**
   * Deletes the oldest segments that are fully in the telemetry store and hold nothing the
   * head still needs to rebuild itself (every sample older than `keepFromMs`).
   */
  truncate(flushed: WalPosition, keepFromMs: number): number {
    let removed = 0;
    while (this.#segments.length > 1) {
      const s = this.#segments[0]!;
      const fullyFlushed = comparePositions(flushed, { segment: s.segment, offset: s.bytes }) >= 0;
      if (!fullyFlushed || s.maxT >= keepFromMs) break;
      rmSync(path.join(this.dir, segmentName(s.segment)), { force: true });
      this.#segments.shift();
      removed++;
    }
    return removed;
  }

  /** Bytes on disk across the segments. */
  get bytes(): number {
    return this.#segments.reduce((n, s) => n + s.bytes, 0);
  }

  get segmentCount(): number {
    return this.#segments.length;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer) clearInterval(this.#timer);
    await this.#syncing;
    if (this.#fd >= 0) {
      fsyncSync(this.#fd);
      closeSync(this.#fd);
      this.#fd = -1;
    }
  }
}
