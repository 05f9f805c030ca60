/**
 * Alert state survives restarts of a real `kansoku server` (killed with SIGKILL, no chance to
 * save anything on the way out): a tcp check against a closed loopback port raises CheckFailed,
 * routed to a webhook receiver in this test with an EscalationPolicy. The acknowledgement, the
 * escalation step reached, the start time and the notification log are the same after the
 * restart, and nothing is notified twice. When the port opens while the server is down, the
 * alert resolves once after the restart. A maintenance window records the alert as suppressed
 * and delivers nothing until the window is deleted.
 */
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer as createTcpServer, type Server as TcpServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requirePeer } from '../support/peer.js';
import { createScratchDatabase, PG_ADMIN_URL } from '../support/postgres.js';
import { BIN, freePort, startServerProcess, type ServerProc } from '../support/server-process.js';

const hasPostgres = await requirePeer('PostgreSQL on 127.0.0.1:5432', async (): Promise<true> => {
  const c = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 2000 });
  await c.connect();
  await c.end();
  return true;
});
const pgUrl = hasPostgres ? await createScratchDatabase() : '';

interface Hook {
  path: string;
  status: 'firing' | 'resolved';
  alerts: { status: string; labels: Record<string, string>; startsAt: string; fingerprint: string }[];
}

