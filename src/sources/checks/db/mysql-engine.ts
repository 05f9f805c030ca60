/**
 * MySQL / MariaDB through mysql2's callback API, which hands out the connection object before
 * the handshake ends, so a deadline can destroy a connection that is still connecting.
 */
import mysql from 'mysql2';
import type { Connection, FieldPacket, QueryError } from 'mysql2';
import { toProcesslistRow, type ProcesslistRow } from './processlist.js';
import type { MysqlCheckSpec } from './sql-config.js';
import type { ReplicaState, SqlEngine, SqlSession } from './sql-probe.js';
import { dbTlsOptions } from './tls-files.js';

function query<T>(conn: Connection, sql: string, rowsAsArray: boolean): Promise<T> {
  return new Promise((resolve, reject) => {
    conn.query({ sql, rowsAsArray }, (err: QueryError | null, rows: unknown, _fields?: FieldPacket[]) => (err ? reject(err) : resolve(rows as T)));
  });
}

class MysqlSession implements SqlSession {
  version = '';
  #closed = false;
  constructor(private readonly conn: Connection) {}

  query(sql: string): Promise<unknown[][]> {
    return query<unknown>(this.conn, sql, true).then((rows) => (Array.isArray(rows) ? (rows as unknown[][]) : []));
  }

  async replicaState(): Promise<ReplicaState> {
    // MariaDB and MySQL before 8.0.22 know only the old name; both answer it.
    const rows = await query<Record<string, unknown>[]>(this.conn, 'SHOW SLAVE STATUS', false);
    const r = rows[0];
    if (!r) return { replica: false };
    const io = String(r.Slave_IO_Running ?? r.Replica_IO_Running ?? '');
    const sql = String(r.Slave_SQL_Running ?? r.Replica_SQL_Running ?? '');
    const lag = r.Seconds_Behind_Master ?? r.Seconds_Behind_Source;
    if (io !== 'Yes' || sql !== 'Yes') {
      const err = String(r.Last_IO_Error || r.Last_SQL_Error || '') || 'no error reported';
      return { replica: true, lagSeconds: undefined, problem: `IO thread ${io || '?'}, SQL thread ${sql || '?'}: ${err}` };
    }
    return { replica: true, lagSeconds: lag === null || lag === undefined ? undefined : Number(lag) };
  }

  async processlist(): Promise<ProcesslistRow[]> {
    const rows = await query<Record<string, unknown>[]>(this.conn, 'SHOW FULL PROCESSLIST', false);
    const own = String(this.conn.threadId);
    return rows.map(toProcesslistRow).filter((r) => r.Id !== own);
  }

  destroy(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.conn.destroy();
  }
}

export const mysqlEngine: SqlEngine<MysqlCheckSpec> = {
  name: 'MySQL',
  productName: (version) => (/mariadb/i.test(version) ? 'MariaDB' : 'MySQL'),
  async connect(spec, statementTimeoutMs, onSession) {
    const ssl = await dbTlsOptions(spec.tls);
    const conn = mysql.createConnection({
      host: spec.host,
      port: spec.port,
      user: spec.user,
      password: spec.password ?? '',
      ...(spec.database !== undefined ? { database: spec.database } : {}),
      ...(ssl ? { ssl } : {}),
      // The run's deadline closes the connection; mysql2's own timer would only race it.
      connectTimeout: statementTimeoutMs + 1000,
      supportBigNumbers: true,
    });
    // After a destroy the driver may still report the closed socket; that must not crash the server.
    conn.on('error', () => undefined);
    const session = new MysqlSession(conn);
    onSession(session);
    await new Promise<void>((resolve, reject) => {
      conn.once('connect', () => resolve());
      conn.once('error', reject);
    });
    const [row] = await query<unknown[][]>(conn, 'SELECT VERSION()', true);
    session.version = String(row?.[0] ?? '');
    const seconds = Math.max(1, Math.ceil(statementTimeoutMs / 1000));
    // MariaDB counts in seconds for every statement; MySQL in ms for SELECTs only.
    const limit = /mariadb/i.test(session.version) ? `SET SESSION max_statement_time = ${seconds}` : `SET SESSION max_execution_time = ${Math.ceil(statementTimeoutMs)}`;
    await query(conn, limit, true).catch(() => undefined);
    return session;
  },
};
