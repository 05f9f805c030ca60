/**
 * Where MySQL / MariaDB processlist snapshots go: one log event per row in the telemetry
 * store, stream `processlist/<check>`, so `searchLogs` finds them by time and text ("which
 * query was running at 03:12 when the shop hung?"). The mysql check type only returns the
 * rows (result.evidence.processlist); the recorder's runner decides when a snapshot is due,
 * writes the rows, and leaves a small summary in the stored check result in their place.
 *
 * Retention: events live as long as the log store's TTL (RetentionConfig.logEventsMs, 30 days
 * by default). The spec's `processlist.retention` (default 7 days) bounds what
 * searchProcesslist returns; the store cannot drop one stream earlier than the others.
 */
import type { CheckResult } from '../../core/check-result.js';
import { parseDurationMs } from '../../core/duration.js';
import type { Logger } from '../../lib/logger.js';
import { runMysqlCheck, type MysqlCheckSpec, type ProcesslistRow, type ProcesslistSnapshot } from '../../sources/checks/db/index.js';
import type { LogEventRow, TelemetryStore } from '../../store/telemetry-store.js';
import type { CheckRunner } from '../check-runner.js';

export const PROCESSLIST_STREAM_PREFIX = 'processlist/';

export function processlistStream(check: string): string {
  return `${PROCESSLIST_STREAM_PREFIX}${check}`;
}

/** One log event per processlist row; the message is the row as `key=value` text for text search. */
export function processlistEvents(check: string, host: string, snapshot: ProcesslistSnapshot): LogEventRow[] {
  return snapshot.rows.map((row) => ({
    time: snapshot.takenAt,
    stream: processlistStream(check),
    host,
    message: `Id=${row.Id} User=${row.User} Host=${row.Host} db=${row.db} Command=${row.Command} Time=${row.Time} State=${row.State} Info=${row.Info}`,
    fields: { ...row },
    id: `${check}/${snapshot.takenAt}/${row.Id}`,
  }));
}

/** A processlist row read back from the log store. */
export interface ProcesslistEntry extends ProcesslistRow {
  /** When the snapshot was taken, epoch ms. */
  takenAt: number;
  /** The database server the row came from. */
  server: string;
}

export interface ProcesslistSearch {
  check: string;
  startMs: number;
  endMs: number;
  /** Case-insensitive text anywhere in the row (the query, the user, the state). */
  text?: string;
  /** The check's processlist.retention; older snapshots are not returned. Default 7d. */
  retention?: string;
  limit?: number;
  now?: number;
}

/** Snapshot rows of one check in a time range, newest first. */
export async function searchProcesslist(telemetry: Pick<TelemetryStore, 'searchLogs'>, q: ProcesslistSearch): Promise<ProcesslistEntry[]> {
  const retentionMs = parseDurationMs(q.retention ?? '7d') ?? 7 * 86_400_000;
  const startMs = Math.max(q.startMs, (q.now ?? Date.now()) - retentionMs);
  if (startMs > q.endMs) return [];
  const rows = await telemetry.searchLogs({
    stream: processlistStream(q.check),
    startMs,
    endMs: q.endMs,
    ...(q.text !== undefined ? { text: q.text } : {}),
    ...(q.limit !== undefined ? { limit: q.limit } : {}),
  });
  return rows.map((r) => ({
    Id: r.fields.Id ?? '',
    User: r.fields.User ?? '',
    Host: r.fields.Host ?? '',
    db: r.fields.db ?? '',
    Command: r.fields.Command ?? '',
    Time: r.fields.Time ?? '',
    State: r.fields.State ?? '',
    Info: r.fields.Info ?? '',
    takenAt: r.time,
    server: r.host,
  }));
}

/** Remembers each check's last snapshot and stores the rows of new ones. */
export class ProcesslistRecorder {
  readonly #last = new Map<string, number>();
  readonly #pending = new Set<Promise<void>>();

  constructor(
    private readonly telemetry: Pick<TelemetryStore, 'appendLogEvents'>,
    private readonly logger?: Logger,
  ) {}

  /**
   * A snapshot is due on a check's first run and once `every` has passed since the last one,
   * less half an interval, so that spread jitter does not push it to the run after.
   */
  due(check: string, spec: MysqlCheckSpec, now: number): boolean {
    if (!spec.processlist) return false;
    const last = this.#last.get(check);
    if (last === undefined) return true;
    const everyMs = parseDurationMs(spec.processlist.every) ?? 300_000;
    const intervalMs = parseDurationMs(spec.interval) ?? 60_000;
    return now - last >= everyMs - intervalMs / 2;
  }

  /**
   * Moves a result's snapshot rows into the log store (in the background: the check's
   * result is not held up by the write) and returns the result with a summary in their place.
   */
  record(check: string, host: string, result: CheckResult): CheckResult {
    const snapshot = result.evidence?.processlist as ProcesslistSnapshot | undefined;
    if (!snapshot || !Array.isArray(snapshot.rows)) return result;
    this.#last.set(check, snapshot.takenAt);
    const events = processlistEvents(check, host, snapshot);
    const write = this.telemetry
      .appendLogEvents(events)
      .catch((err: unknown) => this.logger?.error({ err, check, rows: events.length }, 'could not store the processlist snapshot'))
      .then(() => undefined);
    const tracked = write.finally(() => this.#pending.delete(tracked));
    this.#pending.add(tracked);
    return {
      ...result,
      evidence: { ...result.evidence, processlist: { stream: processlistStream(check), takenAt: snapshot.takenAt, rows: snapshot.rows.length } },
    };
  }

  /** Resolves when every snapshot handed to record() so far has been written (or failed). */
  async flush(): Promise<void> {
    while (this.#pending.size) await Promise.allSettled([...this.#pending]);
  }

  /** The runner for `type: mysql` that snapshots when due; replaces runnerFor(mysqlCheck). */
  runner(): CheckRunner {
    return {
      type: 'mysql',
      run: async (name, spec, cx) => {
        const s = spec as unknown as MysqlCheckSpec;
        const now = (cx.now ?? Date.now)();
        const result = await runMysqlCheck(s, cx, { snapshotProcesslist: this.due(name, s, now) });
        return this.record(name, s.host, result);
      },
      targetHost: (spec) => (spec as unknown as MysqlCheckSpec).host,
    };
  }
}

