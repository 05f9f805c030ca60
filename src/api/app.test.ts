import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { openSqlite } from '../store/state/open-state-store.js';
import type { StateStore } from '../store/state-store.js';
import { ObjectService } from '../inventory/object-service.js';
import { AuditService } from '../audit/audit-service.js';
import { TokenService } from '../auth/tokens.js';
import { SelfMetrics } from '../selfmon/metrics.js';
import { createLogger, silentLogger } from '../lib/logger.js';
import { buildKindRegistry } from '../server/kinds.js';
import { createApiServer } from './app.js';

let app: FastifyInstance;
let store: StateStore;
let admin: string;
let viewer: string;
let editor: string;

const auth = (t: string) => ({ authorization: `Bearer ${t}` });
const RB = (name: string, title = 'T') => ({ apiVersion: 'kansoku/v1', kind: 'Runbook', metadata: { name, labels: { env: 'prod' } }, spec: { title, steps: [{ title: 's1' }] } });

beforeAll(async () => {
  store = await openSqlite(path.join(mkdtempSync(path.join(tmpdir(), 'ksk-api-')), 'state.db'));
  const objects = new ObjectService(store, buildKindRegistry());
  const tokens = new TokenService(store);
  admin = (await store.transaction((tx) => tokens.create(tx, { name: 'root', role: 'admin' }, 'test'))).token;
  app = await createApiServer({ logger: silentLogger(), store, objects, audit: new AuditService(store), tokens, metrics: new SelfMetrics(), readiness: async () => {} });
  const mk = async (name: string, role: string) => (await app.inject({ method: 'POST', url: '/api/v1/tokens', headers: auth(admin), payload: { name, role } })).json().token as string;
  viewer = await mk('grafana', 'viewer');
  editor = await mk('ci', 'editor');
});
afterAll(async () => {
  await app.close();
  await store.close();
});

describe('authentication and authorisation', () => {
  it('serves health and metrics without a token', async () => {
    expect((await app.inject('/healthz')).json()).toEqual({ status: 'ok' });
    expect((await app.inject('/readyz')).statusCode).toBe(200);
    const m = await app.inject('/metrics');
    expect(m.statusCode).toBe(200);
    expect(m.body).toContain('kansoku_http_requests_total');
    expect(m.body).toContain('kansoku_process_resident_memory_bytes');
  });

  it('serves the status page at / without a token, with no data in it', async () => {
    const r = await app.inject('/');
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toContain('text/html');
    expect(r.body).toContain('<title>Kansoku</title>');
    expect(r.body).toContain('日本語');
    expect(r.body).not.toContain(admin);
  });

  it('answers 401 with a clear message for a missing or unknown token, and audits it', async () => {
    const missing = await app.inject({ method: 'GET', url: '/api/v1/objects' });
    expect(missing.statusCode).toBe(401);
    expect(missing.headers['www-authenticate']).toContain('Bearer');
    expect(missing.json()).toMatchObject({ status: 'error', code: 'KSK_AUTH_MISSING' });
    expect(missing.json().error).toContain('Authorization: Bearer');
    const wrong = await app.inject({ method: 'GET', url: '/api/v1/objects', headers: { ...auth('ksk_nope'), 'user-agent': 'curl/8' } });
    expect(wrong.json().code).toBe('KSK_AUTH_INVALID');
    const recs = await store.queryAudit({ action: 'auth.failed', order: 'desc', limit: 1 });
    expect(recs[0]).toMatchObject({ outcome: 'denied', actorName: 'anonymous', userAgent: 'curl/8', sourceIp: '127.0.0.1' });
    expect(recs[0]!.detail).not.toContain('ksk_nope');
  });

  it('answers 403 naming the role needed, and audits the refusal', async () => {
    const r = await app.inject({ method: 'POST', url: '/api/v1/objects', headers: auth(viewer), payload: RB('x') });
    expect(r.statusCode).toBe(403);
    expect(r.json().error).toBe('token "grafana" has role viewer; object.create needs role editor or higher');
    const t = await app.inject({ method: 'GET', url: '/api/v1/tokens', headers: auth(editor) });
    expect(t.statusCode).toBe(403);
    const rec = (await store.queryAudit({ actor: 'grafana', outcome: 'denied' }))[0]!;
    expect(rec.action).toBe('object.create');
  });

  it('accepts the token as the password of HTTP Basic auth, for tools that cannot send a bearer token', async () => {
    const basic = Buffer.from(`promtool:${viewer}`).toString('base64');
    const r = await app.inject({ url: '/api/v1/whoami', headers: { authorization: `Basic ${basic}` } });
    expect(r.json().token.name).toBe('grafana');
    const wrong = Buffer.from('promtool:ksk_wrong').toString('base64');
    expect((await app.inject({ url: '/api/v1/whoami', headers: { authorization: `Basic ${wrong}` } })).statusCode).toBe(401);
    const garbage = await app.inject({ url: '/api/v1/whoami', headers: { authorization: 'Token abc' } });
    expect(garbage.json().code).toBe('KSK_AUTH_MALFORMED');
  });

  it('refuses a revoked token', async () => {
    const made = (await app.inject({ method: 'POST', url: '/api/v1/tokens', headers: auth(admin), payload: { name: 'temp', role: 'viewer' } })).json();
    expect((await app.inject({ method: 'GET', url: '/api/v1/whoami', headers: auth(made.token) })).json().token.name).toBe('temp');
    expect((await app.inject({ method: 'DELETE', url: `/api/v1/tokens/${made.id}`, headers: auth(admin) })).json().revoked).toBe(true);
    const r = await app.inject({ method: 'GET', url: '/api/v1/whoami', headers: auth(made.token) });
    expect(r.statusCode).toBe(401);
    expect(r.json().code).toBe('KSK_AUTH_REVOKED');
    const list = (await app.inject({ method: 'GET', url: '/api/v1/tokens', headers: auth(admin) })).json().tokens;
    expect(JSON.stringify(list)).not.toContain(made.token);
  });
});

