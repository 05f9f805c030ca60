/**
 * The alerting module on a real SQLite state store with the checks module before it: a check
 * turning hard CRITICAL reaches a webhook receiver through routing and the outbox; the alerts
 * API lists it (and why it is suppressed), acknowledges it as the token's name, drills and
 * previews; bad input is refused with the field.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAlertingModule } from '../../alerting-module/module.js';
import { AuditService } from '../../audit/audit-service.js';
import { TokenService } from '../../auth/tokens.js';
import { createChecksModule } from '../../checks/checks-module.js';
import { MemoryTelemetry } from '../../checks/test-support/memory-telemetry.js';
import type { ServerConfig } from '../../config/server-config.js';
import { ObjectService } from '../../inventory/object-service.js';
import { silentLogger } from '../../lib/logger.js';
import { SelfMetrics } from '../../selfmon/metrics.js';
import { buildKindRegistry } from '../../server/kinds.js';
import type { ModuleContext, ModuleHandle } from '../../server/module.js';
import { openSqlite } from '../../store/state/open-state-store.js';
import type { StateStore } from '../../store/state-store.js';
import type { TelemetryStore } from '../../store/telemetry-store.js';
import { createApiServer } from '../app.js';

let app: FastifyInstance;
let store: StateStore;
const handles: ModuleHandle[] = [];
let editor: string;
let viewer: string;
let hook: Server;
let hookPort: number;
const received: { status: string; alerts: { labels: Record<string, string>; status: string; annotations: Record<string, string> }[] }[] = [];
const queue = mkdtempSync(path.join(tmpdir(), 'ksk-alerts-queue-'));

const auth = (t: string) => ({ authorization: `Bearer ${t}` });
const obj = (kind: string, name: string, spec: unknown, labels: Record<string, string> = {}) => ({ apiVersion: 'kansoku/v1', kind, metadata: { name, labels }, spec });

async function until<T>(fn: () => T | undefined | Promise<T | undefined>, what: string, ms = 5000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

beforeAll(async () => {
  hook = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      received.push(JSON.parse(body));
      res.end('ok');
    });
  });
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
  hookPort = (hook.address() as { port: number }).port;
  store = await openSqlite(path.join(mkdtempSync(path.join(tmpdir(), 'ksk-alerts-api-')), 'state.db'));
  const checks = createChecksModule({ captureEvidence: null });
  const alerting = createAlertingModule({ externalURL: 'http://kansoku.test', notify: { pollIntervalMs: 50 } });
  const objects = new ObjectService(store, buildKindRegistry([checks, alerting]));
  const tokens = new TokenService(store);
  const metrics = new SelfMetrics();
  editor = (await store.transaction((tx) => tokens.create(tx, { name: 'sato', role: 'editor' }, 'test'))).token;
  viewer = (await store.transaction((tx) => tokens.create(tx, { name: 'grafana', role: 'viewer' }, 'test'))).token;
  const modules = new Map<string, ModuleHandle>();
  const cx = (): ModuleContext => ({ config: { listen: '127.0.0.1:7700' } as ServerConfig, logger: silentLogger(), state: store, telemetry: new MemoryTelemetry() as unknown as TelemetryStore, objects, metrics, modules });
  for (const m of [checks, alerting]) {
    const h = (await m.start!(cx()))!;
    modules.set(m.name, h);
    handles.push(h);
  }
  app = await createApiServer({ logger: silentLogger(), store, objects, audit: new AuditService(store), tokens, metrics, readiness: async () => {}, plugins: handles.map((h) => (a: FastifyInstance) => h.routes!(a)) });
});
afterAll(async () => {
  await app.close();
  for (const h of [...handles].reverse()) await h.stop!();
  await store.close();
  await new Promise((r) => hook.close(r));
  rmSync(queue, { recursive: true, force: true });
});

describe('alerting module and API', () => {
  it('routes a hard CRITICAL check to the webhook channel at once, and its recovery', async () => {
    for (const o of [
      obj('Channel', 'ops-webhook', { type: 'webhook', url: `http://127.0.0.1:${hookPort}/hook` }),
      obj('Route', 'root', { receiver: 'ops-webhook', groupBy: ['alertname', 'service'], groupWait: '0s', groupInterval: '100ms', repeatInterval: '4h' }),
      obj('Check', 'outgoing', { type: 'folder', path: queue, interval: '1h', timeout: '5s', attempts: 1, severity: 'warning', runbook: 'https://wiki.test/outgoing', critical: { minCount: 1 } }, { service: 'orders' }),
    ]) {
      const r = await app.inject({ method: 'POST', url: '/api/v1/objects', headers: auth(editor), payload: o });
      expect(r.statusCode, r.body).toBe(201);
    }
    const t0 = performance.now();
    const run = await app.inject({ method: 'POST', url: '/api/v1/checks/outgoing/run', headers: auth(editor) });
    expect(run.json().state).toMatchObject({ state: 'critical', stateType: 'hard' });
    const firing = await until(() => received.find((b) => b.status === 'firing' && b.alerts.some((a) => a.labels.check === 'outgoing')), 'the firing webhook');
    process.stdout.write(`alerts API test: check run (no evidence capture) → webhook ${(performance.now() - t0).toFixed(0)} ms\n`);
    expect(firing.alerts[0]).toMatchObject({
      status: 'firing',
      labels: { alertname: 'CheckFailed', check: 'outgoing', severity: 'warning', service: 'orders' },
      annotations: { runbook_url: 'https://wiki.test/outgoing', summary: expect.stringMatching(/^outgoing: /) },
    });

    const list = (await app.inject({ url: '/api/v1/alerts', headers: auth(viewer) })).json();
    expect(list.alerts).toEqual([expect.objectContaining({ state: 'firing', severity: 'warning', receivers: ['ops-webhook'], labels: expect.objectContaining({ check: 'outgoing' }) })]);

    writeFileSync(path.join(queue, 'order-1.xml'), '<order/>');
    await app.inject({ method: 'POST', url: '/api/v1/checks/outgoing/run', headers: auth(editor) });
    const resolved = await until(() => received.find((b) => b.status === 'resolved'), 'the resolved webhook');
    expect(resolved.alerts[0]!.labels.check).toBe('outgoing');
    expect((await app.inject({ url: '/api/v1/alerts', headers: auth(viewer) })).json().alerts).toEqual([]);
    expect((await app.inject({ url: '/api/v1/alerts?state=resolved', headers: auth(viewer) })).json().alerts).toHaveLength(1);
  });

  it('acknowledges as the token, shows silences as the reason, refuses viewers and unknown alerts', async () => {
    rmSync(path.join(queue, 'order-1.xml'));
    await app.inject({ method: 'POST', url: '/api/v1/checks/outgoing/run', headers: auth(editor) });
    const a = await until(async () => (await app.inject({ url: '/api/v1/alerts', headers: auth(viewer) })).json().alerts[0] as { fingerprint: string } | undefined, 'the alert');
    expect((await app.inject({ method: 'POST', url: `/api/v1/alerts/${a.fingerprint}/ack`, headers: auth(viewer), payload: {} })).statusCode).toBe(403);
    const ack = await app.inject({ method: 'POST', url: `/api/v1/alerts/${a.fingerprint}/ack`, headers: auth(editor), payload: { comment: 'OPS-7' } });
    expect(ack.json().ack).toMatchObject({ by: 'sato', comment: 'OPS-7' });
    const trail = (await app.inject({ url: '/api/v1/audit?action=alert.ack', headers: auth(editor) })).json();
    expect(JSON.stringify(trail)).toContain('OPS-7');
    const missing = await app.inject({ method: 'POST', url: '/api/v1/alerts/ffffffffffffffff/ack', headers: auth(editor), payload: {} });
    expect([missing.statusCode, missing.json().code]).toEqual([404, 'KSK_ALERT_NOT_FOUND']);
    const bad = await app.inject({ method: 'POST', url: `/api/v1/alerts/${a.fingerprint}/ack`, headers: auth(editor), payload: { who: 'me' } });
    expect(bad.statusCode).toBe(400);

    const now = Date.now();
    const silence = obj('Silence', 'orders-maint', { matchers: ['service="orders"'], startsAt: new Date(now - 1000).toISOString(), endsAt: new Date(now + 3600_000).toISOString(), createdBy: 'sato', comment: 'moving the queue' });
    expect((await app.inject({ method: 'POST', url: '/api/v1/objects', headers: auth(editor), payload: silence })).statusCode).toBe(201);
    const st = await until(async () => {
      const x = (await app.inject({ url: '/api/v1/alerts', headers: auth(viewer) })).json().alerts[0] as { state: string; reasons: string[] };
      return x.state === 'suppressed' ? x : undefined;
    }, 'the silence to apply');
    expect(st.reasons).toEqual(['silenced by orders-maint']);
    expect((await app.inject({ url: '/api/v1/alerts?state=bogus', headers: auth(viewer) })).statusCode).toBe(400);

    // One alert in full: its history (stored), acknowledgement and notification log with delivery states.
    const shown = (await app.inject({ url: `/api/v1/alerts/${a.fingerprint}`, headers: auth(viewer) })).json();
    expect(shown.alert).toMatchObject({ fingerprint: a.fingerprint, state: 'suppressed', ack: { by: 'sato', comment: 'OPS-7' } });
    expect(shown.history.map((h: { event: string }) => h.event)).toEqual(expect.arrayContaining(['firing', 'acknowledged', 'suppressed']));
    expect(shown.history.find((h: { event: string }) => h.event === 'suppressed').detail).toBe('silenced by orders-maint');
    expect(shown.notifications[0]).toMatchObject({ channel: 'ops-webhook', status: 'firing', reason: 'route', outcome: 'queued', delivery: { status: 'delivered' } });
    const unknown = await app.inject({ url: '/api/v1/alerts/ffffffffffffffff', headers: auth(viewer) });
    expect([unknown.statusCode, unknown.json().code]).toEqual([404, 'KSK_ALERT_NOT_FOUND']);
  });

  it('drills through the live route to the channel, and reports a channel that refuses', async () => {
    const before = received.length;
    const d = (await app.inject({ method: 'POST', url: '/api/v1/drill', headers: auth(editor), payload: { labels: { service: 'orders' } } })).json();
    expect(d).toMatchObject({ ok: true, receivers: ['ops-webhook'] });
    expect(d.hops.map((h: { hop: string; outcome: string }) => `${h.hop}:${h.outcome}`)).toEqual(['route:ok', 'render:ok', 'deliver:delivered']);
    expect(received.slice(before).some((b) => b.alerts[0]!.labels.alertname === 'KansokuDrill')).toBe(true);

    await app.inject({ method: 'POST', url: '/api/v1/objects', headers: auth(editor), payload: obj('Channel', 'dead', { type: 'webhook', url: 'http://127.0.0.1:9/hook', timeout: '500ms' }) });
    const dead = (await app.inject({ method: 'POST', url: '/api/v1/drill', headers: auth(editor), payload: { channel: 'dead' } })).json();
    expect(dead.ok).toBe(false);
    expect(dead.hops.at(-1)).toMatchObject({ hop: 'deliver', channel: 'dead', outcome: 'failed' });
  });

  it('evaluates AlertRules: PromQL through the engine on its interval, check-state rules over the checks’ states', async () => {
    const rules = [
      obj('AlertRule', 'always-on', { expr: 'vector(1) > 0', interval: '1s', labels: { severity: 'info', service: 'rules' }, annotations: { summary: 'value {{ $value }}' } }),
      obj('AlertRule', 'orders-down', { checkState: { checks: ['outgoing'] }, labels: { service: 'rules' }, annotations: { summary: '{{ $labels.check }} failing in {{ $labels.locations }}' } }),
    ];
    for (const o of rules) expect((await app.inject({ method: 'POST', url: '/api/v1/objects', headers: auth(editor), payload: o })).statusCode).toBe(201);
    const bad = await app.inject({ method: 'POST', url: '/api/v1/objects', headers: auth(editor), payload: obj('AlertRule', 'broken', { expr: 'rate(x[5m]' }) });
    expect(bad.statusCode).toBe(400);
    const fromRule = await until(() => received.flatMap((b) => b.alerts).find((a) => a.labels.alertname === 'always-on'), 'the PromQL rule alert', 8000);
    expect(fromRule.annotations.summary).toBe('value 1');
    await app.inject({ method: 'POST', url: '/api/v1/checks/outgoing/run', headers: auth(editor) });
    const listed = await until(async () => {
      const all = (await app.inject({ url: '/api/v1/alerts', headers: auth(viewer) })).json().alerts as { labels: Record<string, string>; annotations: Record<string, string> }[];
      return all.find((a) => a.labels.alertname === 'orders-down');
    }, 'the check-state rule alert');
    expect(listed.annotations.summary).toBe('outgoing failing in local');
    const status = (await app.inject({ url: '/api/v1/alerting/status', headers: auth(viewer) })).json();
    expect(status.ruleGroups.map((g: { name: string }) => g.name)).toEqual(['default']);
    expect(status.outbox.delivered).toBeGreaterThanOrEqual(3);
    expect(status.firingCheckAlerts).toEqual(['outgoing']);
  });

  it('previews a channel’s exact request without sending, secrets redacted', async () => {
    const before = received.length;
    const p = (await app.inject({ method: 'POST', url: '/api/v1/channels/ops-webhook/preview', headers: auth(viewer), payload: {} })).json();
    expect(p.request.url).toBe(`http://127.0.0.1:${hookPort}/[redacted]`);
    expect(JSON.parse(p.request.body)).toMatchObject({ version: '4', receiver: 'ops-webhook', status: 'firing' });
    // Notifications of the earlier tests' alerts may still arrive; none may be the preview's drill alert.
    expect(received.slice(before).filter((b) => b.alerts.some((a) => a.labels.alertname === 'KansokuDrill'))).toEqual([]);
    expect((await app.inject({ method: 'POST', url: '/api/v1/channels/nope/preview', headers: auth(viewer), payload: {} })).statusCode).toBe(404);
    const bad = await app.inject({ method: 'POST', url: '/api/v1/channels/ops-webhook/preview', headers: auth(viewer), payload: { notification: { receiver: 'x' } } });
    expect(bad.statusCode).toBe(400);
  });
});
