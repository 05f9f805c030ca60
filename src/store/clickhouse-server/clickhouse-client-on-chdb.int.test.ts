/**
 * The server transport's use of @clickhouse/client — parameter formatting, raw TSV / JSONEachRow
 * inserts, settings, result parsing, error mapping — checked against a real ClickHouse engine
 * without a server: chDB's `chdb/connection` plugs the engine into the same client in place of
 * HTTP. Only the HTTP hop and database creation stay untested here; the KANSOKU_CLICKHOUSE_URL
 * suite covers those against a real server.
 *
 * Native inserts are the exception: chdb/connection passes a request body to the engine as
 * UTF-8 text, which a binary block does not survive. Here they go the way ChdbTransport sends
 * them (a file read by `INSERT … SELECT … FROM file()`, through this transport's command());
 * the HTTP request itself is checked in clickhouse-server-transport.test.ts.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createClient } from '@clickhouse/client';
import { createChdbConnection } from 'chdb/connection';
import { afterAll, describe, expect, it } from 'vitest';
import { StoreError } from '../../lib/errors.js';
import { silentLogger } from '../../lib/logger.js';
import { createTelemetryStore } from '../clickhouse/clickhouse-telemetry-store.js';
import { SESSION_SETTINGS, type ClickHouseTransport } from '../clickhouse/transport.js';
import { runTelemetryStoreContract } from '../contract/telemetry-store.contract.js';
import { ClickHouseServerTransport } from './clickhouse-server-transport.js';

const root = await mkdtemp(path.join(tmpdir(), 'kansoku-chclient-'));
const dataDir = path.join(root, 'telemetry');

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

function transport(): ClickHouseServerTransport {
  // chdb bundles its own copy of the client-common types; the runtime interface is the same.
  const connection = createChdbConnection({ path: dataDir }) as unknown as NonNullable<Parameters<typeof createClient>[0]>['connection'];
  const client = createClient({ connection, clickhouse_settings: { ...SESSION_SETTINGS } });
  return ClickHouseServerTransport.fromClient(client, `chdb:${dataDir}`);
}

let blocks = 0;

/** The transport, with Native blocks inserted from a file (see the file comment). */
function withNativeViaFile(t: ClickHouseServerTransport): ClickHouseTransport {
  return {
    engine: t.engine,
    command: (sql, params) => t.command(sql, params),
    queryRows: (sql, params) => t.queryRows(sql, params),
    queryRowBinary: (sql, params) => t.queryRowBinary(sql, params),
    insertRaw: (table, body, format, columns) => t.insertRaw(table, body, format, columns),
    insertRows: (table, rows) => t.insertRows(table, rows),
    close: () => t.close(),
    insertNative: async (table, columns, block) => {
      const dir = path.join(root, 'blocks');
      await mkdir(dir, { recursive: true });
      const file = path.join(dir, `${++blocks}.native`);
      await writeFile(file, block);
      const names = columns.map((c) => c.name).join(', ');
      const structure = columns.map((c) => `${c.name} ${c.type}`).join(', ');
      try {
        await t.command(`INSERT INTO ${table} (${names}) SELECT ${names} FROM file({file:String}, 'Native', {structure:String})`, { file, structure });
      } finally {
        await rm(file, { force: true });
      }
    },
  };
}

runTelemetryStoreContract('@clickhouse/client on chDB', async (options) => {
  const t = transport();
  try {
    return createTelemetryStore(withNativeViaFile(t), { logger: silentLogger(), retention: options?.retention });
  } catch (err) {
    await t.close();
    throw err;
  }
});

describe('server transport error mapping on a real engine', () => {
  it('wraps a ClickHouseError in StoreError with the statement and a hint', async () => {
    const t = transport();
    try {
      const err = await t.queryRows('SELECT * FROM no_such_table').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StoreError);
      expect((err as StoreError).statement).toBe('SELECT * FROM no_such_table');
      expect((err as Error).message).toMatch(/migrations/);
    } finally {
      await t.close();
    }
  });
});
