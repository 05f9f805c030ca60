/**
 * The mysql check against the MariaDB running on this machine (127.0.0.1:3306, root without a
 * password, database `test`).
 */
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requirePeer, tcpReachable } from '../../../../test/support/peer.js';
import { mysqlCheck, mysqlCheckSpecSchema, runMysqlCheck } from './index.js';

const HOST = '127.0.0.1';
const haveMariadb = await requirePeer('MariaDB on 127.0.0.1:3306', () => tcpReachable(HOST, 3306));
const suffix = `${process.pid}_${Date.now() % 100000}`;
const USER = `kansoku_t_${suffix}`;
const TABLE = `kansoku_jobs_${suffix}`;

function spec(input: Record<string, unknown>) {
  return mysqlCheckSpecSchema.parse({ type: 'mysql', host: HOST, user: 'root', database: 'test', ...input });
}
function run(input: Record<string, unknown>, timeoutMs = 5000) {
  return mysqlCheck.run(spec(input), { signal: AbortSignal.timeout(timeoutMs + 5000), timeoutMs });
}

describe.skipIf(!haveMariadb)('mysql check against MariaDB', () => {
  let admin: mysql.Connection;
  beforeAll(async () => {
    admin = await mysql.createConnection({ host: HOST, port: 3306, user: 'root', database: 'test' });
    await admin.query(`CREATE USER '${USER}'@'%' IDENTIFIED BY 'right-password'`);
    await admin.query(`CREATE USER '${USER}'@'localhost' IDENTIFIED BY 'right-password'`);
    await admin.query(`GRANT SELECT ON test.* TO '${USER}'@'%'`);
    await admin.query(`GRANT SELECT ON test.* TO '${USER}'@'localhost'`);
    await admin.query(`CREATE TABLE ${TABLE} (id INT PRIMARY KEY, state VARCHAR(20))`);
    const rows = Array.from({ length: 150 }, (_, i) => [i, i < 120 ? 'stuck' : 'done']);
    await admin.query(`INSERT INTO ${TABLE} VALUES ?`, [rows]);
  });
  afterAll(async () => {
    if (!admin) return;
    await admin.query(`DROP USER IF EXISTS '${USER}'@'%'`);
    await admin.query(`DROP USER IF EXISTS '${USER}'@'localhost'`);
    await admin.query(`DROP TABLE IF EXISTS ${TABLE}`);
    await admin.end();
  });

  it('OK: connects, names the server version, runs the query and keeps timings', async () => {
    const [[v]] = (await admin.query('SELECT VERSION() AS v')) as unknown as [[{ v: string }]];
    const r = await run({ query: `SELECT count(*) FROM ${TABLE}`, expect: { equals: 150, rows: 1 } });
    expect(r.status).toBe('ok');
    expect(r.message).toBe(`MariaDB ${v.v} on 127.0.0.1:3306: connected in ${r.message.match(/connected in (\S+);/)![1]}; query: 1 row, first value 150`);
    expect(r.metrics.map((m) => m.name)).toEqual(['connect_ms', 'query_ms', 'rows', 'value', 'total_ms']);
    expect(r.metrics.find((m) => m.name === 'value')!.value).toBe(150);
  });

  it('a user created with a password logs in with it, and not with a wrong one or as an unknown user', async () => {
    const ok = await run({ user: USER, password: 'right-password', query: 'SELECT CURRENT_USER()', expect: { contains: USER } });
    expect(ok.status).toBe('ok');
    const wrong = await run({ user: USER, password: 'wrong-password' });
    expect(wrong.status).toBe('critical');
    expect(wrong.message).toMatch(new RegExp(`^MySQL on 127\\.0\\.0\\.1:3306: Access denied for user '${USER}'@'[^']+' \\(using password: YES\\)`));
    const unknown = await run({ user: `nobody_${suffix}`, password: 'x' });
    expect(unknown.status).toBe('critical');
    expect(unknown.message).toMatch(/Access denied for user 'nobody_/);
  });

  it('unknown database → CRITICAL with the server reason', async () => {
    const r = await run({ database: `no_such_db_${suffix}` });
    expect(r.status).toBe('critical');
    expect(r.message).toBe(`MySQL on 127.0.0.1:3306: Unknown database 'no_such_db_${suffix}' (ER_BAD_DB_ERROR)`);
  });

  it('a query whose expected result fails → CRITICAL saying what came back', async () => {
    const equals = await run({ query: `SELECT state FROM ${TABLE} WHERE id = 1`, expect: { equals: 'done' } });
    expect(equals.status).toBe('critical');
    expect(equals.message).toMatch(/: query returned "stuck", expected "done"$/);
    expect(equals.evidence?.responseExcerpt).toBe('[["stuck"]]');
    const rows = await run({ query: `SELECT id FROM ${TABLE} WHERE state = 'missing'`, expect: { minRows: 1 } });
    expect(rows).toMatchObject({ status: 'critical', message: expect.stringMatching(/query returned 0 rows, expected at least 1$/) });
    const sqlError = await run({ query: 'SELECT * FROM no_such_table_kansoku' });
    expect(sqlError.status).toBe('critical');
    expect(sqlError.message).toMatch(/Table 'test\.no_such_table_kansoku' doesn't exist \(ER_NO_SUCH_TABLE\) while running the query$/);
  });

  it('thresholds on a numeric query result: count of stuck jobs', async () => {
    const query = `SELECT count(*) FROM ${TABLE} WHERE state = 'stuck'`;
    const crit = await run({ query, warning: { above: 50 }, critical: { above: 100 } });
    expect(crit.status).toBe('critical');
    expect(crit.message).toMatch(/: query value 120 is above 100 \(critical\)$/);
    expect(crit.metrics.find((m) => m.name === 'value')).toEqual({ name: 'value', value: 120, warn: '50', crit: '100' });
    const warn = await run({ query, warning: { above: 50 }, critical: { above: 500 } });
    expect(warn.status).toBe('warning');
    const ok = await run({ query, warning: { above: 500 } });
    expect(ok.status).toBe('ok');
  });

  it('a hanging query is stopped by the timeout and its connection is closed on the server', async () => {
    const marker = `kansoku_hang_${suffix}`;
    const r = await run({ query: `SELECT SLEEP(20) AS ${marker}` }, 1000);
    expect(r.status).toBe('critical');
    expect(r.message).toBe('MariaDB on 127.0.0.1:3306: timed out after 1s while running the query');
    // The sleeping session must go away long before its 20 s are up.
    let remaining = -1;
    for (let i = 0; i < 50 && remaining !== 0; i++) {
      const [rows] = (await admin.query('SHOW FULL PROCESSLIST')) as unknown as [{ Info: string | null }[]];
      remaining = rows.filter((row) => row.Info?.includes(marker)).length;
      if (remaining) await new Promise((res) => setTimeout(res, 100));
    }
    expect(remaining).toBe(0);
  });

  it('a closed port → CRITICAL connection refused; replication lag on a primary → not a replica', async () => {
    const refused = await run({ port: 1 });
    expect(refused.status).toBe('critical');
    expect(refused.message).toMatch(/^MySQL on 127\.0\.0\.1:1: connect ECONNREFUSED 127\.0\.0\.1:1/);
    const lag = await run({ replicationLag: { critical: '1m' } });
    expect(lag.status).toBe('critical');
    expect(lag.message).toMatch(/: not a replica/);
  });

  it('returns a processlist snapshot that holds a running SELECT SLEEP(3) from another connection', async () => {
    const other = await mysql.createConnection({ host: HOST, port: 3306, user: 'root', database: 'test' });
    try {
      const marker = `kansoku_pl_${suffix}`;
      const sleeping = other.query(`SELECT SLEEP(3) AS ${marker}`);
      await new Promise((res) => setTimeout(res, 300));
      const r = await runMysqlCheck(spec({ processlist: { every: '5m' } }), { signal: AbortSignal.timeout(10_000), timeoutMs: 5000 }, { snapshotProcesslist: true });
      await sleeping;
      expect(r.status).toBe('ok');
      const snap = r.evidence?.processlist as { takenAt: number; rows: Record<string, string>[] };
      const row = snap.rows.find((x) => x.Info!.includes(marker));
      expect(row).toMatchObject({ User: 'root', db: 'test', Command: 'Query', Info: `SELECT SLEEP(3) AS ${marker}`, Id: String(other.threadId) });
      // The probe's own SHOW FULL PROCESSLIST is not part of the snapshot.
      expect(snap.rows.some((x) => x.Info === 'SHOW FULL PROCESSLIST')).toBe(false);
      expect(r.message).toMatch(/processlist: \d+ other connections?$/);
    } finally {
      await other.end();
    }
  });
});