describe('objects API', () => {
  it('creates, lists by selector, gets, replaces, and deletes, with history and diff', async () => {
    const c = await app.inject({ method: 'POST', url: '/api/v1/objects', headers: auth(editor), payload: RB('web', 'one') });
    expect(c.statusCode).toBe(201);
    expect(c.headers.location).toBe('/api/v1/objects/Runbook/web');
    expect((await app.inject({ method: 'POST', url: '/api/v1/objects', headers: auth(editor), payload: RB('web') })).statusCode).toBe(409);
    const list = await app.inject({ url: '/api/v1/objects/Runbook?selector=env%3Dprod', headers: auth(viewer) });
    expect(list.json().items.map((d: { metadata: { name: string } }) => d.metadata.name)).toContain('web');
    const none = await app.inject({ url: '/api/v1/objects/Runbook?selector=env%3Dstaging', headers: auth(viewer) });
    expect(none.json().items).toEqual([]);
    const yaml = 'apiVersion: kansoku/v1\nkind: Runbook\nmetadata: {name: web}\nspec: {title: two, steps: [{title: s1}]}\n';
    const stale = await app.inject({ method: 'PUT', url: '/api/v1/objects/Runbook/web?version=7', headers: { ...auth(editor), 'content-type': 'application/yaml' }, payload: yaml });
    expect(stale.statusCode).toBe(409);
    const put = await app.inject({ method: 'PUT', url: '/api/v1/objects/Runbook/web?version=1', headers: { ...auth(editor), 'content-type': 'application/yaml' }, payload: yaml });
    expect(put.json().metadata.version).toBe(2);
    const diff = await app.inject({ url: '/api/v1/objects/Runbook/web/diff?from=1&to=2', headers: auth(viewer) });
    expect(diff.json().changes).toEqual([
      { path: 'labels.env', op: 'remove', from: 'prod' },
      { path: 'spec.title', op: 'change', from: 'one', to: 'two' },
    ]);
    expect((await app.inject({ method: 'DELETE', url: '/api/v1/objects/Runbook/web', headers: auth(editor) })).statusCode).toBe(200);
    expect((await app.inject({ url: '/api/v1/objects/Runbook/web', headers: auth(viewer) })).statusCode).toBe(404);
    const hist = (await app.inject({ url: '/api/v1/objects/Runbook/web/history', headers: auth(viewer) })).json().versions;
    expect(hist.map((v: { change: string }) => v.change)).toEqual(['create', 'update', 'delete']);
    const v1 = (await app.inject({ url: '/api/v1/objects/Runbook/web/versions/1', headers: auth(viewer) })).json();
    expect(v1.document.spec.title).toBe('one');
  });

  it('rejects bad input with 400, the field path and what was expected, and audits the failure', async () => {
    const malformed = await app.inject({ method: 'POST', url: '/api/v1/objects', headers: { ...auth(editor), 'content-type': 'application/json' }, payload: '{"apiVersion": ' });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json().error).toMatch(/JSON/);
    const bad = await app.inject({ method: 'POST', url: '/api/v1/objects', headers: auth(editor), payload: { ...RB('ok'), spec: { title: 'x', steps: [{ title: 's', when: 'now' }] } } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().issues).toEqual([{ document: 'request (Runbook/ok)', path: 'spec.steps.0', message: 'unknown field "when"' }]);
    const rec = (await store.queryAudit({ actor: 'ci', outcome: 'failure', order: 'desc', limit: 1 }))[0]!;
    expect(rec.action).toBe('object.create');
    expect(rec.detail).toContain('KSK_OBJECT_INVALID');
    const unknownKind = await app.inject({ url: '/api/v1/objects/Nope', headers: auth(viewer) });
    expect(unknownKind.statusCode).toBe(400);
    expect(unknownKind.json().error).toMatch(/known kinds: .*Runbook/);
    const media = await app.inject({ method: 'POST', url: '/api/v1/objects', headers: { ...auth(editor), 'content-type': 'text/csv' }, payload: 'a,b' });
    expect(media.statusCode).toBe(415);
  });

  it('plans and applies YAML streams all-or-nothing; an invalid document applies nothing', async () => {
    const good = ['a1', 'a2', 'a3'].map((n) => `apiVersion: kansoku/v1\nkind: Runbook\nmetadata: {name: ${n}}\nspec: {title: ${n}, steps: [{title: s}]}\n`).join('---\n');
    const withBad = `${good}---\napiVersion: kansoku/v1\nkind: Runbook\nmetadata: {name: a4}\nspec: {title: a4, steps: []}\n`;
    const r = await app.inject({ method: 'POST', url: '/api/v1/apply?set=t1', headers: { ...auth(editor), 'content-type': 'application/yaml' }, payload: withBad });
    expect(r.statusCode).toBe(400);
    expect(r.json().error).toContain('request#4 (Runbook/a4): spec.steps: a runbook needs at least one step');
    expect((await app.inject({ url: '/api/v1/objects/Runbook/a1', headers: auth(viewer) })).statusCode).toBe(404);
    const plan = await app.inject({ method: 'POST', url: '/api/v1/plan?set=t1', headers: { ...auth(viewer), 'content-type': 'application/yaml' }, payload: good });
    expect(plan.json().summary).toMatchObject({ create: 3 });
    const ok = await app.inject({ method: 'POST', url: '/api/v1/apply?set=t1', headers: { ...auth(editor), 'content-type': 'application/yaml' }, payload: good });
    expect(ok.json().summary).toMatchObject({ create: 3 });
    const again = await app.inject({ method: 'POST', url: '/api/v1/apply?set=t1', headers: auth(editor), payload: { documents: [], sources: [] } });
    expect(again.json().summary).toMatchObject({ delete: 3 });
  });

  it('exports YAML and lists kinds with JSON Schemas', async () => {
    await app.inject({ method: 'POST', url: '/api/v1/objects', headers: auth(editor), payload: RB('exported') });
    const y = await app.inject({ url: '/api/v1/export?kind=Runbook', headers: auth(viewer) });
    expect(y.headers['content-type']).toContain('application/yaml');
    expect(y.body).toContain('name: exported');
    const kinds = (await app.inject({ url: '/api/v1/kinds', headers: auth(viewer) })).json().kinds;
    const runbook = kinds.find((k: { kind: string }) => k.kind === 'Runbook');
    expect(runbook.schema.properties.steps).toBeDefined();
  });

  it('publishes an OpenAPI document that lists the endpoints', async () => {
    const doc = (await app.inject({ url: '/api/v1/openapi.json', headers: auth(viewer) })).json();
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/v1/objects', '/api/v1/objects/{kind}/{name}', '/api/v1/apply', '/api/v1/audit', '/api/v1/audit/verify', '/api/v1/tokens']));
  });
});

