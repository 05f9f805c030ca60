/**
 * Probe locations end to end: a real `kansoku server` and two real `kansoku agent --probe`
 * processes (tokyo, osaka) probing a TCP target the test controls. Shows per-location results,
 * "bad when k of n fail" for k = 1 and k = 2, a stopped agent turning its location UNKNOWN
 * ("probe osaka silent since …"), and a server restart during which the agents buffer results
 * and deliver them afterwards.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, cli, freePort, startServerProcess, waitUntilReady, type ServerProc } from '../support/server-process.js';

interface LocationJson {
  location: string;
  state: string;
  stateType: string;
  silentSince: string | null;
  message: string | null;
}
interface CheckJson {
  name: string;
  state: string;
  stateType: string;
  message: string | null;
}

interface AgentProc {
  proc: ChildProcess;
  logs: () => string;
  stop(): Promise<number | null>;
}

function startAgent(location: string, url: string, token: string): AgentProc {
  let out = '';
  const proc = spawn(process.execPath, [BIN, 'agent', '--probe', location, '--server', url, '--poll', '1s'], { env: { ...process.env, KANSOKU_TOKEN: token }, stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  process.once('exit', () => proc.kill('SIGKILL'));
  return {
    proc,
    logs: () => out,
    stop: () =>
      new Promise((resolve) => {
        if (proc.exitCode !== null) return resolve(proc.exitCode);
        const kill = setTimeout(() => proc.kill('SIGKILL'), 15_000);
        proc.once('exit', (code) => {
          clearTimeout(kill);
          resolve(code);
        });
        proc.kill('SIGTERM');
      }),
  };
}

/** `kansoku server` again on the same data dir and port (the agents know that URL). */
async function restartServer(dataDir: string, port: number): Promise<ServerProc> {
  let out = '';
  const proc = spawn(process.execPath, [BIN, 'server', '--data-dir', dataDir, '--listen', `127.0.0.1:${port}`], { stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  process.once('exit', () => proc.kill('SIGKILL'));
  const url = `http://127.0.0.1:${port}`;
  await waitUntilReady(proc, `${url}/healthz`, 'server', 60_000, () => out);
  return {
    url,
    dataDir,
    proc,
    logs: () => out,
    token: () => readFileSync(path.join(dataDir, 'admin-token'), 'utf8').trim(),
    stop: () =>
      new Promise((resolve) => {
        if (proc.exitCode !== null) return resolve(proc.exitCode);
        proc.once('exit', (code) => resolve(code));
        proc.kill('SIGTERM');
      }),
  };
}

/** A TCP target that accepts and closes; `stop` makes it refuse connections (fails for every location). */
class Target {
  server: Server | null = null;
  readonly sockets = new Set<Socket>();
  constructor(readonly port: number) {}
  async start(): Promise<void> {
    const s = createServer((sock) => sock.end('hello\n'));
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.server = s;
  }
  async stop(): Promise<void> {
    const s = this.server;
    this.server = null;
    if (s) await new Promise<void>((r) => s.close(() => r()));
  }
}

describe('probe locations, end to end', () => {
  let s: ServerProc;
  let token: string;
  let target: Target;
  const agents: Record<string, AgentProc> = {};
  const dir = mkdtempSync(path.join(tmpdir(), 'ksk-e2e-probes-'));

  const api = async <T>(p: string): Promise<T> => {
    const r = await fetch(`${s.url}${p}`, { headers: { authorization: `Bearer ${token}` } });
    if (!r.ok) throw new Error(`${p}: ${r.status} ${await r.text()}`);
    return (await r.json()) as T;
  };
  const locationsOf = async (name: string) => (await api<{ locations: { location: string; checks: (LocationJson & { check: string })[] }[] }>('/api/v1/probes')).locations.map((l) => ({ location: l.location, ...l.checks.find((c) => c.check === name) }));
  /** Polls until every named check is in the wanted state (bounded). */
  const waitFor = async (want: Record<string, string>, timeoutMs = 25_000): Promise<Record<string, CheckJson>> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const got = Object.fromEntries(await Promise.all(Object.keys(want).map(async (n) => [n, await api<CheckJson>(`/api/v1/checks/${n}`)] as const)));
      if (Object.entries(want).every(([n, st]) => got[n]!.state === st)) return got;
      if (Date.now() > deadline) throw new Error(`checks not in ${JSON.stringify(want)} within ${timeoutMs} ms: ${JSON.stringify(got, null, 1)}\nserver:\n${s.logs().slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };

  beforeAll(async () => {
    target = new Target(await freePort());
    await target.start();
    s = await startServerProcess();
    token = s.token();
    const spec = (k: number) => `  type: tcp
  host: 127.0.0.1
  port: ${target.port}
  interval: 1s
  timeout: 500ms
  attempts: 1
  locations: [tokyo, osaka]
  minFailingLocations: ${k}`;
    writeFileSync(
      path.join(dir, 'checks.yaml'),
      `apiVersion: kansoku/v1
kind: Check
metadata: {name: any-of-2}
spec:
${spec(1)}
---
apiVersion: kansoku/v1
kind: Check
metadata: {name: all-of-2}
spec:
${spec(2)}
`,
    );
    const r = cli(['apply', '-f', path.join(dir, 'checks.yaml')], { KANSOKU_URL: s.url, KANSOKU_TOKEN: token });
    expect(r.code, r.stderr).toBe(0);
    agents.tokyo = startAgent('tokyo', s.url, token);
    agents.osaka = startAgent('osaka', s.url, token);
  }, 120_000);

  afterAll(async () => {
    await Promise.all(Object.values(agents).map((a) => a.stop()));
    await s?.stop();
    await target?.stop();
  });

  it('runs each check from both probes and keeps results per location', async () => {
    await waitFor({ 'any-of-2': 'ok', 'all-of-2': 'ok' });
    for (const loc of ['tokyo', 'osaka']) {
      // The state changes when a result is accepted; the result history is written by the
      // batching writer a moment later, so wait for it.
      type Rows = { results: { location: string; status: string; message: string }[] };
      let rows: Rows = { results: [] };
      for (const deadline = Date.now() + 15_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 250))) {
        rows = await api<Rows>(`/api/v1/checks/all-of-2/results?location=${loc}&limit=5`);
        if (rows.results.length > 0) break;
      }
      expect(rows.results.length).toBeGreaterThan(0);
      expect(rows.results.every((x) => x.location === loc && x.status === 'ok')).toBe(true);
    }
    // The server runs neither check itself.
    const local = await api<{ results: unknown[] }>('/api/v1/checks/all-of-2/results?location=local');
    expect(local.results).toEqual([]);
    expect((await locationsOf('all-of-2')).map((l) => `${l.location}:${l.state}`)).toEqual(['osaka:ok', 'tokyo:ok']);
  }, 60_000);

  it('turns CRITICAL when the target fails from everywhere, and names the failing locations', async () => {
    await target.stop();
    const got = await waitFor({ 'any-of-2': 'critical', 'all-of-2': 'critical' });
    expect(got['all-of-2']!.message).toMatch(/^2 of 2 locations failing \(bad when 2 of 2 fail\); tokyo CRITICAL: .*; osaka CRITICAL: /);
  }, 60_000);

  it('marks a stopped probe silent (UNKNOWN), which matters for 2-of-2 but not for 1-of-2', async () => {
    expect(await agents.osaka!.stop()).toBe(0);
    const got = await waitFor({ 'all-of-2': 'unknown', 'any-of-2': 'critical' });
    expect(got['all-of-2']!.message).toMatch(/osaka UNKNOWN: probe osaka silent since \d{4}-\d\d-\d\dT/);
    const osaka = (await locationsOf('all-of-2')).find((l) => l.location === 'osaka')!;
    expect(osaka).toMatchObject({ state: 'unknown', stateType: 'hard' });
    expect(osaka.silentSince).not.toBeNull();

    // The target comes back: tokyo alone settles 2-of-2 (it cannot be bad any more), not 1-of-2.
    await target.start();
    await waitFor({ 'all-of-2': 'ok', 'any-of-2': 'unknown' });
    const status = cli(['status', '--json'], { KANSOKU_URL: s.url, KANSOKU_TOKEN: token });
    expect(status.code, status.stderr).toBe(0);
    const any = (JSON.parse(status.stdout) as CheckJson[]).find((c) => c.name === 'any-of-2')!;
    expect(any.message).toContain('probe osaka silent since');

    agents.osaka = startAgent('osaka', s.url, token);
    await waitFor({ 'all-of-2': 'ok', 'any-of-2': 'ok' });
  }, 90_000);

  it('loses no result while the server restarts: the agents buffer and deliver afterwards', async () => {
    const port = Number(new URL(s.url).port);
    expect(await s.stop()).toBe(0);
    const downFrom = Date.now();
    await new Promise((r) => setTimeout(r, 3000));
    const downUntil = Date.now();
    s = await restartServer(s.dataDir, port);
    // Runs that started while no server was there arrive once it is back.
    const deadline = Date.now() + 20_000;
    let during: { startedAt: string }[] = [];
    for (;;) {
      const q = `start=${new Date(downFrom + 500).toISOString()}&end=${new Date(downUntil - 500).toISOString()}&limit=100`;
      during = (await api<{ results: { startedAt: string }[] }>(`/api/v1/checks/any-of-2/results?location=tokyo&${q}`)).results;
      if (during.length >= 2 || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(during.length).toBeGreaterThanOrEqual(2);
    expect(agents.tokyo!.logs()).toContain('cannot push results; will retry');
    await waitFor({ 'all-of-2': 'ok', 'any-of-2': 'ok' });
  }, 120_000);
});
