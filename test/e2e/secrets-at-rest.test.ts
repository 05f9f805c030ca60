/**
 * Secrets at rest as an operator meets them: a real `kansoku server` stores a Channel's SMTP
 * password, a webhook URL and Authorization, and a Check's Authorization header. The raw state
 * database (the SQLite file and its WAL, the PostgreSQL rows) holds none of them; the API still
 * shows `[redacted]`; after a restart the check still authenticates against an HTTP server here
 * and a drill still reaches the webhook with its token. A wrong key stops the server with both key
 * ids named; `kansoku secrets rotate` moves everything to a new key.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requirePeer } from '../support/peer.js';
import { createScratchDatabase, PG_ADMIN_URL } from '../support/postgres.js';
import { BIN, freePort, startServerProcess, type ServerProc } from '../support/server-process.js';

const SMTP_PASSWORD = 'e2e-smtp-pass-8d21f0c3';
const CHECK_AUTH = 'Bearer e2e-check-token-4c7a9b55';
const HOOK_PATH_TOKEN = 'e2e-url-token-93ab7e1d';
const HOOK_AUTH = 'Bearer e2e-hook-token-61f2c0aa';
const SECRETS = [SMTP_PASSWORD, CHECK_AUTH, HOOK_PATH_TOKEN, HOOK_AUTH];
/** Not a secret: must be found in the raw bytes, or the scan proves nothing. */
const VISIBLE = 'e2e-smtp-user-visible-5e0d';

