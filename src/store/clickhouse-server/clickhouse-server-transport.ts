/**
 * ClickHouse transport on a ClickHouse server (or cluster endpoint) over HTTP, with the official
 * @clickhouse/client. Same SQL, same `{name:Type}` binding as chDB.
 */
import { Readable } from 'node:stream';
import { ClickHouseLogLevel, createClient, type ClickHouseClient } from '@clickhouse/client';
import { ConfigError, UnavailableError } from '../../lib/errors.js';
import type { Logger } from '../../lib/logger.js';
import { SESSION_SETTINGS, type ClickHouseTransport, type InsertFormat, type NativeColumn, type QueryParams } from '../clickhouse/transport.js';
import { storeClosedError, toStoreError } from '../clickhouse/store-errors.js';

export interface ClickHouseServerTransportOptions {
  /** http[s]://user:password@host:8123/database — the database is created when missing. */
  url: string;
  logger?: Logger;
  /** Per-request timeout; default 60 s. */
  requestTimeoutMs?: number;
}

const DATABASE_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE']);

/** Parses and checks the URL; the password never appears in messages. */
export function parseClickHouseUrl(text: string): { url: URL; database: string; display: string } {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConfigError('KSK_STORE_CLICKHOUSE_URL_INVALID', 'the ClickHouse URL is not a URL: expected http[s]://user:password@host:8123/database');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError('KSK_STORE_CLICKHOUSE_URL_INVALID', `the ClickHouse URL must use http or https (the HTTP interface, port 8123 or 8443), not ${url.protocol}`);
  }
  const database = decodeURIComponent(url.pathname.replace(/^\/+|\/+$/g, '')) || 'default';
  if (!DATABASE_RE.test(database)) {
    throw new ConfigError('KSK_STORE_CLICKHOUSE_URL_INVALID', `the database "${database}" in the ClickHouse URL must be letters, digits and "_", starting with a letter or "_"`);
  }
  return { url, database, display: `${url.protocol}//${url.host}/${database}` };
}

/** The socket-level code of a failure to talk to the server at all, if that is what it is. */
function networkFailure(err: unknown): string | undefined {
  const e = err as { code?: unknown; message?: unknown; cause?: { code?: unknown } } | undefined;
  for (const code of [e?.code, e?.cause?.code]) if (typeof code === 'string' && NETWORK_CODES.has(code)) return code;
  // The client reports its request_timeout as a plain "Timeout error."
  if (typeof e?.message === 'string' && /^Timeout error/.test(e.message)) return 'timeout';
  return undefined;
}

export class ClickHouseServerTransport implements ClickHouseTransport {
  readonly engine = 'clickhouse' as const;
  readonly #inflight = new Set<Promise<unknown>>();
  #closed: Promise<void> | undefined;

  private constructor(
    private readonly client: ClickHouseClient,
    readonly display: string,
  ) {}

  static async open(options: ClickHouseServerTransportOptions): Promise<ClickHouseServerTransport> {
    const { url, database, display } = parseClickHouseUrl(options.url);
    const base = {
      request_timeout: options.requestTimeoutMs ?? 60_000,
      clickhouse_settings: { ...SESSION_SETTINGS },
      application: 'kansoku',
      // Failures reach our logger as StoreError / UnavailableError; the client's own console
      // logging would print them a second time, unformatted.
      log: { level: ClickHouseLogLevel.OFF },
    };
    // The database in the URL may not exist yet; a client bound to it could not even connect.
    const serverUrl = new URL(url);
    serverUrl.pathname = '/';
    const admin = createClient({ ...base, url: serverUrl.toString() });
    const exists = 'SELECT name FROM system.databases WHERE name = {database:String}';
    try {
      // Look first: a user allowed to use the database may not be allowed to create one.
      const found = await (await admin.query({ query: exists, format: 'JSONEachRow', query_params: { database } })).json();
      if (!found.length) {
        await admin.command({ query: `CREATE DATABASE IF NOT EXISTS \`${database}\`` });
        options.logger?.info({ url: display }, 'created the ClickHouse database for telemetry');
      }
    } catch (err) {
      throw wrap(err, exists, display);
    } finally {
      await admin.close();
    }
    const target = new URL(url);
    target.pathname = `/${database}`;
    const client = createClient({ ...base, url: target.toString() });
    options.logger?.info({ url: display }, 'ClickHouse telemetry store connected');
    return new ClickHouseServerTransport(client, display);
  }

