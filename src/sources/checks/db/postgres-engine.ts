/* eslint-disable no-restricted-imports -- a database check talks to the database itself */
/**
 * PostgreSQL through pg. The server gets the run's timeout as its statement_timeout, so a
 * query the deadline gave up on is also cancelled inside the server.
 */
import type net from 'node:net';
import type pg from 'pg';
import type { PostgresCheckSpec } from './sql-config.js';
import type { ReplicaState, SqlEngine, SqlSession } from './sql-probe.js';
import { dbTlsOptions } from './tls-files.js';

/** The application_name our sessions carry, so they can be told apart in pg_stat_activity. */
export const POSTGRES_APPLICATION_NAME = 'kansoku-check';

class PostgresSession implements SqlSession {
  version = '';
  #closed = false;
  constructor(private readonly client: pg.Client) {}

  async query(sql: string): Promise<unknown[][]> {
    const r = await this.client.query<unknown[]>({ text: sql, rowMode: 'array' });
    return r.rows;
  }

  async replicaState(): Promise<ReplicaState> {
    const r = await this.client.query<[boolean, number | null, number]>({
      text: `SELECT pg_is_in_recovery(),
                    CASE WHEN NOT pg_is_in_recovery() THEN NULL
                         WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
                         ELSE EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp())::float8 END,
                    (SELECT count(*) FROM pg_stat_wal_receiver WHERE status = 'streaming')::int`,
      rowMode: 'array',
    });
    const [inRecovery, lag, streaming] = r.rows[0] ?? [false, null, 0];
    if (!inRecovery) return { replica: false };
    if (!streaming) return { replica: true, lagSeconds: lag ?? undefined, problem: 'no WAL receiver is streaming from the primary' };
    return { replica: true, lagSeconds: lag ?? undefined };
  }

  processlist(): Promise<never> {
    return Promise.reject(new Error('processlist snapshots are for MySQL / MariaDB'));
  }

  destroy(): void {
    if (this.#closed) return;
    this.#closed = true;
    // end() waits for the server to finish the running query; a deadline must not.
    const stream = (this.client as unknown as { connection?: { stream?: net.Socket } }).connection?.stream;
    stream?.destroy();
    this.client.end().catch(() => undefined);
  }
}

export const postgresEngine: SqlEngine<PostgresCheckSpec> = {
  name: 'PostgreSQL',
  productName: () => 'PostgreSQL',
  async connect(spec, statementTimeoutMs, onSession) {
    const ssl = await dbTlsOptions(spec.tls);
    // Loaded on first use, so the probe agent's import graph stays free of the driver.
    const { default: pgDriver } = await import('pg');
    const client = new pgDriver.Client({
      host: spec.host,
      port: spec.port,
      user: spec.user,
      password: spec.password ?? '',
      database: spec.database ?? spec.user,
      ssl: ssl ?? false,
      statement_timeout: Math.ceil(statementTimeoutMs),
      application_name: POSTGRES_APPLICATION_NAME,
    });
    client.on('error', () => undefined);
    const session = new PostgresSession(client);
    onSession(session);
    await client.connect();
    const r = await client.query<[string]>({ text: "SELECT current_setting('server_version')", rowMode: 'array' });
    session.version = r.rows[0]?.[0] ?? '';
    return session;
  },
};
