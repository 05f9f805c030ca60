import { mkdtempSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditService } from '../../audit/audit-service.js';
import { TokenService } from '../../auth/tokens.js';
import { ObjectService } from '../../inventory/object-service.js';
import { ValidationError } from '../../lib/errors.js';
import { silentLogger } from '../../lib/logger.js';
import { SelfMetrics } from '../../selfmon/metrics.js';
import { buildKindRegistry } from '../../server/kinds.js';
import { openSqlite } from '../../store/state/open-state-store.js';
import type { StateStore } from '../../store/state-store.js';
import { createApiServer } from '../app.js';

let app: FastifyInstance;
let store: StateStore;
let url: string;
let editor: string;
let viewer: string;
const metrics = new SelfMetrics();
/** What the lane's handler saw, and what the Fastify route saw: the test tells the two apart. */
const seen: { lane: string[]; route: string[] } = { lane: [], route: [] };

beforeAll(async () => {
  store = await openSqlite(path.join(mkdtempSync(path.join(tmpdir(), 'ksk-lane-')), 'state.db'));
  const tokens = new TokenService(store);
  editor = (await store.transaction((tx) => tokens.create(tx, { name: 'prom', role: 'editor' }, 'test'))).token;
  viewer = (await store.transaction((tx) => tokens.create(tx, { name: 'grafana', role: 'viewer' }, 'test'))).token;
  const handle = async (body: Buffer) => {
    const text = body.toString();
    if (text === 'bad') throw new ValidationError('KSK_TEST_BAD', 'the body said bad');
    if (text === 'boom') throw new Error('a bug');
    return { status: 204, headers: { 'x-handled': String(body.length) } };
  };
  app = await createApiServer({
    logger: silentLogger(),
    store,
    objects: new ObjectService(store, buildKindRegistry()),
    audit: new AuditService(store),
    tokens,
    metrics,
    readiness: async () => {},
    bodyLimitBytes: 1000,
    plugins: [
      (x) => {
        x.fastLane({
          method: 'POST',
          url: '/api/v1/lane',
          action: 'test.lane',
          role: 'editor',
          handle: async (body, headers) => {
            seen.lane.push(`${body.toString()} ${headers['content-type']}`);
            return handle(body);
          },
        });
        x.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
        x.post('/api/v1/lane', { config: { action: 'test.lane' } }, async (req, reply) => {
          seen.route.push((req.body as Buffer).toString());
          const out = await handle(req.body as Buffer);
          return reply.status(out.status).headers(out.headers).send();
        });
      },
    ],
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/api/v1/lane`;
});
afterAll(async () => {
  await app.close();
  await store.close();
});

const post = (body: string | ReadableStream, headers: Record<string, string> = {}) =>
  fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/x-test', ...headers }, ...(typeof body === 'string' ? {} : { duplex: 'half' }) } as RequestInit);
const auth = (t: string) => ({ authorization: `Bearer ${t}` });
const lastAudit = async () => (await store.queryAudit({ limit: 1, order: 'desc' }))[0]!;

describe('the fast lane past Fastify', () => {
  it('serves an authenticated request with a Content-Length itself, with a request id and request metrics', async () => {
    seen.lane.length = 0;
    seen.route.length = 0;
    const r = await post('hello', { ...auth(editor), 'x-request-id': 'abc-1' });
    expect(r.status).toBe(204);
    expect(r.headers.get('x-handled')).toBe('5');
    expect(r.headers.get('x-request-id')).toBe('abc-1');
    expect(seen).toEqual({ lane: ['hello application/x-test'], route: [] });
    const m = await metrics.registry.getSingleMetricAsString('kansoku_http_requests_total');
    expect(m).toMatch(/kansoku_http_requests_total\{method="POST",route="\/api\/v1\/lane",status="204"\} [1-9]/);
  });

  it('hands a request without a token, with a wrong one or with too low a role to Fastify, which refuses and audits it', async () => {
    seen.lane.length = 0;
    seen.route.length = 0;
    const none = await post('x');
    expect(none.status).toBe(401);
    expect(((await none.json()) as { code: string }).code).toBe('KSK_AUTH_MISSING');
    const wrong = await post('x', auth('ksk_nope'));
    expect(wrong.status).toBe(401);
    expect((await lastAudit()).outcome).toBe('denied');
    const low = await post('x', auth(viewer));
    expect(low.status).toBe(403);
    expect(await lastAudit()).toMatchObject({ action: 'test.lane', outcome: 'denied' });
    expect(seen).toEqual({ lane: [], route: [] });
  });

  it('hands a body without Content-Length (chunked) or over the limit to Fastify', async () => {
    seen.lane.length = 0;
    seen.route.length = 0;
    const stream = new ReadableStream({
      start(c) {
        c.enqueue(new TextEncoder().encode('chunk'));
        c.enqueue(new TextEncoder().encode('ed'));
        c.close();
      },
    });
    const chunked = await post(stream, auth(editor));
    expect(chunked.status).toBe(204);
    expect(seen).toEqual({ lane: [], route: ['chunked'] });
    const big = await post('y'.repeat(2000), auth(editor));
    expect(big.status).toBe(413);
    expect(seen.lane).toEqual([]);
  });

  it('answers a handler error with the API error shape, and audits a failed write', async () => {
    const bad = await post('bad', auth(editor));
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ status: 'error', errorType: 'bad_data', error: 'the body said bad', code: 'KSK_TEST_BAD' });
    expect(await lastAudit()).toMatchObject({ action: 'test.lane', outcome: 'failure', detail: expect.stringContaining('400 KSK_TEST_BAD') });
    const boom = await post('boom', auth(editor));
    expect(boom.status).toBe(500);
    expect(((await boom.json()) as { code: string }).code).toBe('KSK_INTERNAL');
    const a = await lastAudit();
    expect(a).toMatchObject({ action: 'test.lane', outcome: 'failure', detail: expect.stringContaining('500 KSK_INTERNAL: a bug') });
    expect(a.actorName).toBe('prom');
    expect(a.requestId).toBeTruthy();
  });
});
