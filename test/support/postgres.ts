import pg from 'pg';
import { afterAll } from 'vitest';

export const PG_ADMIN_URL = process.env.KANSOKU_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/**
 * A fresh database on the machine's PostgreSQL for one test file, dropped after it. Names carry
 * the pid so parallel files never share one.
 */
export async function createScratchDatabase(): Promise<string> {
  const name = `kansoku_test_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  afterAll(async () => {
    const c = new pg.Client({ connectionString: PG_ADMIN_URL });
    await c.connect();
    await c.query(`drop database if exists ${name} with (force)`);
    await c.end();
  });
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return url.toString();
}
