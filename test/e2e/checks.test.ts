/**
 * Checks as a user meets them: a real `kansoku server` process probing a real nginx it does not
 * control. Stopping nginx turns the check CRITICAL after the configured attempts, with ping /
 * tracepath evidence; starting it again brings it back to OK. A heartbeat that stops goes
 * CRITICAL. `kansoku status --json` shows both.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasExecutable, requirePeer, tcpReachable } from '../support/peer.js';
import { cli, freePort, startServerProcess, type ServerProc } from '../support/server-process.js';

const NGINX = '/usr/sbin/nginx';
const hasNginx = await requirePeer('nginx (Debian package)', () => hasExecutable(NGINX));

/** nginx in the foreground with its own config and pid file in `dir`, serving one page on `port`. */
async function startNginx(dir: string, port: number): Promise<ChildProcess> {
  mkdirSync(path.join(dir, 'html'), { recursive: true });
  mkdirSync(path.join(dir, 'tmp'), { recursive: true });
  writeFileSync(path.join(dir, 'html/index.html'), '<h1>Add to cart</h1>\n');
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `${t}_temp_path ${path.join(dir, 'tmp', t)};`).join(' ');
  writeFileSync(
    path.join(dir, 'nginx.conf'),
    `${process.getuid?.() === 0 ? 'user root;' : ''}
worker_processes 1;
events { worker_connections 64; }
http { access_log off; ${temp}
  server { listen 127.0.0.1:${port}; root ${path.join(dir, 'html')}; }
}
`,
  );
  const child = spawn(NGINX, ['-e', 'stderr', '-p', dir, '-c', path.join(dir, 'nginx.conf'), '-g', `daemon off; pid ${path.join(dir, 'nginx.pid')}; error_log stderr;`], { stdio: 'ignore' });
  process.once('exit', () => child.kill('SIGKILL'));
  for (let i = 0; i < 100; i++) {
    if ((await tcpReachable('127.0.0.1', port, 200)) === true) return child;
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill('SIGKILL');
  throw new Error(`nginx did not listen on ${port}`);
}

