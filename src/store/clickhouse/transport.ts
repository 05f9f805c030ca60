/**
 * What the ClickHouse telemetry store needs from an engine. Two implementations: chDB in-process
 * (src/store/chdb/) and a ClickHouse server over HTTP (src/store/clickhouse-server/). The SQL is
 * the same text on both; values always travel as `{name:Type}` parameters bound by the engine,
 * never concatenated into the statement.
 */
import type { TelemetryEngine } from '../telemetry-store.js';

/** A value for a `{name:Type}` placeholder. 64-bit integers go as bigint or decimal strings. */
export type QueryParamValue = string | number | bigint | boolean | readonly string[] | readonly number[] | readonly bigint[];

export type QueryParams = Record<string, QueryParamValue>;

/** The raw body format both engines take for the hot path (samples): tab-separated text. */
export type InsertFormat = 'TSV';

/**
 * Settings both transports apply to every statement so results read the same on both engines:
 * NaN/Inf come back as "nan"/"inf" strings instead of null, and numbers stay numbers.
 */
export const SESSION_SETTINGS = {
  output_format_json_quote_denormals: 1,
  output_format_json_quote_64bit_integers: 0,
  date_time_output_format: 'simple',
} as const;

export interface ClickHouseTransport {
  readonly engine: TelemetryEngine;
  /** DDL and statements without a result. */
  command(sql: string, params?: QueryParams): Promise<void>;
  /** Runs a SELECT and returns its rows (JSONEachRow). */
  queryRows<T>(sql: string, params?: QueryParams): Promise<T[]>;
  /**
   * Runs a SELECT and returns its result as RowBinary bytes: fixed-width numbers straight from
   * the columns, no text to format or parse (the hot read path, samples).
   */
  queryRowBinary(sql: string, params?: QueryParams): Promise<Uint8Array>;
  /** Inserts a line-delimited body (each line one row) into a table. */
  insertRaw(table: string, body: string, format: InsertFormat, columns?: readonly string[]): Promise<void>;
  /** Inserts rows as JSONEachRow; keys are column names. */
  insertRows(table: string, rows: readonly object[]): Promise<void>;
  /** Refuses new work, waits for in-flight work to finish, then releases the engine. Idempotent. */
  close(): Promise<void>;
}
