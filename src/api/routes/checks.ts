import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { AuthenticatedToken, TokenService } from '../../auth/tokens.js';
import type { CheckService, CheckStateView } from '../../checks/check-service.js';
import type { CheckResult } from '../../core/check-result.js';
import { AuthError, NotFoundError, ValidationError } from '../../lib/errors.js';
import { MAX_BEAT_MESSAGE, type BeatKind } from '../../sources/checks/heartbeat/index.js';
import type { CheckResultRow, TelemetryStore } from '../../store/telemetry-store.js';
import { locationStatesJson } from './probes.js';

export interface CheckRoutesDeps {
  service: CheckService;
  telemetry: Pick<TelemetryStore, 'selectCheckResults' | 'availability'>;
  tokens: Pick<TokenService, 'authenticate' | 'authorize'>;
  now?: () => number;
}

const DAY_MS = 86_400_000;

/** A time as the Prometheus API takes it: RFC 3339, or Unix seconds with an optional fraction. */
const timeParam = z
  .string()
  .refine((s) => parseTime(s) !== undefined, 'expected an RFC 3339 time such as 2026-11-22T10:00:00Z, or Unix seconds')
  .transform((s) => parseTime(s)!);

function parseTime(s: string): number | undefined {
  if (/^\d+(\.\d+)?$/.test(s)) return Math.round(Number(s) * 1000);
  const t = Date.parse(s);
  return Number.isNaN(t) ? undefined : t;
}

const resultsQuery = z
  .object({
    start: timeParam.optional().describe('default: 24 hours before end'),
    end: timeParam.optional().describe('default: now'),
    limit: z.coerce.number().int().min(1).max(10_000).default(100),
    location: z.string().optional(),
    order: z.enum(['asc', 'desc']).default('desc'),
  })
  .strict();

const availabilityQuery = z
  .object({
    start: timeParam.optional().describe('default: 30 days before end'),
    end: timeParam.optional().describe('default: now'),
    location: z.string().optional(),
  })
  .strict();

const heartbeatQuery = z
  .object({
    key: z.string().optional().describe("the check's spec.secret"),
    msg: z.string().optional().describe('a short message kept with the beat'),
  })
  .strict();