describe('audit API', () => {
  it('filters by actor, action, object and time, and exports JSON Lines', async () => {
    const r = (await app.inject({ url: '/api/v1/audit?actor=ci&action=object.*&limit=1000', headers: auth(viewer) })).json();
    expect(r.records.length).toBeGreaterThan(3);
    expect(r.records.every((x: { actor: { name: string }; action: string }) => x.actor.name === 'ci' && x.action.startsWith('object.'))).toBe(true);
    const obj = (await app.inject({ url: '/api/v1/audit?kind=Runbook&name=web&order=asc', headers: auth(viewer) })).json().records;
    expect(obj.map((x: { action: string; outcome: string }) => `${x.action}:${x.outcome}`)).toEqual(['object.create:success', 'object.create:failure', 'object.update:failure', 'object.update:success', 'object.delete:success']);
    const future = (await app.inject({ url: '/api/v1/audit?since=2999-01-01T00:00:00Z', headers: auth(viewer) })).json();
    expect(future.records).toEqual([]);
    const badTime = await app.inject({ url: '/api/v1/audit?since=yesterday', headers: auth(viewer) });
    expect(badTime.statusCode).toBe(400);
    expect(badTime.json().error).toContain('query.since');
    const jl = await app.inject({ url: '/api/v1/audit?format=jsonl', headers: auth(viewer) });
    const lines = jl.body.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines[0].seq).toBe(1);
    expect(lines.every((l: { seq: number }, i: number) => l.seq === i + 1)).toBe(true);
    const v = (await app.inject({ url: '/api/v1/audit/verify', headers: auth(viewer) })).json();
    expect(v).toMatchObject({ ok: true, checked: lines.length });
  });
});

