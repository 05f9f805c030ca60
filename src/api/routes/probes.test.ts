import { mkdtempSync } from 'node:fs';
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
let editor: string;
let viewer: string;
const telemetry = new MemoryTelemetry();
const events: CheckStateEvent[] = [];
const auth = (t: string) => ({ authorization: `Bearer ${t}` });
const check = (name: string, spec: Record<string, unknown>) => ({ apiVersion: 'kansoku/v1', kind: 'Check', metadata: { name }, spec });
const run = (check: string, runId: string, status: string, startedAt = Date.now()) => ({ check, runId, result: { status, message: `${status} from the probe`, startedAt, durationMs: 4, metrics: [{ name: 'connect_ms', value: 1.5, unit: 'ms' }] } });

beforeAll(async () => {
  store = await openSqlite(path.join(mkdtempSync(path.join(tmpdir(), 'ksk-probes-api-')), 'state.db'));
  const module = createChecksModule({ captureEvidence: null });
  const objects = new ObjectService(store, buildKindRegistry([module]));
  const tokens = new TokenService(store);
  admin = (await store.transaction((tx) => tokens.create(tx, { name: 'root', role: 'admin' }, 'test'))).token;
  editor = (await store.transaction((tx) => tokens.create(tx, { name: 'probe-tokyo', role: 'editor' }, 'test'))).token;
  viewer = (await store.transaction((tx) => tokens.create(tx, { name: 'grafana', role: 'viewer' }, 'test'))).token;
  handle = (await module.start!({ config: {} as ServerConfig, logger: silentLogger(), state: store, telemetry: telemetry as unknown as TelemetryStore, objects, metrics: new SelfMetrics(), modules: new Map() }))!;
  (handle.api as ChecksApi).subscribe((e) => events.push(e));
  app = await createApiServer({ logger: silentLogger(), store, objects, audit: new AuditService(store), tokens, metrics: new SelfMetrics(), readiness: async () => {}, plugins: [(a) => handle.routes!(a)] });
  // Targets on a port nothing listens on: the server's own runs of "both" fail; these tests push the probes' results by hand.
  for (const doc of [
    check('both', { type: 'tcp', host: '127.0.0.1', port: 9, interval: '1h', timeout: '1s', attempts: 1, locations: ['tokyo', 'osaka'], minFailingLocations: 1 }),
    check('tokyo-only', { type: 'http', url: 'http://127.0.0.1:9/', interval: '1h', timeout: '1s', locations: ['tokyo'], headers: { Authorization: 'Bearer s3cret' } }),
    check('server-only', { type: 'tcp', host: '127.0.0.1', port: 9, interval: '1h', timeout: '1s' }),
  ]) {
    const r = await app.inject({ method: 'POST', url: '/api/v1/objects', headers: auth(admin), payload: JSON.parse(JSON.stringify(doc)) });
    expect(r.statusCode, r.body).toBe(201);
  }
});
afterAll(async () => {
  await app.close();
  await handle.stop!();
  await store.close();
});

describe('probe API', () => {
  it('hands a probe the checks naming its location, secrets included, to editors only, with an ETag', async () => {
    expect((await app.inject({ method: 'GET', url: '/api/v1/probes/tokyo/assignments', headers: auth(viewer) })).statusCode).toBe(403);
    const r = await app.inject({ method: 'GET', url: '/api/v1/probes/tokyo/assignments', headers: auth(editor) });
    expect(r.statusCode).toBe(200);
    const body = r.json();
    expect(body).toMatchObject({ location: 'tokyo', serverLocation: 'local' });
    expect(body.checks.map((c: { name: string }) => c.name)).toEqual(['both', 'tokyo-only']);
    expect(body.checks[1].spec.headers).toEqual({ Authorization: 'Bearer s3cret' });
    const again = await app.inject({ method: 'GET', url: '/api/v1/probes/tokyo/assignments', headers: { ...auth(editor), 'if-none-match': r.headers.etag as string } });
    expect(again.statusCode).toBe(304);
    const osaka = await app.inject({ method: 'GET', url: '/api/v1/probes/osaka/assignments', headers: auth(editor) });
    expect(osaka.json().checks.map((c: { name: string }) => c.name)).toEqual(['both']);
    expect(osaka.headers.etag).not.toBe(r.headers.etag);
    expect((await app.inject({ method: 'GET', url: '/api/v1/probes/to%20kyo/assignments', headers: auth(editor) })).statusCode).toBe(400);
  });

  it('takes results per location, idempotently, and shows per-location states', async () => {
    const t = Date.now();
    const post = (loc: string, results: unknown[]) => app.inject({ method: 'POST', url: `/api/v1/probes/${loc}/results`, headers: auth(editor), payload: { results } });
    let r = await post('tokyo', [run('both', 'tokyo-run-0001', 'critical', t)]);
    expect(r.json()).toEqual({ accepted: 1, duplicates: 0, rejected: [] });
    r = await post('tokyo', [run('both', 'tokyo-run-0001', 'critical', t), run('server-only', 'tokyo-run-0002', 'ok', t)]);
    expect(r.json()).toMatchObject({ accepted: 0, duplicates: 1, rejected: [{ check: 'server-only', runId: 'tokyo-run-0002' }] });
    await post('osaka', [run('both', 'osaka-run-0001', 'ok', t)]);

    // 1 of 2 is enough: tokyo failing makes it CRITICAL, and the state event says where.
    const state = (await app.inject({ method: 'GET', url: '/api/v1/checks/both', headers: auth(viewer) })).json();
    expect(state).toMatchObject({ state: 'critical', stateType: 'hard' });
    expect(state.message).toContain('1 of 2 locations failing (bad when 1 of 2 fail); tokyo CRITICAL: critical from the probe');
    expect(events.filter((e) => e.check === 'both').at(-1)).toMatchObject({ current: { status: 'critical', hard: true }, locations: { failing: ['tokyo'] } });

    const probes = (await app.inject({ method: 'GET', url: '/api/v1/probes', headers: auth(viewer) })).json();
    expect(probes.serverLocation).toBe('local');
    const tokyo = probes.locations.find((l: { location: string }) => l.location === 'tokyo');
    expect(tokyo.lastSeen).not.toBeNull();
    expect(tokyo.checks.find((c: { check: string }) => c.check === 'both')).toMatchObject({ state: 'critical', stateType: 'hard', silentSince: null });

    const rows = (await app.inject({ method: 'GET', url: '/api/v1/checks/both/results?location=osaka', headers: auth(viewer) })).json();
    expect(rows.results.map((x: { runId: string; location: string }) => `${x.location}/${x.runId}`)).toEqual(['osaka/osaka-run-0001']);
  });

  it('refuses malformed batches with the field path, and the server location', async () => {
    const bad = await app.inject({ method: 'POST', url: '/api/v1/probes/tokyo/results', headers: auth(editor), payload: { results: [{ check: 'both', runId: 'tokyo-run-0009', result: { status: 'fine', message: '', startedAt: 1, durationMs: 0, metrics: [] } }] } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().issues[0].path).toBe('body.results.0.result.status');
    const local = await app.inject({ method: 'POST', url: '/api/v1/probes/local/results', headers: auth(editor), payload: { results: [] } });
    expect(local.statusCode).toBe(400);
    expect(local.json().code).toBe('KSK_PROBE_LOCATION_RESERVED');
    expect((await app.inject({ method: 'POST', url: '/api/v1/probes/tokyo/results', headers: auth(viewer), payload: { results: [] } })).statusCode).toBe(403);
  });
});