async function stopNginx(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

interface CheckJson {
  name: string;
  state: string;
  stateType: string;
  attempt: number;
  since: string | null;
  message: string | null;
}

describe.skipIf(!hasNginx)('checks against real targets, end to end', () => {
  let s: ServerProc;
  let env: Record<string, string>;
  let nginx: ChildProcess;
  let port: number;
  const dir = mkdtempSync(path.join(tmpdir(), 'ksk-e2e-checks-'));
  const SECRET = 'e2e-heartbeat-secret-0123';

  const api = async <T>(p: string, init: RequestInit = {}): Promise<T> => {
    const r = await fetch(`${s.url}${p}`, { ...init, headers: { authorization: `Bearer ${env.KANSOKU_TOKEN}`, ...(init.headers ?? {}) } });
    if (!r.ok) throw new Error(`${p}: ${r.status} ${await r.text()}`);
    return (await r.json()) as T;
  };
  const stateOf = (name: string) => api<CheckJson>(`/api/v1/checks/${name}`);
  /** Polls until the check is in the wanted state (bounded), returning the states seen on the way. */
  const waitFor = async (name: string, want: (c: CheckJson) => boolean, timeoutMs = 20_000): Promise<CheckJson[]> => {
    const seen: CheckJson[] = [];
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const c = await stateOf(name);
      if (!seen.length || seen.at(-1)!.state !== c.state || seen.at(-1)!.stateType !== c.stateType) seen.push(c);
      if (want(c)) return seen;
      if (Date.now() > deadline) throw new Error(`${name} never reached the wanted state; seen ${JSON.stringify(seen)}\n${s.logs().slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  beforeAll(async () => {
    port = await freePort();
    nginx = await startNginx(path.join(dir, 'nginx'), port);
    s = await startServerProcess();
    env = { KANSOKU_URL: s.url, KANSOKU_TOKEN: s.token() };
    writeFileSync(
      path.join(dir, 'checks.yaml'),
      `apiVersion: kansoku/v1
kind: Check
metadata: {name: shop-top, labels: {service: shop, env: test}}
spec:
  type: http
  url: http://127.0.0.1:${port}/
  interval: 1s
  timeout: 800ms
  attempts: 3
  severity: critical
  expect: {status: [200], bodyContains: "Add to cart", bodyNotContains: "Traceback"}
---
apiVersion: kansoku/v1
kind: Check
metadata: {name: nightly-export}
spec:
  type: heartbeat
  period: 2s
  grace: 1s
  interval: 1s
  timeout: 500ms
  attempts: 1
  secret: ${SECRET}
`,
    );
  });
  afterAll(async () => {
    await s?.stop('SIGKILL');
    if (nginx) await stopNginx(nginx);
  });

  it('refuses an invalid check at apply with the field path', () => {
    const bad = path.join(dir, 'bad.yaml');
    writeFileSync(bad, `apiVersion: kansoku/v1\nkind: Check\nmetadata: {name: broken}\nspec: {type: http, url: "http://127.0.0.1:${port}/", interval: 1s, timeout: 2s}\n`);
    const r = cli(['apply', '-f', bad, '--no-prune'], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('spec.timeout: timeout 2s must be shorter than interval 1s');
  });

  it('applies an http check that turns OK against the running nginx', async () => {
    const r = cli(['apply', '-f', path.join(dir, 'checks.yaml')], env);
    expect(r.code, r.stderr).toBe(0);
    await waitFor('shop-top', (c) => c.state === 'ok');
  });

  it('stopping nginx turns the check CRITICAL after 3 attempts, soft before hard, with evidence', async () => {
    const stoppedAt = Date.now();
    await stopNginx(nginx);
    const seen = await waitFor('shop-top', (c) => c.state === 'critical' && c.stateType === 'hard');
    expect(seen.some((c) => c.state === 'critical' && c.stateType === 'soft')).toBe(true);
    const hard = seen.at(-1)!;
    expect(hard.attempt).toBe(3);
    expect(hard.message).toMatch(/refused|ECONNREFUSED/i);

    // Evidence is captured after the state change is told (so alerts do not wait for ping and
    // tracepath) and then written onto the same stored result: poll until it is there.
    type Row = { status: string; startedAt: string; evidence: Record<string, unknown> };
    let bad: Row[] = [];
    for (const deadline = Date.now() + 20_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 500))) {
      const { results } = await api<{ results: Row[] }>(`/api/v1/checks/shop-top/results?order=asc&start=${stoppedAt / 1000}`);
      bad = results.filter((r) => r.status === 'critical');
      if (bad[0]?.evidence.ping) break;
    }
    expect(bad.length).toBeGreaterThanOrEqual(3);
    // Evidence is captured once, when the check turned bad, and kept with that result.
    expect(bad[0]!.evidence.ping).toMatch(/127\.0\.0\.1/);
    expect(typeof bad[0]!.evidence.traceroute).toBe('string');
    expect(bad[0]!.evidence.state).toMatchObject({ status: 'critical', hard: false, attempt: 1 });
    expect(bad[2]!.evidence.state).toMatchObject({ status: 'critical', hard: true, attempt: 3 });
    expect(bad[1]!.evidence.ping).toBeUndefined();

    // The current state is also in the state store (written on change), for other nodes and reports.
    const db = new Database(path.join(s.dataDir, 'state.db'), { readonly: true });
    try {
      const row = db.prepare('select status, hard, message from check_states where name = ?').get('shop-top') as { status: string; hard: number; message: string };
      expect(row).toMatchObject({ status: 'critical', hard: 1 });
      expect(row.message).toMatch(/refused|ECONNREFUSED/i);
    } finally {
      db.close();
    }
  });

  it('starting nginx again brings it back to OK', async () => {
    nginx = await startNginx(path.join(dir, 'nginx'), port);
    const seen = await waitFor('shop-top', (c) => c.state === 'ok');
    expect(Date.parse(seen.at(-1)!.since!)).toBeGreaterThan(Date.now() - 20_000);
    const a = await api<{ runs: number; ok: number; byStatus: Record<string, number> }>('/api/v1/checks/shop-top/availability');
    expect(a.byStatus.critical).toBeGreaterThanOrEqual(3);
    expect(a.ok).toBeGreaterThanOrEqual(2);
  });

  it('a heartbeat that stops goes CRITICAL', async () => {
    const beat = await fetch(`${s.url}/api/v1/heartbeats/nightly-export?key=${SECRET}`, { method: 'POST', body: 'exported 120 rows' });
    expect(beat.status).toBe(200);
    expect(await beat.json()).toMatchObject({ state: 'ok' });
    // No more beats: period 2s + grace 1s later it is late.
    const seen = await waitFor('nightly-export', (c) => c.state === 'critical', 10_000);
    expect(seen.at(-1)!.message).toMatch(/expected every 2s \(\+1s grace\), late by/);
  });

  it('kansoku status --json lists every check with its state, since when and message', () => {
    const r = cli(['status', '--json'], env);
    expect(r.code, r.stderr).toBe(0);
    const checks = JSON.parse(r.stdout) as CheckJson[];
    // kansoku-self is the check of the server itself that a first start creates.
    expect(checks.map((c) => c.name)).toEqual(['kansoku-self', 'nightly-export', 'shop-top']);
    expect(checks.find((c) => c.name === 'shop-top')).toMatchObject({ state: 'ok', stateType: 'hard' });
    expect(checks.find((c) => c.name === 'nightly-export')).toMatchObject({ state: 'critical', stateType: 'hard' });
    for (const c of checks.filter((x) => x.name !== 'kansoku-self')) {
      expect(Date.parse(c.since!)).not.toBeNaN();
      expect(c.message).toBeTruthy();
    }
    const table = cli(['status', '--exit-code'], env);
    expect(table.code).toBe(2);
    expect(table.stdout).toMatch(/^NAME\s+TYPE\s+STATE\s+SINCE\s+LAST RUN\s+MESSAGE/);
    expect(table.stdout).toMatch(/nightly-export\s+heartbeat\s+CRITICAL/);
  });

  it('exposes the scheduler’s own metrics', async () => {
    const m = await (await fetch(`${s.url}/metrics`)).text();
    const critical = /kansoku_check_runs_total\{type="http",status="critical"\} (\d+)/.exec(m);
    expect(Number(critical?.[1])).toBeGreaterThanOrEqual(3);
    expect(m).toMatch(/kansoku_scheduler_lag_seconds_count \d+/);
  });

  it('keeps the state across a server restart', async () => {
    await s.stop('SIGTERM');
    s = await startServerProcess({ dataDir: s.dataDir });
    env = { KANSOKU_URL: s.url, KANSOKU_TOKEN: s.token() };
    // Before any new run the state comes from the stored results, not from "pending".
    const c = await waitFor('nightly-export', (x) => x.state !== 'pending', 10_000);
    expect(c.at(-1)).toMatchObject({ state: 'critical', stateType: 'hard' });
  });
});