describe('access log', () => {
  it('logs each request at info, but successful high-volume ingest (quietLog) only at debug', async () => {
    const lines: { level: number; msg: string; url?: string; status?: number }[] = [];
    const logger = createLogger({ level: 'debug', destination: new Writable({
        write(chunk: Buffer, _enc, done) {
          for (const l of String(chunk).split('\n')) if (l) lines.push(JSON.parse(l));
          done();
        },
      }),
    });
    const a = await createApiServer({
      logger,
      store,
      objects: new ObjectService(store, buildKindRegistry()),
      audit: new AuditService(store),
      tokens: new TokenService(store),
      metrics: new SelfMetrics(),
      readiness: async () => {},
      plugins: [
        (x) => {
          x.post('/api/v1/quiet', { config: { action: 'test.quiet', quietLog: true } }, async (req, reply) => reply.status((req.body as { fail?: boolean }).fail ? 400 : 204).send());
        },
      ],
    });
    try {
      expect((await a.inject({ method: 'POST', url: '/api/v1/quiet', headers: auth(editor), payload: {} })).statusCode).toBe(204);
      expect((await a.inject({ method: 'POST', url: '/api/v1/quiet', headers: auth(editor), payload: { fail: true } })).statusCode).toBe(400);
      expect((await a.inject({ url: '/api/v1/objects', headers: auth(viewer) })).statusCode).toBe(200);
    } finally {
      await a.close();
    }
    const access = lines.filter((l) => l.msg === 'request').map((l) => [l.url, l.status, l.level]);
    expect(access).toEqual([
      ['/api/v1/quiet', 204, 20],
      ['/api/v1/quiet', 400, 30],
      ['/api/v1/objects', 200, 30],
    ]);
  });
});
