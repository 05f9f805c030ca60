import type {} from '@fastify/swagger';
import type { FastifyRequest } from 'fastify';
import type { AuthenticatedToken } from '../../auth/tokens.js';
import type { Actor } from '../../inventory/actor.js';
import type { Role } from '../../store/state-store.js';
import type { FastLane } from './fast-lane.js';

declare module 'fastify' {
  interface FastifyRequest {
    token?: AuthenticatedToken;
  }
  interface FastifyInstance {
    /** Serves a hot ingest endpoint past Fastify when it can (see fast-lane.ts); register the same handler as a route too. */
    fastLane(lane: FastLane): void;
  }
  interface FastifyContextConfig {
    /** Lowest role allowed; default viewer for GET/HEAD, editor otherwise. `public` skips auth. */
    role?: Role | 'public';
    /** What the route does, for 403 messages and denied-audit records, e.g. "object.create". */
    action?: string;
    /**
     * High-volume ingest (remote-write, OTLP): a successful request is logged at debug, not
     * info. A Prometheus sends several requests a second per shard; an access line for each
     * would bury the server's log (Prometheus does not log them either). Failures still log.
     */
    quietLog?: boolean;
  }
}

export function actorOf(req: FastifyRequest): Actor {
  const t = req.token;
  return {
    id: t?.id ?? null,
    name: t?.name ?? 'anonymous',
    role: t?.role ?? null,
    sourceIp: req.ip ?? null,
    userAgent: (req.headers['user-agent'] as string | undefined) ?? null,
    requestId: String(req.id),
  };
}
