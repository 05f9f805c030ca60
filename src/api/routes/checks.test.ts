import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditService } from '../../audit/audit-service.js';
import { TokenService } from '../../auth/tokens.js';
import { createChecksModule, type ChecksApi } from '../../checks/checks-module.js';
import type { CheckStateEvent } from '../../checks/check-service.js';
import { MemoryTelemetry } from '../../checks/test-support/memory-telemetry.js';
import type { ServerConfig } from '../../config/server-config.js';
import { ObjectService } from '../../inventory/object-service.js';
import { silentLogger } from '../../lib/logger.js';
import { SelfMetrics } from '../../selfmon/metrics.js';
import { buildKindRegistry } from '../../server/kinds.js';
import type { ModuleHandle } from '../../server/module.js';
import { openSqlite } from '../../store/state/open-state-store.js';
import type { StateStore } from '../../store/state-store.js';
import type { TelemetryStore } from '../../store/telemetry-store.js';
import { createApiServer } from '../app.js';

let app: FastifyInstance;
let store: StateStore;
let handle: ModuleHandle;
let admin: string;
let viewer: string;
const telemetry = new MemoryTelemetry();
const events: CheckStateEvent[] = [];
const queue = mkdtempSync(path.join(tmpdir(), 'ksk-queue-'));
const SECRET = 'k3y-for-the-nightly-job';

const auth = (t: string) => ({ authorization: `Bearer ${t}` });
const check = (name: string, spec: Record<string, unknown>) => ({ apiVersion: 'kansoku/v1', kind: 'Check', metadata: { name, labels: { team: 'ops' } }, spec });

beforeAll(async () => {
  store = await openSqlite(path.join(mkdtempSync(path.join(tmpdir(), 'ksk-checks-api-')), 'state.db'));
  const module = createChecksModule({ captureEvidence: null });
  const objects = new ObjectService(store, buildKindRegistry([module]));
  const tokens = new TokenService(store);
  const metrics = new SelfMetrics();
  admin = (await store.transaction((tx) => tokens.create(tx, { name: 'root', role: 'admin' }, 'test'))).token;
  viewer = (await store.transaction((tx) => tokens.create(tx, { name: 'grafana', role: 'viewer' }, 'test'))).token;
  handle = (await module.start!({ config: {} as ServerConfig, logger: silentLogger(), state: store, telemetry: telemetry as unknown as TelemetryStore, objects, metrics, modules: new Map() }))!;
  (handle.api as ChecksApi).subscribe((e) => events.push(e));
  app = await createApiServer({ logger: silentLogger(), store, objects, audit: new AuditService(store), tokens, metrics, readiness: async () => {}, plugins: [(a) => handle.routes!(a)] });
});
afterAll(async () => {
  await app.close();
  await handle.stop!();
  await store.close();
});

