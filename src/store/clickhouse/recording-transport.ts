/**
 * A ClickHouseTransport for unit tests: records every statement and answers queries from a
 * caller-supplied function. Lives beside the code it serves; never used in production.
 */
import type { TelemetryEngine } from '../telemetry-store.js';
import { jsonEachRow } from './encode.js';
import type { ClickHouseTransport, InsertFormat, NativeColumn, QueryParams } from './transport.js';

export interface RecordedCall {
  kind: 'command' | 'query' | 'insert';
  sql: string;
  params?: QueryParams;
  table?: string;
  body?: string;
  /** The block of a Native insert (a copy). */
  bytes?: Uint8Array;
  format?: InsertFormat | 'JSONEachRow' | 'Native';
  columns?: readonly string[];
}

export class RecordingTransport implements ClickHouseTransport {
  readonly calls: RecordedCall[] = [];
  closed = false;

  constructor(
    readonly engine: TelemetryEngine = 'chdb',
    private readonly answer: (sql: string, params?: QueryParams) => unknown[] | Promise<unknown[]> = () => [],
    /** Delay for inserts, to hold writes in flight. */
    private readonly insertDelayMs = 0,
    /** Answers RowBinary queries; empty by default. */
    private readonly answerBinary: (sql: string, params?: QueryParams) => Uint8Array = () => new Uint8Array(0),
  ) {}

  async command(sql: string, params?: QueryParams): Promise<void> {
    this.calls.push({ kind: 'command', sql, params });
  }

  async queryRows<T>(sql: string, params?: QueryParams): Promise<T[]> {
    this.calls.push({ kind: 'query', sql, params });
    return (await this.answer(sql, params)) as T[];
  }

  async queryRowBinary(sql: string, params?: QueryParams): Promise<Uint8Array> {
    this.calls.push({ kind: 'query', sql, params });
    return this.answerBinary(sql, params);
  }

  async insertRaw(table: string, body: string, format: InsertFormat | 'JSONEachRow', columns?: readonly string[]): Promise<void> {
    if (this.closed) throw new Error('insert after close');
    if (this.insertDelayMs) await new Promise((r) => setTimeout(r, this.insertDelayMs));
    if (this.closed) throw new Error('transport closed while an insert was in flight');
    this.calls.push({ kind: 'insert', sql: `INSERT INTO ${table} FORMAT ${format}`, table, body, format, columns });
  }

  async insertNative(table: string, columns: readonly NativeColumn[], block: Uint8Array): Promise<void> {
    if (this.closed) throw new Error('insert after close');
    const bytes = block.slice();
    if (this.insertDelayMs) await new Promise((r) => setTimeout(r, this.insertDelayMs));
    if (this.closed) throw new Error('transport closed while an insert was in flight');
    const names = columns.map((c) => c.name);
    this.calls.push({ kind: 'insert', sql: `INSERT INTO ${table} (${names.join(', ')}) FORMAT Native`, table, bytes, format: 'Native', columns: names });
  }

  async insertRows(table: string, rows: readonly object[]): Promise<void> {
    await this.insertRaw(table, jsonEachRow(rows), 'JSONEachRow');
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  inserts(table: string): RecordedCall[] {
    return this.calls.filter((c) => c.kind === 'insert' && c.table === table);
  }
}
