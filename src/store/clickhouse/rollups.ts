/**
 * The rollup job: keeps samples_5m and samples_1h built from the raw samples.
 *
 * Why a job and not a materialized view: a view aggregates each insert block as it arrives,
 * so a re-sent batch (at-least-once ingestion; the raw ReplacingMergeTree stores it once) would
 * be counted twice, and a sample overwriting an earlier value would be counted beside it. The
 * job instead reads deduplicated raw data (FINAL) for windows that have closed (ended at least
 * GRACE_MS ago), so each window is computed from what the raw table finally holds.
 *
 * Late samples: appendSamples marks the 5-minute window of every sample whose window may
 * already be rolled (ended more than DIRTY_AFTER_MS ago; DIRTY_AFTER_MS < GRACE_MS covers an
 * append racing the job) in rollup_dirty, after the samples are stored; the next run rolls
 * those windows again and the new rows replace the old (ReplacingMergeTree(rolled_at)). Marks
 * live in a table, not in memory, so they survive a restart and reach every server node.
 *
 * Progress (rollup_progress) only moves forward; two nodes running the job at once write the
 * same rows twice, which the tables collapse. Work is done in chunks (a day of raw data at a
 * time), so the first run after an upgrade does not read the whole raw retention at once.
 */
import type { Logger } from '../../lib/logger.js';
import { ROLLUP_RESOLUTION_MS, type RetentionConfig } from '../telemetry-store.js';
import { dateTime64Text, parseCount } from './encode.js';
import { pendingDirtySql, rollUp1hSql, rollUp5mSql, rollupProgressSql } from './rollup-queries.js';
import { TABLES } from './schema.js';
import type { ClickHouseTransport } from './transport.js';

const FIVE_MIN = ROLLUP_RESOLUTION_MS['5m'];
const HOUR = ROLLUP_RESOLUTION_MS['1h'];
const DAY = 86_400_000;
/** A window is rolled once it ended this long ago (remote-write and scrapes deliver within seconds). */
export const GRACE_MS = 120_000;
/** A sample whose window ended longer ago than this may land in a rolled window: mark it. */
export const DIRTY_AFTER_MS = 60_000;

const floorTo = (t: number, step: number) => Math.floor(t / step) * step;

export interface RollupStatus {
  /** Windows before this instant are in the rollup (epoch ms); undefined before the first run. */
  rolled5mUntil?: number;
  rolled1hUntil?: number;
}

export class RollupJob {
  readonly #transport: ClickHouseTransport;
  readonly #logger: Logger;
  readonly #retention: RetentionConfig;
  readonly #now: () => number;
  #running: Promise<void> | undefined;
  #status: RollupStatus = {};
  /** This process marked windows since the last run started: a read through a rollup runs the job first. */
  #markedSinceRun = false;

  constructor(transport: ClickHouseTransport, logger: Logger, retention: RetentionConfig, now: () => number) {
    this.#transport = transport;
    this.#logger = logger;
    this.#retention = retention;
    this.#now = now;
  }

