/**
 * The postgres check against the PostgreSQL running on this machine (127.0.0.1:5432, trust
 * auth, user postgres, database `test`). Trust auth accepts any password, so the login
 * failure shown here is an unknown role.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requirePeer, tcpReachable } from '../../../../test/support/peer.js';
import { POSTGRES_APPLICATION_NAME, postgresCheck, postgresCheckSpecSchema } from './index.js';

const HOST = '127.0.0.1';
const havePostgres = await requirePeer('PostgreSQL on 127.0.0.1:5432', () => tcpReachable(HOST, 5432));
const suffix = `${process.pid}_${Date.now() % 100000}`;
const TABLE = `kansoku_jobs_${suffix}`;

function run(input: Record<string, unknown>, timeoutMs = 5000) {
  const spec = postgresCheckSpecSchema.parse({ type: 'postgres', host: HOST, user: 'postgres', database: 'test', ...input });
  return postgresCheck.run(spec, { signal: AbortSignal.timeout(timeoutMs + 5000), timeoutMs });
}

describe.skipIf(!havePostgres)('postgres check against PostgreSQL', () => {
  const admin = new pg.Client({ host: HOST, port: 5432, user: 'postgres', database: 'test' });
  beforeAll(async () => {
    await admin.connect();
    await admin.query(`CREATE TABLE ${TABLE} (id int PRIMARY KEY, state text)`);
    await admin.query(`INSERT INTO ${TABLE} SELECT g, CASE WHEN g < 120 THEN 'stuck' ELSE 'done' END FROM generate_series(0, 149) g`);
  });
  afterAll(async () => {
    await admin.query(`DROP TABLE IF EXISTS ${TABLE}`);
    await admin.end();
  });

  it('OK: connects, names the server version, runs the query', async () => {
    const { rows } = await admin.query<{ v: string }>("SELECT current_setting('server_version') AS v");
    const r = await run({ query: `SELECT count(*) FROM ${TABLE}`, expect: { equals: '150', minRows: 1 } });
    expect(r.status).toBe('ok');
    expect(r.message).toMatch(new RegExp(`^PostgreSQL ${rows[0]!.v.replace(/[()+.]/g, '\\$&')} on 127\\.0\\.0\\.1:5432: connected in \\S+; query: 1 row, first value 150$`));
    expect(r.metrics.map((m) => m.name)).toEqual(['connect_ms', 'query_ms', 'rows', 'value', 'total_ms']);
  });

  it('unknown role and unknown database → CRITICAL with the server reason', async () => {
    const role = await run({ user: `nobody_${suffix}`, password: 'x' });
    expect(role).toMatchObject({ status: 'critical', message: `PostgreSQL on 127.0.0.1:5432: role "nobody_${suffix}" does not exist (28000)` });
    const db = await run({ database: `no_such_db_${suffix}` });
    expect(db).toMatchObject({ status: 'critical', message: `PostgreSQL on 127.0.0.1:5432: database "no_such_db_${suffix}" does not exist (3D000)` });
  });

  it('a query whose expected result fails, and a failing query, → CRITICAL', async () => {
    const r = await run({ query: `SELECT state FROM ${TABLE} ORDER BY id`, expect: { rows: 1 } });
    expect(r.status).toBe('critical');
    expect(r.message).toMatch(/: query returned 150 rows, expected 1$/);
    const contains = await run({ query: `SELECT state FROM ${TABLE} WHERE id = 1`, expect: { contains: 'done' } });
    expect(contains.message).toMatch(/: no value in the result contains "done"$/);
    const broken = await run({ query: 'SELECT * FROM no_such_table_kansoku' });
    expect(broken.status).toBe('critical');
    expect(broken.message).toMatch(/relation "no_such_table_kansoku" does not exist \(42P01\) while running the query$/);
  });

  it('thresholds on a numeric query result; text where a number is needed is UNKNOWN', async () => {
    const query = `SELECT count(*) FROM ${TABLE} WHERE state = 'stuck'`;
    const crit = await run({ query, warning: { above: 50 }, critical: { above: 100 } });
    expect(crit).toMatchObject({ status: 'critical', message: expect.stringMatching(/: query value 120 is above 100 \(critical\)$/) });
    const warn = await run({ query, warning: { above: 100 }, critical: { above: 1000 } });
    expect(warn.status).toBe('warning');
    const low = await run({ query, warning: { below: 200 } });
    expect(low).toMatchObject({ status: 'warning', message: expect.stringMatching(/query value 120 is below 200 \(warning\)$/) });
    const text = await run({ query: "SELECT 'many'", critical: { above: 1 } });
    expect(text).toMatchObject({ status: 'unknown', message: expect.stringMatching(/query returned "many", not a number/) });
  });

  it('a hanging pg_sleep is stopped by the timeout and its backend goes away', async () => {
    const marker = `kansoku_hang_${suffix}`;
    const r = await run({ query: `SELECT pg_sleep(20) AS ${marker}` }, 1000);
    expect(r).toMatchObject({ status: 'critical', message: 'PostgreSQL on 127.0.0.1:5432: timed out after 1s while running the query' });
    let remaining = -1;
    for (let i = 0; i < 50 && remaining !== 0; i++) {
      const { rows } = await admin.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1 AND query LIKE $2',
        [POSTGRES_APPLICATION_NAME, `%${marker}%`],
      );
      remaining = rows[0]!.n;
      if (remaining) await new Promise((res) => setTimeout(res, 100));
    }
    expect(remaining).toBe(0);
  });

  it('replication lag on a primary → CRITICAL not a replica', async () => {
    const r = await run({ replicationLag: { warning: '10s', critical: '1m' } });
    expect(r).toMatchObject({ status: 'critical', message: expect.stringMatching(/: not a replica/) });
  });
});
