import { parseDurationMs } from '../../../core/duration.js';

/** One row of SHOW FULL PROCESSLIST, with the columns MySQL and MariaDB both have, as text. */
export interface ProcesslistRow {
  Id: string;
  User: string;
  Host: string;
  db: string;
  Command: string;
  Time: string;
  State: string;
  Info: string;
}

export const PROCESSLIST_COLUMNS = ['Id', 'User', 'Host', 'db', 'Command', 'Time', 'State', 'Info'] as const;

/** A SHOW FULL PROCESSLIST row (objects keyed by column) as text fields; NULL becomes "". */
export function toProcesslistRow(raw: Record<string, unknown>): ProcesslistRow {
  const text = (v: unknown) => (v === null || v === undefined ? '' : Buffer.isBuffer(v) ? v.toString('utf8') : String(v));
  return {
    Id: text(raw.Id),
    User: text(raw.User),
    Host: text(raw.Host),
    db: text(raw.db),
    Command: text(raw.Command),
    Time: text(raw.Time),
    State: text(raw.State),
    Info: text(raw.Info),
  };
}

/**
 * Without memory of the previous run, a run takes a snapshot when an `every` boundary fell
 * within the last interval: a check every 60s with `every: 5m` snapshots once per 5 minutes.
 * (The processlist recorder in src/checks/processlist remembers the last snapshot per check
 * and decides exactly; this rule serves runners that do not.)
 */
export function processlistDueByClock(nowMs: number, interval: string, every: string): boolean {
  const intervalMs = parseDurationMs(interval) ?? 60_000;
  const everyMs = parseDurationMs(every) ?? 300_000;
  if (everyMs <= intervalMs) return true;
  return Math.floor(nowMs / everyMs) !== Math.floor((nowMs - intervalMs) / everyMs);
}
