import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { ValidationError } from '../../lib/errors.js';
import type { AuditService } from '../../audit/audit-service.js';
import type { AuditRecord } from '../../store/state-store.js';

const isoTime = z
  .string()
  .refine((s) => !Number.isNaN(Date.parse(s)), 'expected an RFC 3339 time such as 2026-11-22T10:00:00Z')
  .transform((s) => new Date(s).toISOString());

const auditQuery = z
  .object({
    actor: z.string().optional(),
    action: z.string().optional().describe('exact action, or a prefix ending in * (object.*)'),
    kind: z.string().optional(),
    name: z.string().optional(),
    outcome: z.enum(['success', 'failure', 'denied']).optional(),
    since: isoTime.optional(),
    until: isoTime.optional(),
    after: z.coerce.number().int().min(0).optional().describe('page: records after this sequence number'),
    limit: z.coerce.number().int().min(1).max(10_000).default(100),
    order: z.enum(['asc', 'desc']).default('desc'),
    format: z.enum(['json', 'jsonl']).default('json'),
  })
  .strict();

export function auditRecordJson(r: AuditRecord) {
  return {
    seq: r.seq,
    time: r.time,
    actor: { id: r.actorId, name: r.actorName, sourceIp: r.sourceIp, userAgent: r.userAgent },
    requestId: r.requestId,
    action: r.action,
    object: r.objectKind ? { kind: r.objectKind, name: r.objectName, version: r.objectVersion } : null,
    before: r.before ? (JSON.parse(r.before) as unknown) : null,
    after: r.after ? (JSON.parse(r.after) as unknown) : null,
    outcome: r.outcome,
    detail: r.detail,
    prevHash: r.prevHash,
    hash: r.hash,
  };
}

export function registerAuditRoutes(app: FastifyInstance, audit: AuditService): void {
  app.get('/api/v1/audit', { schema: { tags: ['audit'], summary: 'Search the audit trail; format=jsonl streams every match as JSON Lines' } }, async (req, reply) => {
    const r = auditQuery.safeParse(req.query);
    if (!r.success) {
      const issues = r.error.issues.map((i) => ({ path: `query.${i.path.join('.')}`, message: i.message }));
      throw new ValidationError('KSK_REQUEST_INVALID', `invalid audit query: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, issues);
    }
    const q = r.data;
    const filter = { actor: q.actor, action: q.action, kind: q.kind, name: q.name, outcome: q.outcome, since: q.since, until: q.until };
    if (q.format === 'jsonl') {
      // Export: every matching record oldest first, streamed so a large trail needs no memory.
      reply.type('application/x-ndjson; charset=utf-8');
      const { Readable } = await import('node:stream');
      const lines = (async function* () {
        for await (const rec of audit.iterate(filter)) yield `${JSON.stringify(auditRecordJson(rec))}\n`;
      })();
      return reply.send(Readable.from(lines));
    }
    const records = await audit.query({ ...filter, afterSeq: q.after, limit: q.limit, order: q.order });
    const last = records.at(-1);
    return { records: records.map(auditRecordJson), next: records.length === q.limit && last ? last.seq : null };
  });

  app.get('/api/v1/audit/verify', { schema: { tags: ['audit'], summary: 'Recompute the hash chain; names the first altered, removed or reordered record' } }, async () => audit.verify());

  app.get('/api/v1/audit/head', { schema: { tags: ['audit'], summary: 'The latest sequence number and hash: keep it elsewhere to detect truncation later' } }, async () => {
    const v = await audit.verify();
    return { seq: v.head.seq, hash: v.head.hash, verified: v.ok };
  });
}