/** Webhook receivers on one loopback port; records every POST by path. */
class Receiver {
  readonly got: Hook[] = [];
  port = 0;
  private server: Server | undefined;
  async start(): Promise<void> {
    this.port = await freePort();
    this.server = createServer((req, res) => {
      let text = '';
      req.on('data', (d: Buffer) => (text += d.toString()));
      req.on('end', () => {
        try {
          this.got.push({ path: req.url ?? '', ...(JSON.parse(text) as Omit<Hook, 'path'>) });
        } catch {
          /* not a notification */
        }
        res.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((r) => this.server!.listen(this.port, '127.0.0.1', r));
  }
  count(p: string, check: string, status: 'firing' | 'resolved'): number {
    return this.got.filter((h) => h.path === p && h.alerts.some((a) => a.labels.check === check && a.status === status)).length;
  }
  close(): Promise<void> {
    return new Promise((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}

/** The CLI without blocking this process (the receiver lives here). */
function cli(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env: { ...process.env, NO_COLOR: '1', ...env }, encoding: 'utf8', timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

async function until<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface AlertJson {
  fingerprint: string;
  state: string;
  startsAt: string;
  labels: Record<string, string>;
  ack: { by: string; at: string; comment: string } | null;
  reasons: string[];
}
interface Detail {
  alert: AlertJson;
  history: { at: string; event: string; detail: string }[];
  escalations: { policy: string; startedAt: string; stepReached: number; stopped: boolean; notified: string[] }[];
  notifications: { channel: string; status: string; reason: string; step: number | null; outcome: string; delivery: { status: string } | null }[];
}
interface Status {
  groups: { groupKey: string; alerts: string[]; nextFlushAt: string }[];
}

const engines = [
  { engine: 'sqlite', skip: false, args: (_dir: string): string[] => [] },
  { engine: 'postgres', skip: !hasPostgres, args: (dir: string): string[] => ['--state', pgUrl, '--secret-key-file', path.join(dir, 'secret.key')] },
];

describe.each(engines)('alert state across restarts (real server on $engine state, SIGKILL)', ({ skip, args }) => {
  if (skip) {
    it.skip('needs PostgreSQL', () => undefined);
    return;
  }
  let s: ServerProc;
  let env: Record<string, string>;
  const receiver = new Receiver();
  const dir = mkdtempSync(path.join(tmpdir(), 'ksk-e2e-alert-state-'));
  let dbPort: number;
  let mwPort: number;
  let listener: TcpServer | undefined;
  let fp = '';
  let before: AlertJson;

  const api = async <T>(p: string, init: RequestInit = {}): Promise<T> => {
    const r = await fetch(`${s.url}${p}`, { ...init, headers: { authorization: `Bearer ${env.KANSOKU_TOKEN}`, 'content-type': 'application/json', ...(init.headers ?? {}) } });
    if (!r.ok) throw new Error(`${p}: ${r.status} ${await r.text()}`);
    return (await r.json()) as T;
  };
  const show = (f: string) => api<Detail>(`/api/v1/alerts/${f}`);
  const dataDir = mkdtempSync(path.join(tmpdir(), 'ksk-e2e-alert-state-data-'));
  const start = async () => {
    s = await startServerProcess({ dataDir, args: args(dataDir) });
    env = { KANSOKU_URL: s.url, KANSOKU_TOKEN: s.token() };
  };
  /** Waits until routing has flushed the group holding `f` twice after now (so anything it would send was sent). */
  const twoFlushes = async (f: string) => {
    const t = Date.now();
    await until('two group flushes', async () => {
      const g = (await api<Status>('/api/v1/alerting/status')).groups.find((x) => x.alerts.includes(f));
      return g && Date.parse(g.nextFlushAt) > t + 2000 ? true : undefined;
    });
  };

  beforeAll(async () => {
    await receiver.start();
    dbPort = await freePort();
    mwPort = await freePort();
    await start();
    const now = Date.now();
    writeFileSync(
      path.join(dir, 'alerting.yaml'),
      `apiVersion: kansoku/v1
kind: Channel
metadata: {name: ops}
spec: {type: webhook, url: "http://127.0.0.1:${receiver.port}/ops", timeout: 2s}
---
apiVersion: kansoku/v1
kind: Channel
metadata: {name: lead}
spec: {type: webhook, url: "http://127.0.0.1:${receiver.port}/lead", timeout: 2s}
---
apiVersion: kansoku/v1
kind: EscalationPolicy
metadata: {name: oncall}
spec:
  steps:
    - {after: 1s, receivers: [lead]}
    - {after: 6h, receivers: [lead]}
---
apiVersion: kansoku/v1
kind: Route
metadata: {name: root}
spec: {receiver: ops, groupBy: [alertname, check], groupWait: 0s, groupInterval: 1s, repeatInterval: 4h, escalationPolicy: oncall}
---
apiVersion: kansoku/v1
kind: MaintenanceWindow
metadata: {name: mw-upgrade}
spec: {checks: [mw-db], start: "${new Date(now - 60_000).toISOString()}", end: "${new Date(now + 3 * 3600_000).toISOString()}", comment: upgrade}
---
apiVersion: kansoku/v1
kind: Check
metadata: {name: db-port}
spec: {type: tcp, host: 127.0.0.1, port: ${dbPort}, interval: 1s, timeout: 500ms, attempts: 1, severity: critical}
---
apiVersion: kansoku/v1
kind: Check
metadata: {name: mw-db}
spec: {type: tcp, host: 127.0.0.1, port: ${mwPort}, interval: 1s, timeout: 500ms, attempts: 1, severity: critical}
`,
    );
    const r = await cli(['apply', '-f', path.join(dir, 'alerting.yaml')], env);
    if (r.code !== 0) throw new Error(`apply failed: ${r.stderr}`);
  }, 120_000);
  afterAll(async () => {
    await s?.stop('SIGKILL');
    await new Promise<void>((r) => (listener ? listener.close(() => r()) : r()));
    await receiver.close();
  });

  it('a failing check notifies ops, escalates to lead, and is acknowledged', async () => {
    await until('the firing notification at ops', () => receiver.count('/ops', 'db-port', 'firing') > 0 || undefined);
    await until('the escalation to lead', () => receiver.count('/lead', 'db-port', 'firing') > 0 || undefined);
    const list = await until('the alert listed', async () => (await api<{ alerts: AlertJson[] }>('/api/v1/alerts')).alerts.find((a) => a.labels.check === 'db-port'));
    fp = list.fingerprint;
    const ack = await cli(['ack', fp, '--comment', 'INC-7: restarting db'], env);
    expect(ack.code, ack.stderr).toBe(0);
    // The notification log shows both, and the escalation reached its first step.
    const d = await until('the notification log and escalation', async () => {
      const x = await show(fp);
      return x.notifications.length >= 2 && x.escalations[0]?.stepReached === 0 ? x : undefined;
    });
    expect(d.notifications.map((n) => `${n.channel}:${n.status}:${n.reason}`)).toEqual(['ops:firing:route', 'lead:firing:escalation']);
    expect(d.history.map((h) => h.event)).toEqual(expect.arrayContaining(['firing', 'acknowledged', 'escalated']));
    expect(d.escalations[0]).toMatchObject({ policy: 'oncall', stepReached: 0, stopped: true });
    before = (JSON.parse((await cli(['alerts', '--json'], env)).stdout) as AlertJson[]).find((a) => a.fingerprint === fp)!;
    expect(before.ack).toMatchObject({ by: 'admin', comment: 'INC-7: restarting db' });
  });

  it('after SIGKILL and a restart: same acknowledgement, start time, escalation step; nothing notified again', async () => {
    const escalationBefore = (await show(fp)).escalations[0]!;
    const opsBefore = receiver.count('/ops', 'db-port', 'firing');
    const leadBefore = receiver.count('/lead', 'db-port', 'firing');
    expect(await s.stop('SIGKILL')).toBe(null);
    const restartedAt = Date.now();
    await start();
    const after = await until('the alert listed after the restart', async () => {
      const r = await cli(['alerts', '--json'], env);
      return (JSON.parse(r.stdout) as AlertJson[]).find((a) => a.fingerprint === fp);
    });
    expect(after.state).toBe('firing');
    expect(after.ack).toEqual(before.ack);
    expect(after.startsAt).toBe(before.startsAt);
    // The check runs again and routing flushes the group: it must not send anything new.
    await until('a check run after the restart', async () => {
      const c = await api<{ state: string; lastRun: { startedAt: string } | null }>('/api/v1/checks/db-port');
      return c.lastRun && Date.parse(c.lastRun.startedAt) > restartedAt && c.state === 'critical' ? true : undefined;
    });
    await twoFlushes(fp);
    const d = await show(fp);
    expect(d.escalations).toEqual([{ ...escalationBefore }]);
    expect(d.history.map((h) => h.event)).toContain('restored');
    expect(d.notifications.map((n) => `${n.channel}:${n.status}`)).toEqual(['ops:firing', 'lead:firing']);
    expect(receiver.count('/ops', 'db-port', 'firing')).toBe(opsBefore);
    expect(receiver.count('/lead', 'db-port', 'firing')).toBe(leadBefore);
    const json = await cli(['alerts', 'show', fp, '--json'], env);
    expect(json.code, json.stderr).toBe(0);
    expect((JSON.parse(json.stdout) as Detail).alert.ack).toEqual(before.ack);
    const shown = await cli(['alerts', 'show', fp], env);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toMatch(/acknowledged: .* by admin: INC-7: restarting db/);
    expect(shown.stdout).toMatch(/escalation:\s+policy oncall, step 0 reached \(stopped\)/);
  });

  it('an alert whose check recovered while the server was down resolves once after the restart', async () => {
    expect(await s.stop('SIGKILL')).toBe(null);
    listener = createTcpServer((c) => c.end());
    await new Promise<void>((r) => listener!.listen(dbPort, '127.0.0.1', r));
    await start();
    await until('the resolved notification at ops', () => receiver.count('/ops', 'db-port', 'resolved') > 0 || undefined);
    await until('the resolved notification at lead (notified by escalation)', () => receiver.count('/lead', 'db-port', 'resolved') > 0 || undefined);
    // The group is gone once its resolution went out; only then is the count final.
    await until('the group removed', async () => ((await api<Status>('/api/v1/alerting/status')).groups.some((g) => g.alerts.includes(fp)) ? undefined : true));
    expect(receiver.count('/ops', 'db-port', 'resolved')).toBe(1);
    expect(receiver.count('/lead', 'db-port', 'resolved')).toBe(1);
    const d = await show(fp);
    expect(d.alert.state).toBe('resolved');
    expect(d.notifications.filter((n) => n.status === 'resolved').map((n) => n.channel).sort()).toEqual(['lead', 'ops']);
  });

  it('a maintenance window records the alert as suppressed and delivers nothing; deleting it delivers', async () => {
    const mw = await until('the mw-db alert suppressed', async () => {
      const a = (await api<{ alerts: AlertJson[] }>('/api/v1/alerts')).alerts.find((x) => x.labels.check === 'mw-db');
      return a?.state === 'suppressed' ? a : undefined;
    });
    expect(mw.reasons).toEqual(['maintenance window mw-upgrade']);
    await until('the suppression stored in the history', async () => ((await show(mw.fingerprint)).history.some((h) => h.event === 'suppressed' && h.detail.includes('mw-upgrade')) ? true : undefined));
    await twoFlushes(mw.fingerprint);
    expect(receiver.got.filter((h) => h.alerts.some((a) => a.labels.check === 'mw-db'))).toEqual([]);
    expect((await show(mw.fingerprint)).notifications).toEqual([]);
    expect((await cli(['delete', 'MaintenanceWindow', 'mw-upgrade'], env)).code).toBe(0);
    await until('the mw-db alert delivered to ops', () => receiver.count('/ops', 'mw-db', 'firing') > 0 || undefined);
    const d = await until('the state firing in the history', async () => {
      const x = await show(mw.fingerprint);
      return x.history.some((h) => h.event === 'firing') ? x : undefined;
    });
    expect(d.history.map((h) => h.event).filter((e) => e === 'suppressed' || e === 'firing')).toEqual(['suppressed', 'firing']);
    expect(d.notifications.filter((n) => n.channel === 'ops').map((n) => `${n.channel}:${n.status}:${n.outcome}`)).toEqual(['ops:firing:queued']);
  });
});
