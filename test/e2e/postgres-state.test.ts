/** The server on PostgreSQL state (`--state postgres://…`): the same behaviour as on SQLite, across a restart. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { requirePeer } from '../support/peer.js';
import { createScratchDatabase, PG_ADMIN_URL } from '../support/postgres.js';
import { cli, startServerProcess } from '../support/server-process.js';

const available = await requirePeer('PostgreSQL on 127.0.0.1:5432', async (): Promise<true> => {
  const c = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 2000 });
  await c.connect();
  await c.end();
  return true;
});
const url = available ? await createScratchDatabase() : '';

describe.skipIf(!available)('kansoku server --state postgres://', () => {
  it('applies, survives a restart, plans no change, and detects tampering in PostgreSQL', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'ksk-pg-'));
    const cfg = path.join(dataDir, 'rb.yaml');
    writeFileSync(cfg, 'apiVersion: kansoku/v1\nkind: Runbook\nmetadata: {name: pg-one}\nspec: {title: One, steps: [{title: s}]}\n');
    const s = await startServerProcess({ dataDir, args: ['--state', url, '--secret-key-file', path.join(dataDir, 'secret.key')] });
    expect(s.logs()).toContain('"engine":"postgres"');
    let env = { KANSOKU_URL: s.url, KANSOKU_TOKEN: s.token() };
    expect(cli(['apply', '-f', cfg], env).code).toBe(0);
    expect(await s.stop('SIGTERM')).toBe(0);

    const again = await startServerProcess({ dataDir, args: ['--state', url, '--secret-key-file', path.join(dataDir, 'secret.key')] });
    env = { KANSOKU_URL: again.url, KANSOKU_TOKEN: again.token() };
    try {
      const plan = cli(['plan', '-f', cfg, '--exit-code'], env);
      expect(plan.code, plan.stdout + plan.stderr).toBe(0);
      expect(cli(['audit', 'verify'], env).code).toBe(0);
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      await c.query("update audit_events set action = 'object.read' where seq = 2");
      await c.end();
      const v = cli(['audit', 'verify', '--json'], env);
      expect(v.code).toBe(1);
      expect(JSON.parse(v.stdout).problem).toMatchObject({ kind: 'altered', seq: 2 });
      const offline = cli(['audit', 'verify', '--state', url]);
      expect(offline.code).toBe(1);
    } finally {
      await again.stop('SIGKILL');
    }
  });
});
