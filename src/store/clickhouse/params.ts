import type { QueryParamValue, QueryParams } from './transport.js';

/** ClickHouse types the store binds values as; a closed list so a typo fails to compile. */
export type ParamType =
  | 'String'
  | 'Int64'
  | 'UInt32'
  | 'UInt64'
  | 'Float64'
  | 'Array(String)'
  | 'Array(UInt64)'
  | 'Array(UInt32)';

/**
 * Collects values for one statement and hands out `{pN:Type}` placeholders, so builders never
 * put a value into SQL text: ClickHouse binds them server-side on both engines.
 */
export class SqlParams {
  readonly values: QueryParams = {};
  #next = 0;

  bind(value: QueryParamValue, type: ParamType): string {
    const name = `p${this.#next++}`;
    this.values[name] = value;
    return `{${name}:${type}}`;
  }

  /** An epoch-millisecond instant as a DateTime64(3, 'UTC') expression. */
  bindTime(ms: number): string {
    return `fromUnixTimestamp64Milli(${this.bind(Math.trunc(ms), 'Int64')}, 'UTC')`;
  }
}

/** A statement and the values its placeholders refer to. */
export interface BoundSql {
  sql: string;
  params: QueryParams;
}