  get status(): RollupStatus {
    return { ...this.#status };
  }

  /** Samples at or before this instant may belong to a window that is already rolled. */
  lateBefore(): number {
    return floorTo(this.#now() - DIRTY_AFTER_MS, FIVE_MIN);
  }

  /** Records windows (epoch ms, 5-minute aligned) that got samples after they may have been rolled. */
  async markDirty(windows: Iterable<number>): Promise<void> {
    const version = this.#now() * 2;
    const rows = [...windows].map((w) => ({ win: Math.trunc(w / 1000), version, pending: 1 }));
    if (!rows.length) return;
    await this.#transport.insertRows(TABLES.rollupDirty, rows);
    this.#markedSinceRun = true;
  }

  /** True when a read through a rollup would miss windows this process knows are ready or dirty. */
  isBehind(): boolean {
    const closed = floorTo(this.#now() - GRACE_MS, FIVE_MIN);
    return this.#markedSinceRun || this.#status.rolled5mUntil === undefined || this.#status.rolled5mUntil < closed;
  }

  /** One run at a time per process; a call during a run waits for it. */
  run(): Promise<void> {
    this.#running ??= this.#runOnce().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  /** Reads the progress table only (cheap): what a rollup read may rely on. */
  async refreshStatus(): Promise<RollupStatus> {
    const { sql, params } = rollupProgressSql();
    for (const r of await this.#transport.queryRows<{ resolution: string; until_ms: number | string }>(sql, params)) {
      const until = parseCount(r.until_ms);
      if (r.resolution === '5m') this.#status.rolled5mUntil = Math.max(until, this.#status.rolled5mUntil ?? 0);
      if (r.resolution === '1h') this.#status.rolled1hUntil = Math.max(until, this.#status.rolled1hUntil ?? 0);
    }
    return this.status;
  }

  async #runOnce(): Promise<void> {
    this.#markedSinceRun = false;
    const now = this.#now();
    const rawHorizon = now - this.#retention.samplesMs;
    const closed5m = floorTo(now - GRACE_MS, FIVE_MIN);
    await this.refreshStatus();
    // Windows rolled by this run read the raw table after their marks' samples were stored, so
    // only windows rolled before it need rolling again.
    const before5m = this.#status.rolled5mUntil ?? 0;
    const before1h = this.#status.rolled1hUntil ?? 0;

    // 1. New closed 5-minute windows, a day at a time.
    let from = Math.max(this.#status.rolled5mUntil ?? 0, floorTo(rawHorizon, FIVE_MIN) + FIVE_MIN);
    const started = from;
    while (from < closed5m) {
      const to = Math.min(closed5m, floorTo(from, DAY) + DAY);
      await this.#exec(rollUp5mSql({ startMs: from, endMs: to, rolledAtMs: this.#now() }));
      await this.#setProgress('5m', to);
      from = to;
    }
    if (from > started) this.#logger.debug({ fromMs: started, toMs: from }, 'rolled up 5-minute windows');

    // 2. Windows that got late samples, grouped by day so each statement prunes to one partition.
    const { sql, params } = pendingDirtySql({ sinceMs: rawHorizon });
    const dirty = (await this.#transport.queryRows<{ win_ms: number | string; version: number | string }>(sql, params)).map((r) => ({
      win: parseCount(r.win_ms),
      version: parseCount(r.version),
    }));
    const dirtyWindows = [...new Set(dirty.map((d) => d.win))].filter((w) => w < before5m);
    for (const [day, windows] of groupBy(dirtyWindows, (w) => floorTo(w, DAY))) {
      await this.#exec(rollUp5mSql({ startMs: day, endMs: day + DAY, rolledAtMs: this.#now(), windows }));
    }

    // 3. 1-hour rollups from the 5-minute ones: new closed hours, then hours holding dirty windows.
    const closed1h = floorTo(this.#status.rolled5mUntil ?? 0, HOUR);
    let fromH = Math.max(this.#status.rolled1hUntil ?? 0, floorTo(rawHorizon, HOUR) + HOUR);
    while (fromH < closed1h) {
      const to = Math.min(closed1h, floorTo(fromH, DAY) + 7 * DAY);
      await this.#exec(rollUp1hSql({ startMs: fromH, endMs: to, rolledAtMs: this.#now() }));
      await this.#setProgress('1h', to);
      fromH = to;
    }
    const dirtyHours = [...new Set(dirtyWindows.map((w) => floorTo(w, HOUR)))].filter((h) => h < before1h);
    for (const [day, hours] of groupBy(dirtyHours, (h) => floorTo(h, DAY))) {
      await this.#exec(rollUp1hSql({ startMs: day, endMs: day + DAY, rolledAtMs: this.#now(), hours }));
    }

    // 4. Clear exactly the marks read: version + 1 outranks them, and loses to any newer mark.
    if (dirty.length) {
      await this.#transport.insertRows(
        TABLES.rollupDirty,
        dirty.map((d) => ({ win: Math.trunc(d.win / 1000), version: d.version + 1, pending: 0 })),
      );
      this.#logger.debug({ windows: dirtyWindows.length }, 'rolled up windows again after late samples');
    }
  }

  async #exec(q: { sql: string; params: Record<string, unknown> }): Promise<void> {
    await this.#transport.command(q.sql, q.params as never);
  }

  async #setProgress(resolution: '5m' | '1h', untilMs: number): Promise<void> {
    await this.#transport.insertRows(TABLES.rollupProgress, [{ resolution, rolled_until: dateTime64Text(untilMs) }]);
    if (resolution === '5m') this.#status.rolled5mUntil = Math.max(untilMs, this.#status.rolled5mUntil ?? 0);
    else this.#status.rolled1hUntil = Math.max(untilMs, this.#status.rolled1hUntil ?? 0);
  }
}

function groupBy<T>(items: readonly T[], key: (item: T) => number): Map<number, T[]> {
  const out = new Map<number, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = out.get(k);
    if (list) list.push(item);
    else out.set(k, [item]);
  }
  return out;
}
