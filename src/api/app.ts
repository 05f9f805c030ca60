import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyRequest } from 'fastify';
import swagger from '@fastify/swagger';
import { AuthError, ForbiddenError, isKansokuError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import type { AuthenticatedToken, TokenService } from '../auth/tokens.js';
import type { Actor } from '../inventory/actor.js';
import type { FastLane } from './http/fast-lane.js';
import type { AuditService } from '../audit/audit-service.js';
import type { ObjectService } from '../inventory/object-service.js';
import type { StateStore, Role } from '../store/state-store.js';
import type { SelfMetrics } from '../selfmon/metrics.js';
import { handleError, statusOf } from './http/error-handler.js';
import { FastLanes } from './http/fast-lane.js';
import { actorOf } from './http/request-context.js';
import { registerObjectRoutes } from './routes/objects.js';
import { registerAuditRoutes } from './routes/audit.js';
import { registerTokenRoutes } from './routes/tokens.js';
import { newRequestId } from '../auth/tokens.js';
import { VERSION } from '../version.js';
import { homePage } from './web/home-page.js';

export interface ApiDeps {
  logger: Logger;
  store: StateStore;
  objects: ObjectService;
  audit: AuditService;
  tokens: TokenService;
  metrics: SelfMetrics;
  /** Resolves when every store is ready to serve; throws with the reason otherwise. */
  readiness: () => Promise<void>;
  /** Extra routes later capabilities add (checks, metrics API, …). */
  plugins?: ((app: FastifyInstance) => void | Promise<void>)[];
  bodyLimitBytes?: number;
}

const YAML_TYPES = ['application/yaml', 'application/x-yaml', 'text/yaml', 'text/x-yaml'];

/**
 * The HTTP edge: Fastify, authentication and authorisation, failure auditing, the error shape,
 * request metrics and the OpenAPI document. Domain services do the work; nothing here decides
 * what a change means.
 */
export async function createApiServer(deps: ApiDeps): Promise<FastifyInstance> {
  const touched = new Map<string, number>();
  // At most once a minute per token: each touch is a synchronous, fsynced SQLite write on the
  // event loop, which cost remote-write ingest about a third of its time (BENCHMARKS.md).
  const touch = (token: AuthenticatedToken) => {
    const nowMs = Date.now();
    if (nowMs - (touched.get(token.id) ?? 0) < 60_000) return;
    touched.set(token.id, nowMs);
    void deps.store.touchToken(token.id, new Date(nowMs).toISOString()).catch(() => {});
  };
  const httpLogger = deps.logger.child({ component: 'http' });
  const bodyLimit = deps.bodyLimitBytes ?? 16 * 1024 * 1024;
  const lanes = new FastLanes({
    logger: httpLogger,
    tokens: deps.tokens,
    metrics: deps.metrics,
    bodyLimitBytes: bodyLimit,
    touched: touch,
    auditFailure: (actor, action, detail) => auditFailure(deps, actor, action, detail, (err) => httpLogger.error({ err, action }, 'could not audit a failed request')),
  });
  const app = Fastify({
    loggerInstance: httpLogger as unknown as FastifyBaseLogger,
    bodyLimit,
    serverFactory: (handler) =>
      createServer((req: IncomingMessage, res: ServerResponse) => {
        if (!lanes.take(req, res, () => handler(req, res))) handler(req, res);
      }),
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[\w.-]{1,128}$/.test(given) ? given : newRequestId();
    },
    logController: new LogController({ disableRequestLogging: true }),
    trustProxy: false,
  });
  // zod validates inside the handlers (one schema for API, CLI and config files); the route
  // schemas exist for the OpenAPI document only.
  app.setValidatorCompiler(() => (data) => ({ value: data }));
  app.addContentTypeParser(YAML_TYPES, { parseAs: 'string' }, (_req, body, done) => done(null, body));
  app.setErrorHandler((err, req, reply) => handleError(err, req, reply));
  app.setNotFoundHandler((req, reply) => {
    void reply.status(404).send({ status: 'error', errorType: 'not_found', error: `no such endpoint: ${req.method} ${req.url.split('?')[0]}; see /api/v1/openapi.json`, code: 'KSK_HTTP_NOT_FOUND' });
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Kansoku API', version: VERSION, description: 'Objects, config as code, audit trail and tokens. Send "Authorization: Bearer <token>".' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });

  app.addHook('onRequest', async (req, reply) => {
    reply.header('x-request-id', String(req.id));
    const cfg = req.routeOptions.config ?? {};
    const isApi = req.url.startsWith('/api/');
    if (cfg.role === 'public' || !isApi) return;
    const need: Role = cfg.role ?? (req.method === 'GET' || req.method === 'HEAD' ? 'viewer' : 'editor');
    const action = cfg.action ?? `${req.method} ${req.routeOptions.url ?? req.url.split('?')[0]}`;
    try {
      req.token = await deps.tokens.authenticate(req.headers.authorization);
    } catch (err) {
      if (err instanceof AuthError) {
        deps.metrics.authFailures.inc({ reason: err.code });
        await recordDenied(deps, req, 'auth.failed', `${err.code}: ${err.message} (${action})`);
      }
      throw err;
    }
    try {
      deps.tokens.authorize(req.token, need, action);
    } catch (err) {
      if (err instanceof ForbiddenError) {
        deps.metrics.authFailures.inc({ reason: err.code });
        await recordDenied(deps, req, action, err.message);
      }
      throw err;
    }
    touch(req.token);
  });
  app.decorate('fastLane', (lane: FastLane) => lanes.add(lane));

  // A refused change is audited too (outcome "failure"): the successful path writes its record
  // inside the change's own transaction.
  app.addHook('onError', async (req, _reply, err) => {
    const action = req.routeOptions.config?.action;
    if (!action || !req.token || req.method === 'GET') return;
    if (isKansokuError(err) && (err.kind === 'unauthenticated' || err.kind === 'forbidden')) return;
    const p = { ...bodyIdentity(req.body), ...((req.params ?? {}) as { kind?: string; name?: string }) };
    await auditFailure(deps, actorOf(req), action, `${statusOf(err)} ${isKansokuError(err) ? err.code : 'KSK_INTERNAL'}: ${err.message}`, (e) => req.log.error({ err: e }, 'could not audit a failed request'), p.kind, p.name);
  });

  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched';
    deps.metrics.httpRequests.inc({ method: req.method, route, status: String(reply.statusCode) });
    deps.metrics.httpDuration.observe({ method: req.method, route }, reply.elapsedTime / 1000);
    const level = reply.statusCode >= 500 ? 'error' : reply.statusCode < 300 && req.routeOptions.config?.quietLog ? 'debug' : 'info';
    if (route !== '/healthz' && route !== '/readyz' && route !== '/metrics') {
      req.log[level]({ method: req.method, url: req.url.split('?')[0], status: reply.statusCode, ms: Math.round(reply.elapsedTime), actor: req.token?.name, reqId: req.id }, 'request');
    }
  });

  app.get('/healthz', { config: { role: 'public' }, schema: { tags: ['health'], summary: 'Liveness: the process serves HTTP', security: [] } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { config: { role: 'public' }, schema: { tags: ['health'], summary: 'Readiness: the stores answer', security: [] } }, async (_req, reply) => {
    try {
      await deps.readiness();
      return { status: 'ready' };
    } catch (err) {
      return reply.status(503).send({ status: 'not ready', reason: (err as Error).message });
    }
  });
  app.get('/metrics', { config: { role: 'public' }, schema: { tags: ['health'], summary: 'Kansoku’s own metrics (Prometheus exposition format)', security: [] } }, async (_req, reply) => {
    const counts = await deps.store.countObjectsByKind();
    deps.metrics.objects.reset();
    for (const k of deps.objects.registry.names()) deps.metrics.objects.set({ kind: k }, counts[k] ?? 0);
    return reply.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });
  const home = homePage(VERSION);
  app.get('/', { config: { role: 'public' }, schema: { hide: true } }, async (_req, reply) => reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(home));
  app.get('/api/v1/openapi.json', { schema: { tags: ['meta'], summary: 'This OpenAPI document' } }, async () => app.swagger());

  registerObjectRoutes(app, deps.objects);
  registerAuditRoutes(app, deps.audit);
  registerTokenRoutes(app, deps.store, deps.tokens, deps.objects);
  for (const plugin of deps.plugins ?? []) await plugin(app);
  return app;
}

/** An audit record (outcome "failure") of a change the server refused with an error. */
async function auditFailure(deps: ApiDeps, actor: Actor, action: string, detail: string, onError: (err: unknown) => void, kind?: string, name?: string): Promise<void> {
  try {
    await deps.store.transaction((tx) => tx.appendAudit(deps.objects.auditInput(actor, action, kind ?? null, name ?? null, null, null, null, detail.slice(0, 4000), undefined, 'failure')));
    deps.metrics.auditRecords.inc({ action, outcome: 'failure' });
  } catch (err) {
    onError(err);
  }
}

async function recordDenied(deps: ApiDeps, req: FastifyRequest, action: string, detail: string): Promise<void> {
  try {
    await deps.store.transaction((tx) =>
      tx.appendAudit(deps.objects.auditInput(actorOf(req), action, null, null, null, null, null, `${req.method} ${req.url.split('?')[0]}: ${detail}`.slice(0, 4000), undefined, 'denied')),
    );
    deps.metrics.auditRecords.inc({ action, outcome: 'denied' });
  } catch (err) {
    req.log.error({ err }, 'could not audit a refused request');
  }
}

/** The kind and name a single-document body names, so a refused create is audited against its object. */
function bodyIdentity(body: unknown): { kind?: string; name?: string } {
  const b = body as { kind?: unknown; metadata?: { name?: unknown } } | null;
  if (!b || typeof b !== 'object' || Array.isArray(b)) return {};
  const out: { kind?: string; name?: string } = {};
  if (typeof b.kind === 'string') out.kind = b.kind;
  if (typeof b.metadata?.name === 'string') out.name = b.metadata.name;
  return out;
}
