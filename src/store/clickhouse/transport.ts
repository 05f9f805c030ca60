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

/** The text body format of `insertRaw` (sample rows from appendSamples): tab-separated text. */
export type InsertFormat = 'TSV';

/** A column of a Native-format block: its name and ClickHouse type, e.g. `{ name: 'v', type: 'Float64' }`. */
export interface NativeColumn {
  name: string;
  type: string;
}

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
  /**
   * Inserts one block in ClickHouse's Native format (native-block.ts) into `columns` of a table;
   * the block's header names the same columns with the same types. The columnar hot path
   * (samples from appendSeriesColumns): the bytes are the engine's own column layout, nothing
   * to format or parse as text. The caller must not change `block` until this settles.
   */
  insertNative(table: string, columns: readonly NativeColumn[], block: Uint8Array): Promise<void>;
  /** Inserts rows as JSONEachRow; keys are column names. */
  insertRows(table: string, rows: readonly object[]): Promise<void>;
  /** Refuses new work, waits for in-flight work to finish, then releases the engine. Idempotent. */
  close(): Promise<void>;
}
