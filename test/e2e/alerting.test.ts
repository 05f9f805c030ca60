/**
 * Alerting as a user meets it: a real `kansoku server` checks a real nginx every second; a
 * Channel of type webhook points at an HTTP receiver in this test; the Route `root` of the
 * issue routes everything there. Stopping nginx delivers Alertmanager's webhook JSON with
 * status firing and the check's name; starting it delivers the resolved notification. A drill
 * reports its hops, a silence mutes, an acknowledgement records who, and a restart of the
 * server while the receiver refuses loses nothing: the outbox delivers after the restart.
 */
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNginx, NGINX_BIN, type NginxInstance } from '../../src/sources/checks/http/test-support/nginx.js';
import { hasExecutable, requirePeer } from '../support/peer.js';
import { BIN, freePort, startServerProcess, type ServerProc } from '../support/server-process.js';

const hasNginx = await requirePeer('nginx (Debian package)', () => hasExecutable(NGINX_BIN));

interface WebhookAlert {
  status: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  fingerprint: string;
}
interface WebhookBody {
  version: string;
  status: 'firing' | 'resolved';
  receiver: string;
  groupKey: string;
  groupLabels: Record<string, string>;
  commonLabels: Record<string, string>;
  alerts: WebhookAlert[];
  truncatedAlerts: number;
}
interface Received {
  body: WebhookBody;
  answered: number;
  at: number;
}