describe('checks API', () => {
  it('refuses an invalid Check at apply with the field path', async () => {
    const r = await app.inject({ method: 'POST', url: '/api/v1/objects', headers: auth(admin), payload: check('bad', { type: 'http', url: 'http://127.0.0.1/', interval: '5s', timeout: '5s' }) });
    expect(r.statusCode).toBe(400);
    expect(r.json().issues).toEqual([expect.objectContaining({ path: 'spec.timeout', message: 'timeout 5s must be shorter than interval 5s' })]);
  });

  it('schedules a created check, runs it on demand (editor) and lists its state', async () => {
    const created = await app.inject({ method: 'POST', url: '/api/v1/objects', headers: auth(admin), payload: check('outgoing', { type: 'folder', path: queue, interval: '1h', timeout: '5s', attempts: 1, critical: { minCount: 1 } }) });
    expect(created.statusCode).toBe(201);
    const listed = (await app.inject({ url: '/api/v1/checks', headers: auth(viewer) })).json().checks;
    expect(listed).toEqual([expect.objectContaining({ name: 'outgoing', type: 'folder', state: 'pending', labels: { team: 'ops' } })]);

    expect((await app.inject({ method: 'POST', url: '/api/v1/checks/outgoing/run', headers: auth(viewer) })).statusCode).toBe(403);
    const run = await app.inject({ method: 'POST', url: '/api/v1/checks/outgoing/run', headers: auth(admin) });
    expect(run.statusCode).toBe(200);
    expect(run.json()).toMatchObject({ result: { check: 'outgoing', status: 'critical' }, state: { name: 'outgoing', state: 'critical', stateType: 'hard', attempt: 1 } });

    writeFileSync(path.join(queue, 'order-1.xml'), '<order/>');
    const again = (await app.inject({ method: 'POST', url: '/api/v1/checks/outgoing/run', headers: auth(admin) })).json();
    expect(again.state).toMatchObject({ state: 'ok', stateType: 'hard' });
    expect(events.filter((e) => e.check === 'outgoing').map((e) => `${e.kind}:${e.current.status}`)).toEqual(['hard:critical', 'recovery:ok']);

    const one = (await app.inject({ url: '/api/v1/checks/outgoing', headers: auth(viewer) })).json();
    expect(one).toMatchObject({ name: 'outgoing', state: 'ok', message: expect.stringContaining('1 file matching'), lastRun: { status: 'ok' } });
    expect(Date.parse(one.since)).toBeGreaterThan(Date.now() - 60_000);
  });

  it('serves result history and availability', async () => {
    const r = (await app.inject({ url: '/api/v1/checks/outgoing/results?limit=10', headers: auth(viewer) })).json();
    expect(r.results.map((x: { status: string }) => x.status)).toEqual(['ok', 'critical']);
    expect(r.results[0].evidence.state).toMatchObject({ status: 'ok', hard: true });
    const asc = (await app.inject({ url: `/api/v1/checks/outgoing/results?order=asc&start=${Math.floor(Date.now() / 1000) - 600}`, headers: auth(viewer) })).json();
    expect(asc.results.map((x: { status: string }) => x.status)).toEqual(['critical', 'ok']);
    const a = (await app.inject({ url: '/api/v1/checks/outgoing/availability', headers: auth(viewer) })).json();
    expect(a).toMatchObject({ check: 'outgoing', runs: 2, ok: 1, ratio: 0.5, byStatus: { ok: 1, critical: 1 } });
    const bad = await app.inject({ url: '/api/v1/checks/outgoing/results?start=yesterday', headers: auth(viewer) });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().issues[0].path).toBe('query.start');
    const missing = await app.inject({ url: '/api/v1/checks/nope/results', headers: auth(viewer) });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().code).toBe('KSK_CHECK_NOT_FOUND');
  });

  it('takes heartbeats with the check’s key or an editor token, and nothing else', async () => {
    const created = await app.inject({ method: 'POST', url: '/api/v1/objects', headers: auth(admin), payload: check('nightly', { type: 'heartbeat', period: '1d', grace: '1h', interval: '1h', timeout: '5s', secret: SECRET }) });
    expect(created.statusCode).toBe(201);
    expect((await app.inject({ url: '/api/v1/objects/Check/nightly', headers: auth(admin) })).json().spec.secret).toBe('[redacted]');

    expect((await app.inject({ method: 'POST', url: '/api/v1/heartbeats/nightly' })).statusCode).toBe(401);
    expect((await app.inject({ method: 'POST', url: '/api/v1/heartbeats/nightly?key=wrong-key-wrong-key' })).statusCode).toBe(401);
    expect((await app.inject({ method: 'POST', url: '/api/v1/heartbeats/nightly', headers: auth(viewer) })).statusCode).toBe(403);
    expect((await app.inject({ method: 'POST', url: `/api/v1/heartbeats/outgoing?key=${SECRET}` })).statusCode).toBe(401);

    const fail = await app.inject({ method: 'POST', url: `/api/v1/heartbeats/nightly/fail?key=${SECRET}`, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'pg_dump: connection refused' });
    expect(fail.statusCode).toBe(200);
    expect(fail.json()).toMatchObject({ check: 'nightly', beat: 'fail', state: 'critical', message: expect.stringContaining('pg_dump: connection refused') });
    const ok = await app.inject({ method: 'GET', url: '/api/v1/heartbeats/nightly', headers: auth(admin) });
    expect(ok.json()).toMatchObject({ beat: 'success', state: 'ok' });
    expect((await app.inject({ method: 'POST', url: '/api/v1/heartbeats/outgoing', headers: auth(admin) })).statusCode).toBe(400);
    expect((await app.inject({ method: 'POST', url: '/api/v1/heartbeats/nope', headers: auth(admin) })).statusCode).toBe(404);
  });

  it('stops scheduling a deleted check, and exposes the scheduler’s metrics and the kind’s schema', async () => {
    expect((await app.inject({ method: 'DELETE', url: '/api/v1/objects/Check/outgoing', headers: auth(admin) })).statusCode).toBe(200);
    expect((await app.inject({ url: '/api/v1/checks/outgoing', headers: auth(viewer) })).statusCode).toBe(404);
    const m = (await app.inject('/metrics')).body;
    expect(m).toMatch(/kansoku_check_runs_total\{type="folder",status="critical"\} 1/);
    expect(m).toContain('kansoku_scheduler_lag_seconds_bucket');
    expect(m).toMatch(/kansoku_checks\{status="ok",hard="true"\} 1/);
    const kinds = await app.inject({ url: '/api/v1/kinds', headers: auth(viewer) });
    expect(kinds.statusCode).toBe(200);
    expect(JSON.stringify(kinds.json())).toContain('heartbeat');
  });
});
