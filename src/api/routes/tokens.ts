import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { NotFoundError, ValidationError } from '../../lib/errors.js';
import type { TokenService } from '../../auth/tokens.js';
import type { StateStore } from '../../store/state-store.js';
import { ROLES } from '../../store/state-store.js';
import type { ObjectService } from '../../inventory/object-service.js';
import { actorOf } from '../http/request-context.js';

const createBody = z
  .object({
    name: z.string().min(1).max(100).describe('what the token is for, e.g. "ci" or "grafana"'),
    role: z.enum(ROLES as [string, ...string[]]).describe('viewer reads; editor also changes objects; admin also manages tokens'),
    expiresAt: z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'expected an RFC 3339 time').optional(),
  })
  .strict();

export function registerTokenRoutes(app: FastifyInstance, store: StateStore, tokens: TokenService, objects: ObjectService): void {
  app.get('/api/v1/tokens', { config: { role: 'admin' }, schema: { tags: ['auth'], summary: 'List API tokens (never their secrets)' } }, async () => ({ tokens: await store.listTokens() }));

  app.post('/api/v1/tokens', { config: { role: 'admin', action: 'token.create' }, schema: { tags: ['auth'], summary: 'Create a token; the secret is in this response only' } }, async (req, reply) => {
    const r = createBody.safeParse(req.body ?? {});
    if (!r.success) {
      const issues = r.error.issues.map((i) => ({ path: i.path.join('.') || '(body)', message: i.message }));
      throw new ValidationError('KSK_REQUEST_INVALID', `invalid token request: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, issues);
    }
    const actor = actorOf(req);
    const created = await store.transaction(async (tx) => {
      const c = await tokens.create(tx, { name: r.data.name, role: r.data.role as 'viewer', expiresAt: r.data.expiresAt ? new Date(r.data.expiresAt).toISOString() : null }, actor.name);
      await tx.appendAudit(objects.auditInput(actor, 'token.create', 'Token', c.info.name, null, null, JSON.stringify({ id: c.info.id, name: c.info.name, role: c.info.role, expiresAt: c.info.expiresAt }), `token id ${c.info.id}`));
      return c;
    });
    return reply.status(201).send({ ...created.info, token: created.token });
  });

  app.delete('/api/v1/tokens/:id', { config: { role: 'admin', action: 'token.revoke' }, schema: { tags: ['auth'], summary: 'Revoke a token by id (or by name when unique)' } }, async (req) => {
    const { id } = req.params as { id: string };
    const actor = actorOf(req);
    const all = await store.listTokens();
    const matches = all.filter((t) => t.id === id || t.name === id);
    if (matches.length === 0) throw new NotFoundError('KSK_TOKEN_NOT_FOUND', `no token with id or name "${id}"`);
    if (matches.length > 1) throw new ValidationError('KSK_TOKEN_AMBIGUOUS', `${matches.length} tokens are named "${id}"; revoke by id (kansoku token list)`, []);
    const t = matches[0]!;
    const at = new Date().toISOString();
    const revoked = await store.transaction(async (tx) => {
      const ok = await tx.revokeToken(t.id, at);
      tokens.forget();
      if (ok) await tx.appendAudit(objects.auditInput(actor, 'token.revoke', 'Token', t.name, null, JSON.stringify({ id: t.id, name: t.name, role: t.role }), null, `token id ${t.id}`));
      return ok;
    });
    // Again after the commit: a request in between may have cached the row as it was.
    tokens.forget();
    return { id: t.id, name: t.name, revoked, revokedAt: revoked ? at : t.revokedAt };
  });

  app.get('/api/v1/whoami', { schema: { tags: ['auth'], summary: 'The token this request authenticated as' } }, async (req) => ({ token: req.token }));
}
