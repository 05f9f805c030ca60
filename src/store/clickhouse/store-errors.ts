import { KansokuError, StoreError } from '../../lib/errors.js';
import type { TelemetryEngine } from '../telemetry-store.js';

/** What a user can do about the ClickHouse error codes Kansoku is likely to meet. */
const HINTS: Record<string, string> = {
  UNKNOWN_TABLE: 'the telemetry tables are missing: let Kansoku run its migrations (the server does at start), or check the database named in the ClickHouse URL',
  UNKNOWN_DATABASE: 'the database does not exist: check the database named in the ClickHouse URL',
  AUTHENTICATION_FAILED: 'check the user and password in the ClickHouse URL',
  UNKNOWN_USER: 'check the user and password in the ClickHouse URL',
  REQUIRED_PASSWORD: 'check the user and password in the ClickHouse URL',
  ACCESS_DENIED: 'grant the ClickHouse user SELECT, INSERT, CREATE TABLE and ALTER on the Kansoku database',
  CANNOT_COMPILE_REGEXP: 'a regular expression in a label matcher is not valid RE2 (no look-around, no back-references)',
  TOO_MANY_PARTS: 'inserts arrive in too many small batches: batch samples before appending them',
  MEMORY_LIMIT_EXCEEDED: 'the query needs more memory than allowed: narrow the time range or the label matchers',
  TIMEOUT_EXCEEDED: 'the query ran too long: narrow the time range or the label matchers',
  NOT_ENOUGH_SPACE: 'the disk holding the telemetry data is full: free space or shorten retention',
  TOO_MANY_PARTITIONS: 'one batch spans too many days: send older data in smaller, day-sized batches',
  SYNTAX_ERROR: 'this is a bug in Kansoku: report it with the statement from the log',
  UNKNOWN_IDENTIFIER: 'the telemetry schema is older than this Kansoku: restart the server so migrations run',
  NO_SUCH_COLUMN_IN_TABLE: 'the telemetry schema is older than this Kansoku: restart the server so migrations run',
};

/** Numeric codes for engines that report only the number (chDB). */
const CODE_NAMES: Record<number, string> = {
  60: 'UNKNOWN_TABLE',
  81: 'UNKNOWN_DATABASE',
  516: 'AUTHENTICATION_FAILED',
  192: 'UNKNOWN_USER',
  194: 'REQUIRED_PASSWORD',
  497: 'ACCESS_DENIED',
  427: 'CANNOT_COMPILE_REGEXP',
  252: 'TOO_MANY_PARTS',
  241: 'MEMORY_LIMIT_EXCEEDED',
  159: 'TIMEOUT_EXCEEDED',
  243: 'NOT_ENOUGH_SPACE',
  62: 'SYNTAX_ERROR',
  47: 'UNKNOWN_IDENTIFIER',
  16: 'NO_SUCH_COLUMN_IN_TABLE',
};

export interface EngineErrorContext {
  engine: TelemetryEngine;
  /** The statement (without values: those are bound parameters) kept for the log. */
  sql: string;
}

/** The ClickHouse error name, from a "(NAME)" suffix, a `type` field or a numeric code. */
export function clickHouseErrorName(err: unknown): string | undefined {
  if (!(err instanceof Error)) return undefined;
  const e = err as Error & { type?: unknown; clickhouseCode?: unknown; code?: unknown };
  if (typeof e.type === 'string' && e.type) return e.type;
  const suffix = /\(([A-Z][A-Z_]+)\)\s*$/.exec(firstLine(e.message));
  if (suffix) return suffix[1];
  const numeric = typeof e.clickhouseCode === 'number' ? e.clickhouseCode : typeof e.code === 'string' && /^\d+$/.test(e.code) ? Number(e.code) : undefined;
  return numeric !== undefined ? CODE_NAMES[numeric] : undefined;
}

function firstLine(text: string): string {
  const line = text.split('\n', 1)[0] ?? '';
  return line.length > 400 ? `${line.slice(0, 400)}…` : line;
}

/** Wraps an engine error in a StoreError whose message says what to do; the SQL stays for the log. */
export function toStoreError(err: unknown, ctx: EngineErrorContext): KansokuError {
  if (err instanceof KansokuError) return err;
  const name = clickHouseErrorName(err);
  const detail = err instanceof Error ? firstLine(err.message) : String(err);
  const hint = (name && HINTS[name]) ?? 'see the server log for the statement that failed';
  const engine = ctx.engine === 'chdb' ? 'chDB (embedded ClickHouse)' : 'ClickHouse';
  return new StoreError('KSK_STORE_QUERY_FAILED', `telemetry store on ${engine} failed: ${detail} — ${hint}`, ctx.sql, { cause: err });
}

export function storeClosedError(engine: TelemetryEngine): StoreError {
  return new StoreError('KSK_STORE_CLOSED', `the telemetry store (${engine}) is closed; this is a shutdown-ordering bug: stop writers before closing the store`);
}
