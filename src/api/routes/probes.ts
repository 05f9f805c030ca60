import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { z } from 'zod';
import type { CheckService, CheckStateView } from '../../checks/check-service.js';
import { locationNameSchema, resultsBatchSchema, type AssignmentsResponse, type ResultsResponse } from '../../checks/locations/protocol.js';
import { ValidationError } from '../../lib/errors.js';

export interface ProbeRoutesDeps {
  service: Pick<CheckService, 'assignments' | 'acceptResults' | 'states' | 'location'>;
  now?: () => number;
}

const iso = (t: number | null | undefined) => (t === null || t === undefined ? null : new Date(t).toISOString());

function parse<T extends z.ZodType>(schema: T, value: unknown, where: string): z.output<T> {
  const r = schema.safeParse(value);
  if (!r.success) {
    const issues = r.error.issues.slice(0, 20).map((i) => ({ path: [where, ...i.path].join('.'), message: i.message }));
    throw new ValidationError('KSK_PROBE_REQUEST_INVALID', `invalid ${where}: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, issues);
  }
  return r.data;
}

/** Per-location state of every check, as the API shows it. */
export function locationStatesJson(s: CheckStateView) {
  if (!s.locations) return null;
  return {
    minFailingLocations: s.minFailingLocations,
    locations: s.locations.map((l) => ({
      location: l.location,
      state: l.status,
      stateType: l.hard ? 'hard' : 'soft',
      attempt: l.attempt,
      since: iso(l.since),
      flapping: l.flapping,
      silentSince: iso(l.silentSince),
      message: l.message,
      lastRun: l.lastRun ? { status: l.lastRun.status, startedAt: iso(l.lastRun.startedAt), durationMs: l.lastRun.durationMs } : null,
    })),
  };
}

/**
 * /api/v1/probes: what probe agents (`kansoku agent --probe LOCATION`) run and where their
 * results go. Assignments carry check secrets, so both probe routes need an editor token.
 */
export function registerProbeRoutes(app: FastifyInstance, deps: ProbeRoutesDeps): void {
  const now = deps.now ?? Date.now;
  const lastSeen = new Map<string, number>();

  app.get('/api/v1/probes', { schema: { tags: ['probes'], summary: 'Probe locations: when each last called, and the state of each check there' } }, async () => {
    const byLocation = new Map<string, { check: string; state: string; stateType: string; silentSince: string | null; message: string | null; lastRun: string | null }[]>();
    for (const s of deps.service.states()) {
      for (const l of s.locations ?? []) {
        const list = byLocation.get(l.location) ?? [];
        list.push({ check: s.name, state: l.status, stateType: l.hard ? 'hard' : 'soft', silentSince: iso(l.silentSince), message: l.message, lastRun: iso(l.lastRun?.startedAt) });
        byLocation.set(l.location, list);
      }
    }
    for (const l of lastSeen.keys()) if (!byLocation.has(l)) byLocation.set(l, []);
    return {
      serverLocation: deps.service.location,
      locations: [...byLocation.keys()].sort().map((l) => ({ location: l, lastSeen: iso(lastSeen.get(l)), checks: byLocation.get(l)! })),
    };
  });

  app.get<{ Params: { location: string } }>(
    '/api/v1/probes/:location/assignments',
    { config: { role: 'editor', action: 'probe.assignments' }, schema: { tags: ['probes'], summary: 'The enabled checks whose spec.locations name this location (ETag / If-None-Match answers 304 when unchanged)' } },
    async (req, reply) => {
      const location = parse(locationNameSchema, req.params.location, 'params.location');
      lastSeen.set(location, now());
      const body: AssignmentsResponse = {
        location,
        serverLocation: deps.service.location,
        checks: deps.service.assignments(location).map((c) => ({ name: c.name, labels: c.labels, spec: c.spec as unknown as Record<string, unknown> })),
      };
      const json = JSON.stringify(body);
      const etag = `"${createHash('sha256').update(json).digest('base64url').slice(0, 27)}"`;
      void reply.header('etag', etag).header('cache-control', 'no-store');
      if (req.headers['if-none-match'] === etag) return reply.status(304).send();
      return reply.type('application/json; charset=utf-8').send(json);
    },
  );

  app.post<{ Params: { location: string } }>(
    '/api/v1/probes/:location/results',
    { config: { role: 'editor', action: 'probe.results' }, schema: { tags: ['probes'], summary: 'Results a probe agent ran; idempotent on runId' } },
    async (req): Promise<ResultsResponse> => {
      const location = parse(locationNameSchema, req.params.location, 'params.location');
      const batch = parse(resultsBatchSchema, req.body, 'body');
      lastSeen.set(location, now());
      const out = await deps.service.acceptResults(location, batch.results);
      if (out.rejected.length) req.log.warn({ location, rejected: out.rejected.length, first: out.rejected[0] }, 'probe results rejected');
      return out;
    },
  );
}