/** An HTTP service that requires the check's Authorization, and a webhook that requires its own. */
class Target {
  ok = 0;
  denied = 0;
  hooks: string[] = [];
  port = 0;
  private server: Server | undefined;
  async start(): Promise<void> {
    this.port = await freePort();
    this.server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        if (req.url === '/api' && req.headers.authorization === CHECK_AUTH) {
          this.ok++;
          return res.writeHead(200).end('ok');
        }
        if (req.url === `/hook/${HOOK_PATH_TOKEN}` && req.method === 'POST') {
          this.hooks.push(String(req.headers.authorization));
          return res.writeHead(req.headers.authorization === HOOK_AUTH ? 200 : 401).end();
        }
        this.denied++;
        res.writeHead(401).end('no');
      });
    });
    await new Promise<void>((r) => this.server!.listen(this.port, '127.0.0.1', r));
  }
  close(): Promise<void> {
    return new Promise((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}

/** The CLI without blocking this process (the target above must answer while a verb waits). */
function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env: { ...process.env, NO_COLOR: '1', ...env }, encoding: 'utf8', timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

const documents = (port: number) => `apiVersion: kansoku/v1
kind: Channel
metadata: {name: ops-mail}
spec: {type: email, host: 127.0.0.1, port: 2525, user: ${VISIBLE}, password: ${SMTP_PASSWORD}, from: kansoku@example.jp, to: [ops@example.jp]}
---
apiVersion: kansoku/v1
kind: Channel
metadata: {name: hook}
spec: {type: webhook, url: "http://127.0.0.1:${port}/hook/${HOOK_PATH_TOKEN}", authorization: "${HOOK_AUTH}"}
---
apiVersion: kansoku/v1
kind: Check
metadata: {name: api-auth}
spec:
  type: http
  url: http://127.0.0.1:${port}/api
  headers: {Authorization: "${CHECK_AUTH}", Accept: text/plain}
  interval: 1s
  timeout: 800ms
  attempts: 1
`;

async function api<T>(s: ServerProc, p: string): Promise<T> {
  const r = await fetch(`${s.url}${p}`, { headers: { authorization: `Bearer ${s.token()}` } });
  if (!r.ok) throw new Error(`${p}: ${r.status} ${await r.text()}`);
  return (await r.json()) as T;
}

/** Waits until the check has authenticated `more` more times than now and shows OK. */
async function checkAuthenticates(s: ServerProc, target: Target, more = 2): Promise<void> {
  const want = target.ok + more;
  const deadline = Date.now() + 30_000;
  for (;;) {
    const c = await api<{ state: string }>(s, '/api/v1/checks/api-auth').catch(() => ({ state: 'absent' }));
    if (target.ok >= want && c.state === 'ok') return;
    if (Date.now() > deadline) throw new Error(`api-auth did not authenticate (ok=${target.ok}, denied=${target.denied}, state=${c.state})\n${s.logs().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function expectRedactedInApi(s: ServerProc): Promise<void> {
  const mail = await api<{ spec: Record<string, unknown> }>(s, '/api/v1/objects/Channel/ops-mail');
  expect(mail.spec).toMatchObject({ user: VISIBLE, password: '[redacted]' });
  const hook = await api<{ spec: Record<string, unknown> }>(s, '/api/v1/objects/Channel/hook');
  expect(hook.spec).toMatchObject({ url: '[redacted]', authorization: '[redacted]' });
  const check = await api<{ spec: { headers: Record<string, string> } }>(s, '/api/v1/objects/Check/api-auth');
  // Every header of a Check is a secret (X-Api-Key, Cookie, any spelling of Authorization).
  expect(check.spec.headers).toEqual({ Authorization: '[redacted]', Accept: '[redacted]' });
  const history = JSON.stringify(await api(s, '/api/v1/objects/Check/api-auth/history'));
  for (const secret of SECRETS) expect(history).not.toContain(secret);
}

async function drillReachesHook(s: ServerProc, target: Target): Promise<void> {
  const before = target.hooks.length;
  const r = await cli(['drill', '--channel', 'hook', '--json'], { KANSOKU_URL: s.url, KANSOKU_TOKEN: s.token() });
  expect(r.code, r.stdout + r.stderr).toBe(0);
  expect(target.hooks.slice(before)).toContain(HOOK_AUTH);
}

describe('secrets at rest (embedded SQLite)', () => {
  const target = new Target();
  const dir = mkdtempSync(path.join(tmpdir(), 'ksk-e2e-secrets-'));
  const dataDir = path.join(dir, 'data');
  let s: ServerProc | undefined;
  beforeAll(async () => {
    await target.start();
    writeFileSync(path.join(dir, 'objects.yaml'), documents(target.port));
  });
  afterAll(async () => {
    await s?.stop('SIGKILL');
    await target.close();
  });

  it('stores no secret in the clear, still redacts them, and they work after a restart', async () => {
    s = await startServerProcess({ dataDir });
    const keyFile = path.join(dataDir, 'secret.key');
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    const env = { KANSOKU_URL: s.url, KANSOKU_TOKEN: s.token() };
    const applied = await cli(['apply', '-f', path.join(dir, 'objects.yaml')], env);
    expect(applied.code, applied.stderr).toBe(0);
    await checkAuthenticates(s, target);
    // A second version of each, so history holds secrets too.
    writeFileSync(path.join(dir, 'objects-v2.yaml'), documents(target.port).replace('interval: 1s', 'interval: 2s').replace('port: 2525', 'port: 2526'));
    expect((await cli(['apply', '-f', path.join(dir, 'objects-v2.yaml')], env)).code).toBe(0);
    await expectRedactedInApi(s);
    await drillReachesHook(s, target);
    expect(await s.stop('SIGTERM')).toBe(0);

    // Every file of the SQLite store, WAL and shared memory included, byte for byte.
    const files = readdirSync(dataDir).filter((f) => f.startsWith('state.db'));
    expect(files).toContain('state.db');
    const bytes = Buffer.concat(files.map((f) => readFileSync(path.join(dataDir, f))));
    expect(bytes.includes(VISIBLE)).toBe(true);
    expect(bytes.includes('"$enc":"v1:')).toBe(true);
    for (const secret of SECRETS) expect(bytes.includes(secret), `${secret} in the state files`).toBe(false);

    s = await startServerProcess({ dataDir });
    await checkAuthenticates(s, target);
    await expectRedactedInApi(s);
    await drillReachesHook(s, target);
    expect(target.denied).toBe(0);
    expect(await s.stop('SIGTERM')).toBe(0);
  });

  it('refuses to start with another key, naming both key ids and where the key came from', async () => {
    const other = randomBytes(32).toString('base64');
    const err = await startServerProcess({ dataDir, env: { KANSOKU_SECRET_KEY: other } }).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err?.message).toMatch(/secret in (Channel|Check)\/[a-z-]+ spec\.[A-Za-z.]+ was encrypted with key [0-9a-f]{8}…, the key in KANSOKU_SECRET_KEY is [0-9a-f]{8}…/);
  });

  it('kansoku secrets rotate re-encrypts everything offline; the server then needs the new key', async () => {
    const newKey = path.join(dir, 'new.key');
    const r = await cli(['secrets', 'rotate', '--data-dir', dataDir, '--new-key-file', newKey, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as { rekeyed: number; created: boolean; from: string; to: string };
    // Live: ops-mail 1 value, hook 3 (url, authorization, headers), api-auth 2 (every header of a
    // Check is a secret); versions: 2 + 3 + 4.
    expect(report).toMatchObject({ rekeyed: 15, created: true });
    expect(statSync(newKey).mode & 0o777).toBe(0o600);

    const old = await startServerProcess({ dataDir }).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(old?.message).toContain(`was encrypted with key ${report.to}…, the key in ${path.join(dataDir, 'secret.key')} is ${report.from}…`);

    s = await startServerProcess({ dataDir, args: ['--secret-key-file', newKey] });
    await checkAuthenticates(s, target);
    await drillReachesHook(s, target);
    expect(await s.stop('SIGTERM')).toBe(0);
  });

  it('explains its verbs and flags', async () => {
    const help = await cli(['secrets', 'rotate', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--new-key-file');
    expect((await cli(['server', '--help'])).stdout).toContain('--secret-key-file');
  });
});

const pgAvailable = await requirePeer('PostgreSQL on 127.0.0.1:5432', async (): Promise<true> => {
  const c = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 2000 });
  await c.connect();
  await c.end();
  return true;
});
const pgUrl = pgAvailable ? await createScratchDatabase() : '';

describe.skipIf(!pgAvailable)('secrets at rest (PostgreSQL state)', () => {
  const target = new Target();
  const dir = mkdtempSync(path.join(tmpdir(), 'ksk-e2e-secrets-pg-'));
  let s: ServerProc | undefined;
  beforeAll(async () => {
    await target.start();
    writeFileSync(path.join(dir, 'objects.yaml'), documents(target.port));
  });
  afterAll(async () => {
    await s?.stop('SIGKILL');
    await target.close();
  });

  it('refuses to start without a key, then keeps no secret in any row and works after a restart', async () => {
    const refused = await startServerProcess({ dataDir: dir, args: ['--state', pgUrl] }).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(refused?.message).toContain('a PostgreSQL state store needs a key to encrypt secrets at rest: pass --secret-key-file PATH');
    expect(refused?.message).toContain('KANSOKU_SECRET_KEY');
    expect(existsSync(path.join(dir, 'secret.key'))).toBe(false);

    const keyFile = path.join(dir, 'pg.key');
    s = await startServerProcess({ dataDir: dir, args: ['--state', pgUrl, '--secret-key-file', keyFile] });
    const env = { KANSOKU_URL: s.url, KANSOKU_TOKEN: s.token() };
    expect((await cli(['apply', '-f', path.join(dir, 'objects.yaml')], env)).code).toBe(0);
    await checkAuthenticates(s, target);
    await expectRedactedInApi(s);
    expect(await s.stop('SIGTERM')).toBe(0);

    const c = new pg.Client({ connectionString: pgUrl });
    await c.connect();
    try {
      const rows = [
        ...(await c.query('select * from inventory_objects')).rows,
        ...(await c.query('select * from inventory_versions')).rows,
        ...(await c.query('select * from audit_events')).rows,
      ];
      const text = JSON.stringify(rows);
      expect(text).toContain(VISIBLE);
      expect(text).toContain('\\"$enc\\":\\"v1:');
      for (const secret of SECRETS) expect(text, `${secret} in PostgreSQL rows`).not.toContain(secret);
    } finally {
      await c.end();
    }

    s = await startServerProcess({ dataDir: dir, args: ['--state', pgUrl, '--secret-key-file', keyFile] });
    await checkAuthenticates(s, target);
    await drillReachesHook(s, target);
    expect(target.denied).toBe(0);
    expect(await s.stop('SIGTERM')).toBe(0);
  });
});
