/**
 * A fast lane past Fastify for one hot ingest endpoint (remote-write). Measured on the bench
 * machine, Fastify's routing, content-type parsing, hooks and reply cost ≈ 230 µs of CPU per
 * 60 KB POST beside ≈ 300 µs for Node's HTTP itself, about a tenth of the remote-write ingest
 * thread (BENCHMARKS.md). The lane does what the Fastify edge does for such a request (bearer
 * authentication and role check, request id, request metrics and log line, the error shape,
 * audit of a failed write), and nothing else.
 *
 * It only takes the happy path it can decide before reading the body: the method and path
 * match, the body has a Content-Length within the limit, and the token authenticates with the
 * role the lane needs. Anything else (no token, a wrong one, a chunked or oversized body) is
 * handed to Fastify untouched, which answers it with its usual errors and audit records.
 * The lane's handler is the same function the Fastify route calls, so both answer alike.
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { newRequestId, roleAtLeast, type AuthenticatedToken, type TokenService } from '../../auth/tokens.js';
import type { Actor } from '../../inventory/actor.js';
import { isKansokuError } from '../../lib/errors.js';
import type { Logger } from '../../lib/logger.js';
import type { SelfMetrics } from '../../selfmon/metrics.js';
import type { Role } from '../../store/state-store.js';
import { errorBody, statusOf } from './error-handler.js';

export interface LaneReply {
  status: number;
  headers?: Record<string, string>;
  /** JSON-encoded when present; none for 204. */
  body?: unknown;
}

export interface FastLane {
  method: 'POST';
  /** Exact path, without a query string. */
  url: string;
  /** For the audit record of a failure and the 403 message (as the route's `config.action`). */
  action: string;
  role: Role;
  handle(body: Buffer, headers: IncomingHttpHeaders): Promise<LaneReply>;
}

export interface FastLaneDeps {
  logger: Logger;
  tokens: TokenService;
  metrics: SelfMetrics;
  bodyLimitBytes: number;
  /** The token was used (its last-use time is written at most once a minute). */
  touched(token: AuthenticatedToken): void;
  /** Audits a request the handler failed with an error (as the Fastify edge's onError hook does); `detail` is "<status> <code>: <message>". */
  auditFailure(actor: Actor, action: string, detail: string): Promise<void>;
}

/** Lanes by path; `take` says whether it answered the request (else Fastify must). */
export class FastLanes {
  readonly #lanes = new Map<string, FastLane>();

  constructor(private readonly deps: FastLaneDeps) {}

  add(lane: FastLane): void {
    this.#lanes.set(lane.url, lane);
  }

  /**
   * Called for every request before Fastify sees it; synchronous and cheap for the others.
   * `fallback` gives the request to Fastify (also later, while the body is still unread).
   */
  take(req: IncomingMessage, res: ServerResponse, fallback: () => void): boolean {
    if (this.#lanes.size === 0 || req.method !== 'POST') return false;
    const lane = this.#lanes.get(req.url ?? '');
    if (!lane) return false;
    const length = Number(req.headers['content-length']);
    const auth = req.headers.authorization;
    if (!auth || !(length > 0) || length > this.deps.bodyLimitBytes) return false;
    void this.#run(lane, req, res, fallback);
    return true;
  }

  async #run(lane: FastLane, req: IncomingMessage, res: ServerResponse, fallback: () => void): Promise<void> {
    const started = performance.now();
    let token: AuthenticatedToken;
    try {
      token = await this.deps.tokens.authenticate(req.headers.authorization);
      if (!roleAtLeast(token.role, lane.role)) return fallback();
    } catch {
      // Refused or failed: Fastify answers it and audits the refusal the usual way.
      return fallback();
    }
    this.deps.touched(token);
    const given = req.headers['x-request-id'];
    const reqId = typeof given === 'string' && /^[\w.-]{1,128}$/.test(given) ? given : newRequestId();
    let reply: LaneReply;
    let failure: unknown;
    try {
      const body = await readBody(req, this.deps.bodyLimitBytes);
      reply = await lane.handle(body, req.headers);
    } catch (err) {
      failure = err;
      reply = toReply(err);
    }
    if (!res.destroyed) {
      res.statusCode = reply.status;
      res.setHeader('x-request-id', reqId);
      if (reply.headers) for (const [k, v] of Object.entries(reply.headers)) res.setHeader(k, v);
      if (reply.body === undefined) res.end();
      else {
        const text = JSON.stringify(reply.body);
        res.setHeader('content-type', 'application/json; charset=utf-8');
        res.setHeader('content-length', Buffer.byteLength(text));
        res.end(text);
      }
    }
    const ms = performance.now() - started;
    this.deps.metrics.httpRequests.inc({ method: 'POST', route: lane.url, status: String(reply.status) });
    this.deps.metrics.httpDuration.observe({ method: 'POST', route: lane.url }, ms / 1000);
    const line = { method: 'POST', url: lane.url, status: reply.status, ms: Math.round(ms), actor: token.name, reqId };
    if (reply.status >= 500) this.deps.logger.error({ ...line, err: failure }, 'request');
    else if (reply.status >= 300) this.deps.logger.info(line, 'request');
    else this.deps.logger.debug(line, 'request');
    if (failure !== undefined) {
      const actor: Actor = { id: token.id, name: token.name, role: token.role, sourceIp: req.socket.remoteAddress ?? null, userAgent: req.headers['user-agent'] ?? null, requestId: reqId };
      await this.deps.auditFailure(actor, lane.action, `${reply.status} ${isKansokuError(failure) ? failure.code : failure instanceof BodyError ? failure.code : 'KSK_INTERNAL'}: ${failure instanceof Error ? failure.message : String(failure)}`);
    }
  }
}

/** The error shape of the Fastify edge (error-handler.ts) for an error thrown by a lane's handler. */
function toReply(err: unknown): LaneReply {
  if (isKansokuError(err)) return { status: statusOf(err), body: errorBody(err) };
  if (err instanceof BodyError) return { status: err.status, body: { status: 'error', errorType: 'bad_data', error: err.message, code: err.code } };
  return { status: 500, body: { status: 'error', errorType: 'internal', error: 'internal error; the server log has the details', code: 'KSK_INTERNAL' } };
}

class BodyError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        req.destroy();
        reject(new BodyError(413, 'KSK_HTTP_FST_ERR_CTP_BODY_TOO_LARGE', `request body too large: more than ${limit} bytes`));
        return;
      }
      chunks.push(c);
    });
    req.once('end', () => {
      const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
      const declared = Number(req.headers['content-length']);
      if (body.length !== declared) reject(new BodyError(400, 'KSK_HTTP_BODY_LENGTH', `request body has ${body.length} bytes, Content-Length said ${declared}`));
      else resolve(body);
    });
    req.once('error', reject);
    req.once('aborted', () => reject(new BodyError(400, 'KSK_HTTP_ABORTED', 'the client aborted the request')));
  });
}