  /**
   * Over a client the caller built, e.g. one with a custom `connection`. The client must apply
   * SESSION_SETTINGS and point at an existing database; close() closes it.
   */
  static fromClient(client: ClickHouseClient, display: string): ClickHouseServerTransport {
    return new ClickHouseServerTransport(client, display);
  }

  #run<T>(sql: string, work: () => Promise<T>): Promise<T> {
    if (this.#closed) return Promise.reject(storeClosedError(this.engine));
    const p = work().catch((err: unknown) => {
      throw wrap(err, sql, this.display);
    });
    this.#inflight.add(p);
    const forget = () => this.#inflight.delete(p);
    p.then(forget, forget);
    return p;
  }

  command(sql: string, params?: QueryParams): Promise<void> {
    return this.#run(sql, async () => {
      await this.client.command({ query: sql, ...(params ? { query_params: params } : {}) });
    });
  }

  queryRows<T>(sql: string, params?: QueryParams): Promise<T[]> {
    return this.#run(sql, async () => {
      const rs = await this.client.query({ query: sql, format: 'JSONEachRow', ...(params ? { query_params: params } : {}) });
      return rs.json<T>();
    });
  }

  queryRowBinary(sql: string, params?: QueryParams): Promise<Uint8Array> {
    return this.#run(sql, async () => {
      // query() only takes the client's known formats; exec() streams any format's raw bytes.
      const { stream } = await this.client.exec({ query: `${sql}\nFORMAT RowBinary`, ...(params ? { query_params: params } : {}) });
      const chunks: Buffer[] = [];
      for await (const chunk of stream) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks);
    });
  }

  insertRaw(table: string, body: string, format: InsertFormat, columns?: readonly string[]): Promise<void> {
    const sql = `INSERT INTO ${table}${columns ? ` (${columns.join(', ')})` : ''} FORMAT ${format}`;
    return this.#run(sql, async () => {
      if (!body) return;
      await this.client.insert({
        table,
        // A byte stream: the client refuses object-mode streams for raw formats.
        values: Readable.from([Buffer.from(body, 'utf8')], { objectMode: false }),
        format: 'TabSeparated',
        ...(columns && columns.length ? { columns: [...columns] as [string, ...string[]] } : {}),
      });
    });
  }

  insertNative(table: string, columns: readonly NativeColumn[], block: Uint8Array): Promise<void> {
    const sql = `INSERT INTO ${table} (${columns.map((c) => c.name).join(', ')}) FORMAT Native`;
    return this.#run(sql, async () => {
      if (!block.length) return;
      // insert() only takes the client's known formats (Native is not one); exec() with values
      // sends the statement as the `query` URL parameter and the block as the request body.
      const { stream } = await this.client.exec({
        query: sql,
        values: Readable.from([Buffer.from(block.buffer, block.byteOffset, block.byteLength)], { objectMode: false }),
      });
      // The socket is released once the (empty) response is read.
      for await (const chunk of stream) void chunk;
    });
  }

  insertRows(table: string, rows: readonly object[]): Promise<void> {
    return this.#run(`INSERT INTO ${table} FORMAT JSONEachRow`, async () => {
      if (!rows.length) return;
      await this.client.insert({ table, values: [...rows], format: 'JSONEachRow' });
    });
  }

  close(): Promise<void> {
    this.#closed ??= (async () => {
      while (this.#inflight.size) await Promise.allSettled([...this.#inflight]);
      await this.client.close();
    })();
    return this.#closed;
  }
}

function wrap(err: unknown, sql: string, display: string): Error {
  const network = networkFailure(err);
  if (network) {
    return new UnavailableError(
      'KSK_STORE_CLICKHOUSE_UNREACHABLE',
      `cannot reach ClickHouse at ${display} (${network}): start it, or fix the host and port in the ClickHouse URL`,
      { cause: err },
    );
  }
  return toStoreError(err, { engine: 'clickhouse', sql });
}
