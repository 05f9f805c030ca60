import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import { ConfigError, UnavailableError } from '../../lib/errors.js';
import { KyselyStateStore } from './kysely-state-store.js';
import type { StateDatabase } from './schema.js';

/**
 * Chooses the state engine once: a postgres:// URL gives PostgreSQL, anything else is the
 * embedded SQLite file `<dataDir>/state.db`. Migrations run before the store is returned.
 */
export async function openStateStore(opts: { dataDir: string; url?: string }): Promise<KyselyStateStore> {
  const url = opts.url;
  if (url && /^postgres(ql)?:\/\//.test(url)) return openPostgres(url);
  if (url && !/^sqlite:/.test(url)) {
    throw new ConfigError('KSK_CONFIG_STATE_URL', `--state must be a postgres://… URL or sqlite:PATH, got "${redactUrl(url)}"`);
  }
  const file = url ? url.replace(/^sqlite:(\/\/)?/, '') : path.join(opts.dataDir, 'state.db');
  return openSqlite(file);
}

export async function openSqlite(file: string): Promise<KyselyStateStore> {
  const { default: Database } = await import('better-sqlite3');
  if (file !== ':memory:') mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const database = new Database(file);
  // WAL keeps readers off the writer's back; synchronous=FULL because every accepted change
  // must survive a crash or power loss, and state writes are few.
  database.pragma('journal_mode = WAL');
  database.pragma('synchronous = FULL');
  database.pragma('busy_timeout = 5000');
  // Zero the bytes of deleted and rewritten rows, so a secret once stored in the clear (before
  // encryption at rest, or an old ciphertext after a key rotation) does not linger in free space.
  database.pragma('secure_delete = FAST');
  const store = new KyselyStateStore(new Kysely<StateDatabase>({ dialect: new SqliteDialect({ database }) }), 'sqlite');
  await store.migrate();
  return store;
}

export async function openPostgres(url: string): Promise<KyselyStateStore> {
  const pg = await import('pg');
  const Pool = pg.default.Pool;
  const types = pg.default.types;
  const pool = new Pool({
    connectionString: url,
    max: 10,
    // int8 (bigint) comes back as a JS number: audit sequence numbers stay far below 2^53.
    types: { getTypeParser: (oid: number, format?: 'text' | 'binary') => (oid === 20 ? (v: string) => Number(v) : types.getTypeParser(oid, format as 'text')) },
  } as import('pg').PoolConfig);
  try {
    const c = await pool.connect();
    c.release();
  } catch (err) {
    await pool.end().catch(() => {});
    throw new UnavailableError('KSK_STATE_UNREACHABLE', `cannot connect to PostgreSQL at ${redactUrl(url)}: ${(err as Error).message}`, { cause: err });
  }
  const store = new KyselyStateStore(new Kysely<StateDatabase>({ dialect: new PostgresDialect({ pool }) }), 'postgres');
  await store.migrate();
  return store;
}

/** A URL safe to print: the password replaced. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
  }
}