/** An Alertmanager webhook receiver: records every POST and answers `status` (200 unless told). */
class Receiver {
  readonly got: Received[] = [];
  status = 200;
  private server: Server | undefined;
  port = 0;
  async start(): Promise<void> {
    this.port = await freePort();
    this.server = createServer((req, res) => {
      let text = '';
      req.on('data', (d: Buffer) => (text += d.toString()));
      req.on('end', () => {
        const answered = this.status;
        try {
          this.got.push({ body: JSON.parse(text) as WebhookBody, answered, at: Date.now() });
        } catch {
          /* not JSON: not ours */
        }
        res.writeHead(answered, { 'content-type': 'text/plain' }).end(answered === 200 ? 'ok' : 'try later');
      });
    });
    await new Promise<void>((r) => this.server!.listen(this.port, '127.0.0.1', r));
  }
  accepted(pred: (b: WebhookBody) => boolean): Received[] {
    return this.got.filter((g) => g.answered === 200 && pred(g.body));
  }
  async waitFor(pred: (b: WebhookBody) => boolean, timeoutMs: number, accepted = true): Promise<Received> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.got.find((g) => (!accepted || g.answered === 200) && pred(g.body));
      if (hit) return hit;
      if (Date.now() > deadline) throw new Error(`no matching webhook within ${timeoutMs} ms; received: ${JSON.stringify(this.got.map((g) => [g.answered, g.body.status, g.body.alerts.map((a) => a.labels.alertname)]))}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  close(): Promise<void> {
    return new Promise((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}

/**
 * The CLI as a user runs it, without blocking this process: the webhook receiver lives here and
 * must answer while a verb (a drill) waits for it.
 */
function cli(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env: { ...process.env, NO_COLOR: '1', ...env }, encoding: 'utf8', timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

const isShopAlert = (status: 'firing' | 'resolved') => (b: WebhookBody) => b.status === status && b.alerts.some((a) => a.labels.check === 'shop-top' && a.status === status);

describe.skipIf(!hasNginx)('alerting end to end: check → route → outbox → webhook', () => {
  let s: ServerProc;
  let env: Record<string, string>;
  let nginx: NginxInstance | undefined;
  let nginxPort: number;
  const receiver = new Receiver();
  const dir = mkdtempSync(path.join(tmpdir(), 'ksk-e2e-alerting-'));
  const startShop = async () => {
    nginx = await startNginx(path.join(dir, 'nginx'), `server { listen 127.0.0.1:${nginxPort}; location / { return 200 "Add to cart\\n"; } }`, [nginxPort]);
  };
  const api = async <T>(p: string, init: RequestInit = {}): Promise<T> => {
    const r = await fetch(`${s.url}${p}`, { ...init, headers: { authorization: `Bearer ${env.KANSOKU_TOKEN}`, 'content-type': 'application/json', ...(init.headers ?? {}) } });
    if (!r.ok) throw new Error(`${p}: ${r.status} ${await r.text()}`);
    return (await r.json()) as T;
  };
  const checkState = async () => (await api<{ state: string; stateType: string }>('/api/v1/checks/shop-top')).state;
  const waitCheck = async (state: string) => {
    const deadline = Date.now() + 20_000;
    while ((await checkState()) !== state) {
      if (Date.now() > deadline) throw new Error(`shop-top never became ${state}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  beforeAll(async () => {
    await receiver.start();
    nginxPort = await freePort();
    await startShop();
    s = await startServerProcess();
    env = { KANSOKU_URL: s.url, KANSOKU_TOKEN: s.token() };
    writeFileSync(
      path.join(dir, 'alerting.yaml'),
      `apiVersion: kansoku/v1
kind: Channel
metadata: {name: ops-webhook}
spec: {type: webhook, url: "http://127.0.0.1:${receiver.port}/hook", timeout: 2s}
---
apiVersion: kansoku/v1
kind: Route
metadata: {name: root}
spec: {receiver: ops-webhook, groupBy: [alertname, service], groupWait: 0s, groupInterval: 1s, repeatInterval: 4h}
---
apiVersion: kansoku/v1
kind: Check
metadata: {name: shop-top, labels: {service: shop}}
spec:
  type: http
  url: http://127.0.0.1:${nginxPort}/
  interval: 1s
  timeout: 800ms
  attempts: 1
  severity: critical
  runbook: https://wiki.example.test/runbooks/shop
  expect: {status: [200], bodyContains: "Add to cart"}
`,
    );
  });
  afterAll(async () => {
    await s?.stop('SIGKILL');
    await nginx?.stop();
    await receiver.close();
  });

  it('applies a channel, the root route and a check that turns OK', async () => {
    const r = await cli(['apply', '-f', path.join(dir, 'alerting.yaml')], env);
    expect(r.code, r.stderr).toBe(0);
    await waitCheck('ok');
  });

  it('evaluates a PromQL AlertRule and writes its ALERTS series, queryable through the Prometheus API', async () => {
    writeFileSync(path.join(dir, 'rule.yaml'), `apiVersion: kansoku/v1\nkind: AlertRule\nmetadata: {name: always-on}\nspec: {alert: AlwaysOn, expr: "vector(1)", interval: 1s, labels: {severity: info, service: meta}}\n`);
    const r = await cli(['apply', '-f', path.join(dir, 'rule.yaml'), '--no-prune'], env);
    expect(r.code, r.stderr).toBe(0);
    await receiver.waitFor((b) => b.alerts.some((a) => a.labels.alertname === 'AlwaysOn'), 15_000);
    const deadline = Date.now() + 20_000;
    let result: { metric: Record<string, string> }[] = [];
    while (Date.now() < deadline && !result.length) {
      result = (await api<{ data: { result: { metric: Record<string, string> }[] } }>(`/api/v1/query?query=${encodeURIComponent('ALERTS{alertname="AlwaysOn"}')}`)).data.result;
      if (!result.length) await new Promise((res) => setTimeout(res, 250));
    }
    expect(result[0]?.metric).toMatchObject({ __name__: 'ALERTS', alertname: 'AlwaysOn', alertstate: 'firing', service: 'meta' });
  });

  it('previews the exact webhook request without sending it', async () => {
    const before = receiver.got.length;
    const p = await api<{ type: string; request: { method: string; url: string; body: string } }>('/api/v1/channels/ops-webhook/preview', { method: 'POST', body: '{}' });
    expect(p.type).toBe('webhook');
    expect(p.request.method).toBe('POST');
    // The webhook URL is the channel's secret: the preview shows its origin only.
    expect(p.request.url).not.toContain('/hook');
    const body = JSON.parse(p.request.body) as WebhookBody;
    expect(body.version).toBe('4');
    expect(body.alerts[0]!.labels.alertname).toBe('KansokuDrill');
    expect(receiver.got.length).toBe(before);
  });

  it('a drill goes through the real route to the real channel and reports each hop', async () => {
    const r = await cli(['drill', '--json'], env);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as { ok: boolean; receivers: string[]; hops: { hop: string; outcome: string; latencyMs: number; status?: number }[] };
    expect(report.ok).toBe(true);
    expect(report.receivers).toEqual(['ops-webhook']);
    expect(report.hops.map((h) => `${h.hop}:${h.outcome}`)).toEqual(['route:ok', 'render:ok', 'deliver:delivered']);
    expect(report.hops[2]!.status).toBe(200);
    const got = await receiver.waitFor((b) => b.alerts.some((a) => a.labels.alertname === 'KansokuDrill'), 5000);
    expect(got.body.receiver).toBe('ops-webhook');
  });

  it('stopping nginx delivers a firing Alertmanager notification naming the check', async () => {
    const stoppedAt = Date.now();
    await nginx!.stop();
    const got = await receiver.waitFor(isShopAlert('firing'), 20_000);
    const b = got.body;
    const startsAt = Date.parse(b.alerts[0]!.startsAt);
    process.stdout.write(`alerting e2e: nginx stopped → firing webhook in ${got.at - stoppedAt} ms (check interval 1 s); failing run started → webhook ${got.at - startsAt} ms\n`);
    expect(b.version).toBe('4');
    expect(b.receiver).toBe('ops-webhook');
    expect(b.groupLabels).toEqual({ alertname: 'CheckFailed', service: 'shop' });
    expect(b.groupKey).toBe('{}:{alertname="CheckFailed", service="shop"}');
    const a = b.alerts.find((x) => x.labels.check === 'shop-top')!;
    expect(a.labels).toMatchObject({ alertname: 'CheckFailed', check: 'shop-top', severity: 'critical', service: 'shop', host: '127.0.0.1' });
    expect(a.annotations.summary).toMatch(/^shop-top: /);
    expect(a.annotations.runbook_url).toBe('https://wiki.example.test/runbooks/shop');
    expect(a.endsAt).toBe('0001-01-01T00:00:00Z');
    expect(a.fingerprint).toMatch(/^[0-9a-f]{16}$/);
  });

  it('kansoku alerts lists it; kansoku ack records who and why', async () => {
    const list = await cli(['alerts', '--json'], env);
    expect(list.code, list.stderr).toBe(0);
    const alerts = JSON.parse(list.stdout) as { fingerprint: string; state: string; labels: Record<string, string> }[];
    const mine = alerts.find((a) => a.labels.check === 'shop-top');
    expect(mine?.state).toBe('firing');
    const table = await cli(['alerts'], env);
    expect(table.stdout).toMatch(/FIRING\s+critical\s+CheckFailed\s+.*check=shop-top/);
    const ack = await cli(['ack', mine!.fingerprint, '--comment', 'restarting nginx'], env);
    expect(ack.code, ack.stderr).toBe(0);
    const after = await api<{ alerts: { fingerprint: string; ack: { by: string; comment: string } | null }[] }>('/api/v1/alerts');
    expect(after.alerts.find((a) => a.fingerprint === mine!.fingerprint)?.ack).toMatchObject({ by: 'admin', comment: 'restarting nginx' });
    expect((await cli(['ack', '0000000000000000'], env)).code).toBe(1);
  });

  it('kansoku silence creates a Silence object that marks the alert suppressed with the reason', async () => {
    const r = await cli(['silence', '--matcher', 'check="shop-top"', '--duration', '10m', '--comment', 'maintenance', '--name', 'shop-maint'], env);
    expect(r.code, r.stderr).toBe(0);
    const obj = await api<{ kind: string; spec: { matchers: string[]; comment: string } }>('/api/v1/objects/Silence/shop-maint');
    expect(obj.spec.matchers).toEqual(['check="shop-top"']);
    const deadline = Date.now() + 5000;
    let st: { state: string; reasons: string[] } | undefined;
    while (Date.now() < deadline) {
      st = (await api<{ alerts: { state: string; reasons: string[]; labels: Record<string, string> }[] }>('/api/v1/alerts')).alerts.find((a) => a.labels.check === 'shop-top');
      if (st?.state === 'suppressed') break;
      await new Promise((res) => setTimeout(res, 50));
    }
    expect(st).toMatchObject({ state: 'suppressed', reasons: ['silenced by shop-maint'] });
    expect((await cli(['delete', 'Silence', 'shop-maint'], env)).code).toBe(0);
  });

  it('starting nginx again delivers the resolved notification', async () => {
    await startShop();
    const got = await receiver.waitFor(isShopAlert('resolved'), 20_000);
    const a = got.body.alerts.find((x) => x.labels.check === 'shop-top')!;
    expect(a.status).toBe('resolved');
    expect(Date.parse(a.endsAt)).toBeGreaterThanOrEqual(Date.parse(a.startsAt));
    await waitCheck('ok');
  });

  it('a restart during failing deliveries loses nothing and doubles nothing', async () => {
    receiver.status = 503;
    const refusedBefore = receiver.got.length;
    await nginx!.stop();
    // The receiver refuses the firing notification at least once: it is in the outbox, not lost.
    await receiver.waitFor((b) => isShopAlert('firing')(b), 20_000, false);
    expect(receiver.got.slice(refusedBefore).every((g) => g.answered === 503)).toBe(true);
    const dataDir = s.dataDir;
    expect(await s.stop('SIGTERM')).toBe(0);
    receiver.status = 200;
    const acceptedBefore = receiver.accepted(isShopAlert('firing')).length;
    s = await startServerProcess({ dataDir });
    env = { KANSOKU_URL: s.url, KANSOKU_TOKEN: s.token() };
    const got = await receiver.waitFor((b) => isShopAlert('firing')(b) && receiver.accepted(isShopAlert('firing')).length > acceptedBefore, 30_000);
    const episode = got.body.alerts.find((a) => a.labels.check === 'shop-top')!.startsAt;
    // Give a doubled send (a re-dispatch after the restart under another key) time to show up.
    await new Promise((r) => setTimeout(r, 4000));
    const sameEpisode = receiver.accepted((b) => isShopAlert('firing')(b) && b.alerts.some((a) => a.labels.check === 'shop-top' && a.startsAt === episode));
    expect(sameEpisode.length).toBe(1);
  });
});