function parseQuery<T extends z.ZodType>(schema: T, query: unknown): z.output<T> {
  const r = schema.safeParse(query ?? {});
  if (!r.success) {
    const issues = r.error.issues.map((i) => ({ path: `query.${i.path.join('.')}`, message: i.message }));
    throw new ValidationError('KSK_REQUEST_INVALID', `invalid query: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, issues);
  }
  return r.data;
}

const iso = (t: number | null | undefined) => (t === null || t === undefined ? null : new Date(t).toISOString());

export function checkStateJson(s: CheckStateView) {
  return {
    name: s.name,
    type: s.type,
    labels: s.labels,
    severity: s.severity,
    disabled: s.disabled,
    target: s.target,
    state: s.status,
    stateType: s.hard ? 'hard' : 'soft',
    attempt: s.attempt,
    attempts: s.attempts,
    since: iso(s.since),
    hardSince: iso(s.hardSince),
    flapping: s.flapping,
    flapPercent: s.flapPercent,
    message: s.message,
    lastRun: s.lastRun ? { status: s.lastRun.status, message: s.lastRun.message, startedAt: iso(s.lastRun.startedAt), durationMs: s.lastRun.durationMs, ...(s.lastRun.trigger ? { trigger: s.lastRun.trigger } : {}) } : null,
    nextRun: iso(s.nextRun),
    // Per-location states when the check runs from probe locations (null when only on the server).
    distribution: locationStatesJson(s),
  };
}

export function checkResultJson(r: CheckResultRow | (CheckResult & { check?: string; location?: string; runId?: string })) {
  return {
    check: r.check,
    location: r.location,
    status: r.status,
    message: r.message,
    startedAt: iso(r.startedAt),
    durationMs: r.durationMs,
    metrics: r.metrics,
    evidence: r.evidence ?? {},
    runId: r.runId,
  };
}

function sameSecret(given: string, expected: string): boolean {
  // Hashing first gives equal lengths, so the comparison time says nothing about the secret.
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/**
 * /api/v1/checks: the state of every check, one check's result history and availability, and
 * "run now". /api/v1/heartbeats/:check[/start|/fail]: beats from cron jobs and batches, which
 * authenticate with the check's own secret (?key=) or with an editor token.
 */
export function registerCheckRoutes(app: FastifyInstance, deps: CheckRoutesDeps): void {
  const { service } = deps;
  const now = deps.now ?? Date.now;
  const requireCheck = (name: string) => {
    const s = service.state(name);
    if (!s) throw new NotFoundError('KSK_CHECK_NOT_FOUND', `Check/${name} does not exist; list checks with GET /api/v1/checks or "kansoku status"`);
    return s;
  };

  app.get('/api/v1/checks', { schema: { tags: ['checks'], summary: 'Every check with its state (OK/WARNING/CRITICAL/UNKNOWN, hard or soft), since when, and its last message' } }, async () => ({
    checks: service.states().map(checkStateJson),
  }));

  app.get<{ Params: { name: string } }>('/api/v1/checks/:name', { schema: { tags: ['checks'], summary: "One check's state" } }, async (req) => checkStateJson(requireCheck(req.params.name)));

  app.get<{ Params: { name: string } }>('/api/v1/checks/:name/results', { schema: { tags: ['checks'], summary: "A check's stored runs: status, message, timings, metrics, evidence" } }, async (req) => {
    const q = parseQuery(resultsQuery, req.query);
    const end = q.end ?? now();
    const start = q.start ?? end - DAY_MS;
    if (start > end) throw new ValidationError('KSK_REQUEST_INVALID', 'start must not be after end', [{ path: 'query.start', message: 'start must not be after end' }]);
    const rows = await deps.telemetry.selectCheckResults({ check: req.params.name, startMs: start, endMs: end, limit: q.limit, order: q.order, ...(q.location ? { location: q.location } : {}) });
    if (!rows.length && !service.has(req.params.name)) requireCheck(req.params.name);
    return { check: req.params.name, start: iso(start), end: iso(end), results: rows.map(checkResultJson) };
  });

  app.get<{ Params: { name: string } }>('/api/v1/checks/:name/availability', { schema: { tags: ['checks'], summary: 'Share of OK runs over a time range' } }, async (req) => {
    const q = parseQuery(availabilityQuery, req.query);
    const end = q.end ?? now();
    const start = q.start ?? end - 30 * DAY_MS;
    if (start > end) throw new ValidationError('KSK_REQUEST_INVALID', 'start must not be after end', [{ path: 'query.start', message: 'start must not be after end' }]);
    const a = await deps.telemetry.availability({ check: req.params.name, startMs: start, endMs: end, ...(q.location ? { location: q.location } : {}) });
    if (!a.runs && !service.has(req.params.name)) requireCheck(req.params.name);
    return { check: req.params.name, start: iso(start), end: iso(end), ...a };
  });

  app.post<{ Params: { name: string } }>('/api/v1/checks/:name/run', { config: { role: 'editor', action: 'check.run' }, schema: { tags: ['checks'], summary: 'Run a check now and return its result and state' } }, async (req) => {
    const s = requireCheck(req.params.name);
    if (s.disabled) throw new ValidationError('KSK_CHECK_DISABLED', `Check/${s.name} is disabled (spec.disabled: true); enable it to run it`, [{ path: 'spec.disabled', message: 'the check is disabled' }]);
    const r = await service.runNow(req.params.name);
    if (!r) throw new NotFoundError('KSK_CHECK_NOT_FOUND', `Check/${req.params.name} is not scheduled`);
    return { result: checkResultJson({ ...r.result, check: s.name }), state: checkStateJson(r.state) };
  });

  // Beats come from cron jobs: any content type is accepted, the body (if any) is the message.
  void app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'string', bodyLimit: 64 * 1024 }, (_req, body, done) => done(null, body));
    for (const [suffix, kind] of [['', 'success'], ['/start', 'start'], ['/fail', 'fail']] as const) {
      const handler = async (req: FastifyRequest<{ Params: { check: string } }>) => beat(req, kind);
      const opts = { config: { role: 'public' as const }, schema: { tags: ['heartbeats'], summary: `Heartbeat: the job ${kind === 'success' ? 'succeeded' : kind === 'start' ? 'started' : 'failed'} (auth: ?key=<spec.secret> or an editor token)`, security: [] } };
      scope.get(`/api/v1/heartbeats/:check${suffix}`, opts, handler);
      scope.post(`/api/v1/heartbeats/:check${suffix}`, opts, handler);
    }
  });

  async function beat(req: FastifyRequest<{ Params: { check: string } }>, kind: BeatKind) {
    const q = parseQuery(heartbeatQuery, req.query);
    const def = service.definition(req.params.check);
    const secret = def?.spec.type === 'heartbeat' ? (def.spec as { secret?: string }).secret : undefined;
    let token: AuthenticatedToken | undefined;
    if (q.key !== undefined) {
      if (!secret || !sameSecret(q.key, secret)) throw new AuthError('KSK_HEARTBEAT_KEY_INVALID', `the key does not match Check/${req.params.check}'s spec.secret (or the check has none, or is not a heartbeat)`);
    } else {
      token = await deps.tokens.authenticate(req.headers.authorization);
      deps.tokens.authorize(token, 'editor', 'heartbeat');
    }
    if (!def) throw new NotFoundError('KSK_CHECK_NOT_FOUND', `Check/${req.params.check} does not exist`);
    if (def.spec.type !== 'heartbeat') throw new ValidationError('KSK_CHECK_NOT_HEARTBEAT', `Check/${def.name} is of type ${def.spec.type}, not heartbeat`, [{ path: 'spec.type', message: 'expected heartbeat' }]);
    const body = typeof req.body === 'string' ? req.body.trim() : undefined;
    const message = (q.msg ?? (body || undefined))?.slice(0, MAX_BEAT_MESSAGE);
    const r = await service.beat(def.name, kind, message);
    if (!r) throw new ValidationError('KSK_CHECK_DISABLED', `Check/${def.name} is disabled (spec.disabled: true)`, [{ path: 'spec.disabled', message: 'the check is disabled' }]);
    req.log.debug({ check: def.name, kind, by: token?.name ?? 'key' }, 'heartbeat');
    return { status: 'ok', check: def.name, beat: kind, state: r.state.status, stateType: r.state.hard ? 'hard' : 'soft', message: r.result.message };
  }
}
