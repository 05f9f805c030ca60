/**
 * The foundation as a user meets it: a real `kansoku server` process, the CLI, the SQLite file on
 * disk, signals and crashes.
 */
import { mkdtempSync, mkdirSync, statSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, startServerProcess, type ServerProc } from '../support/server-process.js';

const runbook = (name: string, title: string, extra = '') =>
  `apiVersion: kansoku/v1\nkind: Runbook\nmetadata: {name: ${name}, labels: {team: ops}}\nspec:\n  title: "${title}"\n  steps:\n    - {title: "look at the dashboard"${extra}}\n`;

describe('kansoku server and CLI', () => {
  let s: ServerProc;
  let env: Record<string, string>;
  const work = mkdtempSync(path.join(tmpdir(), 'ksk-cfg-'));

  beforeAll(async () => {
    s = await startServerProcess();
    env = { KANSOKU_URL: s.url, KANSOKU_TOKEN: s.token() };
  });
  afterAll(async () => {
    await s?.stop('SIGKILL');
  });

  it('creates the admin token on first start with mode 0600 and never logs it', () => {
    const file = path.join(s.dataDir, 'admin-token');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(s.token()).toMatch(/^ksk_[A-Za-z0-9_-]{43}$/);
    expect(s.logs()).toContain(file);
    expect(s.logs()).not.toContain(s.token());
  });

  it('watches itself from the first start: a kansoku-self check in its own apply set', async () => {
    const r = await fetch(`${s.url}/api/v1/objects/Check/kansoku-self`, { headers: { authorization: `Bearer ${env.KANSOKU_TOKEN}` } });
    expect(r.status).toBe(200);
    expect(((await r.json()) as { spec: { url: string } }).spec.url).toBe(`${s.url}/healthz`);
    const audit = JSON.parse(cli(['audit', 'list', '--kind', 'Check', '--json'], env).stdout) as { actor: { name: string } }[];
    expect(audit[0]!.actor.name).toBe('system');
  });

  it('applies a directory, plans no change after, and exports YAML that re-applies to no change', () => {
    mkdirSync(path.join(work, 'runbooks'));
    writeFileSync(path.join(work, 'runbooks/web.yaml'), `${runbook('web-down', 'Web is down')}---\n${runbook('db-slow', 'DB is slow')}`);
    writeFileSync(path.join(work, 'disk.yml'), runbook('disk-full', 'Disk full'));
    const apply = cli(['apply', '-f', work], env);
    expect(apply.code, apply.stderr).toBe(0);
    expect(apply.stdout).toContain('Applied: 3 created, 0 changed, 0 deleted, 0 unchanged');
    const plan = cli(['plan', '-f', work, '--exit-code'], env);
    expect(plan.code).toBe(0);
    expect(plan.stdout).toContain('No changes');
    const again = cli(['apply', '-f', work, '--json'], env);
    expect(JSON.parse(again.stdout).summary).toMatchObject({ create: 0, update: 0, delete: 0, unchanged: 3 });

    const exported = path.join(mkdtempSync(path.join(tmpdir(), 'ksk-export-')), 'export.yaml');
    expect(cli(['export', '-o', exported], env).code).toBe(0);
    const plan2 = cli(['plan', '-f', exported, '--exit-code'], env);
    expect(plan2.stdout).toContain('No changes');
    expect(plan2.code).toBe(0);
  });

  it('shows field diffs, drift from hand edits, and deletions in plan', async () => {
    writeFileSync(path.join(work, 'disk.yml'), runbook('disk-full', 'Disk full on /var'));
    const byHand = await fetch(`${s.url}/api/v1/objects/Runbook/db-slow`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${env.KANSOKU_TOKEN}`, 'content-type': 'application/yaml' },
      body: runbook('db-slow', 'DB slow (edited in the UI)'),
    });
    expect(byHand.status).toBe(200);
    writeFileSync(path.join(work, 'runbooks/web.yaml'), runbook('db-slow', 'DB is slow'));
    const full = cli(['plan', '-f', work, '--exit-code'], env);
    expect(full.code, full.stderr).toBe(2);
    expect(full.stdout).toContain('~ change Runbook/disk-full');
    expect(full.stdout).toContain('~ spec.title: "Disk full" → "Disk full on /var"');
    expect(full.stdout).toMatch(/~ change Runbook\/db-slow {2}\(drift: changed outside apply by admin/);
    expect(full.stdout).toContain('- delete Runbook/web-down');
    expect(full.stdout).toContain('Plan: 0 to create, 2 to change, 1 to delete');
  });

  it('refuses bad documents naming file, document, field and expectation, and applies nothing', () => {
    const bad = path.join(work, 'bad.yaml');
    writeFileSync(bad, `${runbook('fine-one', 'ok')}---\napiVersion: kansoku/v1\nkind: Runbook\nmetadata: {name: broken}\nspec: {title: x, steps: [{title: s, timeout: 5}]}\n`);
    const r = cli(['apply', '-f', bad, '--no-prune'], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('bad.yaml#2 (Runbook/broken): spec.steps.0: unknown field "timeout"');
    expect(cli(['get', 'Runbook', 'fine-one'], env).code).toBe(1);
    const syntax = path.join(work, 'syntax.yaml');
    writeFileSync(syntax, 'apiVersion: kansoku/v1\nkind: Runbook\nmetadata: {name: x\n');
    const r2 = cli(['apply', '-f', syntax], env);
    expect(r2.code).toBe(1);
    expect(r2.stderr).toMatch(/syntax\.yaml#1: \(syntax\): line \d+, column \d+/);
  });

  it('manages tokens with roles and lists audit records with --json', () => {
    const created = cli(['token', 'create', '--name', 'grafana', '--role', 'viewer', '--json'], env);
    expect(created.code).toBe(0);
    const tok = JSON.parse(created.stdout);
    const denied = cli(['apply', '-f', path.join(work, 'disk.yml'), '--no-prune'], { ...env, KANSOKU_TOKEN: tok.token });
    expect(denied.code).toBe(1);
    expect(denied.stderr).toContain('token "grafana" has role viewer; config.apply needs role editor or higher');
    const list = JSON.parse(cli(['token', 'list', '--json'], env).stdout);
    expect(list.map((t: { name: string }) => t.name)).toEqual(['admin', 'grafana']);
    expect(cli(['token', 'revoke', 'grafana'], env).stdout).toContain('revoked token "grafana"');
    const audit = JSON.parse(cli(['audit', 'list', '--actor', 'grafana', '--json'], env).stdout);
    expect(audit[0]).toMatchObject({ action: 'config.apply', outcome: 'denied' });
    const exported = path.join(work, 'audit.jsonl');
    expect(cli(['audit', 'export', '-o', exported], env).code).toBe(0);
    const lines = readFileSync(exported, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.length).toBeGreaterThan(8);
    expect(lines[0]).toMatchObject({ seq: 1, action: 'token.create' });
  });

  it('detects an audit row altered or removed directly in the SQLite file', () => {
    const ok = cli(['audit', 'verify'], env);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/^OK: \d+ audit records verified/);
    const db = new Database(path.join(s.dataDir, 'state.db'));
    const original = db.prepare('select actor_name from audit_events where seq = 3').get() as { actor_name: string };
    db.prepare("update audit_events set actor_name = 'mallory' where seq = 3").run();
    const bad = cli(['audit', 'verify', '--json'], env);
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.stdout).problem).toMatchObject({ kind: 'altered', seq: 3 });
    const human = cli(['audit', 'verify'], env);
    expect(human.stderr).toContain('TAMPERED: audit record 3');
    db.prepare('update audit_events set actor_name = ? where seq = 3').run(original.actor_name);
    expect(cli(['audit', 'verify'], env).code).toBe(0);
    const row = db.prepare('select * from audit_events where seq = 5').get();
    db.prepare('delete from audit_events where seq = 5').run();
    const removed = JSON.parse(cli(['audit', 'verify', '--json'], env).stdout);
    expect(removed.problem).toMatchObject({ kind: 'removed', seq: 5 });
    const cols = Object.keys(row as object);
    db.prepare(`insert into audit_events (${cols.join(',')}) values (${cols.map(() => '?').join(',')})`).run(...Object.values(row as object));
    db.close();
    expect(cli(['audit', 'verify'], env).code).toBe(0);
  });
});

describe('durability', () => {
  it('finishes accepted writes on SIGTERM, exits 0, and keeps them across a restart', async () => {
    const s = await startServerProcess();
    const headers = { authorization: `Bearer ${s.token()}`, 'content-type': 'application/yaml' };
    const writes = Array.from({ length: 40 }, (_, i) =>
      fetch(`${s.url}/api/v1/objects`, { method: 'POST', headers, body: runbook(`rb-${i}`, `R ${i}`) }).then((r) => r.status, () => 0),
    );
    await new Promise((r) => setTimeout(r, 20));
    const code = await s.stop('SIGTERM');
    const statuses = await Promise.all(writes);
    expect(code).toBe(0);
    expect(s.logs()).toContain('shut down cleanly');
    const accepted = statuses.map((st, i) => (st === 201 ? `rb-${i}` : null)).filter(Boolean);
    const again = await startServerProcess({ dataDir: s.dataDir });
    try {
      const items = ((await (await fetch(`${again.url}/api/v1/objects/Runbook`, { headers })).json()) as { items: { metadata: { name: string } }[] }).items;
      const names = new Set(items.map((d) => d.metadata.name));
      for (const n of accepted) expect(names.has(n!), `${n} was accepted but is gone`).toBe(true);
      expect(cli(['audit', 'verify'], { KANSOKU_URL: again.url, KANSOKU_TOKEN: again.token() }).code).toBe(0);
    } finally {
      await again.stop('SIGKILL');
    }
  });

  it('leaves all or none of an apply when the server is killed with SIGKILL during it', async () => {
    const s = await startServerProcess();
    const docs = Array.from({ length: 1500 }, (_, i) => runbook(`bulk-${i}`, `Bulk ${i}`)).join('---\n');
    const req = fetch(`${s.url}/api/v1/apply`, { method: 'POST', headers: { authorization: `Bearer ${s.token()}`, 'content-type': 'application/yaml' }, body: docs }).then(
      (r) => r.status,
      () => 0,
    );
    await new Promise((r) => setTimeout(r, 150));
    await s.stop('SIGKILL');
    const status = await req;
    const again = await startServerProcess({ dataDir: s.dataDir });
    try {
      const items = ((await (await fetch(`${again.url}/api/v1/objects/Runbook`, { headers: { authorization: `Bearer ${again.token()}` } })).json()) as { items: unknown[] }).items;
      expect([0, 1500]).toContain(items.length);
      if (status === 200) expect(items.length).toBe(1500);
      const v = cli(['audit', 'verify', '--json'], { KANSOKU_URL: again.url, KANSOKU_TOKEN: again.token() });
      expect(JSON.parse(v.stdout).ok).toBe(true);
    } finally {
      await again.stop('SIGKILL');
    }
  });

  it('verifies the audit trail offline with --data-dir when no server runs', async () => {
    const s = await startServerProcess();
    await s.stop('SIGTERM');
    const r = cli(['audit', 'verify', '--data-dir', s.dataDir]);
    expect(r.code).toBe(0);
    const db = new Database(path.join(s.dataDir, 'state.db'));
    db.prepare("update audit_events set detail = 'nothing happened' where seq = 1").run();
    db.close();
    const bad = cli(['audit', 'verify', '--data-dir', s.dataDir]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('audit record 1');
  });

  it('refuses a bad flag with a message that names it', () => {
    const r = cli(['server', '--listen', 'nowhere']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('--listen: expected HOST:PORT');
  });
});
