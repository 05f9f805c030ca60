import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { stringify as toYaml } from 'yaml';
import { parseLabelSelector, type LabelMatcher } from '../../core/labels.js';
import { ValidationError } from '../../lib/errors.js';
import { validateDocuments } from '../../inventory/document.js';
import { parseDocumentsText } from '../../inventory/parse-yaml.js';
import type { ObjectService } from '../../inventory/object-service.js';
import type { ObjectVersion, StoredObject } from '../../store/state-store.js';
import { actorOf } from '../http/request-context.js';

const kindParams = z.object({ kind: z.string() });
const objectParams = z.object({ kind: z.string(), name: z.string() });

function parseQuery<T extends z.ZodType>(schema: T, value: unknown, where: string): z.infer<T> {
  const r = schema.safeParse(value);
  if (!r.success) {
    const issues = r.error.issues.map((i) => ({ path: `${where}.${i.path.join('.')}`, message: i.message }));
    throw new ValidationError('KSK_REQUEST_INVALID', `invalid request: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, issues);
  }
  return r.data;
}

function selectorOf(q: { selector?: string | undefined }): LabelMatcher[] | undefined {
  if (!q.selector) return undefined;
  try {
    return parseLabelSelector(q.selector);
  } catch (err) {
    throw new ValidationError('KSK_SELECTOR_INVALID', (err as Error).message, [{ path: 'query.selector', message: (err as Error).message }]);
  }
}

/** The request body as raw documents: JSON object/array, `{documents: [...]}`, or YAML text. */
function bodyDocuments(req: FastifyRequest): { raw: unknown; source: string }[] {
  const body = req.body;
  if (typeof body === 'string') return parseDocumentsText(body, 'request');
  if (Array.isArray(body)) return body.map((raw, i) => ({ raw, source: `request#${i + 1}` }));
  if (body && typeof body === 'object' && Array.isArray((body as { documents?: unknown }).documents)) {
    // The CLI sends where each document came from ("checks/shop.yaml#2") so messages name the file.
    const { documents, sources } = body as { documents: unknown[]; sources?: unknown };
    const names = Array.isArray(sources) && sources.length === documents.length && sources.every((x) => typeof x === 'string') ? (sources as string[]) : undefined;
    return documents.map((raw, i) => ({ raw, source: names?.[i] ?? `request#${i + 1}` }));
  }
  if (body === undefined || body === null) throw new ValidationError('KSK_REQUEST_EMPTY', 'empty request body: expected a document', []);
  return [{ raw: body, source: 'request' }];
}

const versionQuery = z.object({ version: z.coerce.number().int().positive().optional() }).strict();
const listQuery = z.object({ kind: z.string().optional(), selector: z.string().optional() }).strict();
const applyQuery = z
  .object({
    prune: z.enum(['true', 'false']).optional(),
    set: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, 'apply set names are lower-case letters, digits, ".", "_" or "-"').optional(),
  })
  .strict();

export function registerObjectRoutes(app: FastifyInstance, objects: ObjectService): void {
  const doc = (o: StoredObject) => objects.toDocument(o);
  const versionDoc = (v: ObjectVersion) => ({
    version: v.version,
    change: v.change,
    time: v.time,
    actor: v.actor,
    auditSeq: v.auditSeq,
    document: objects.toDocument({ kind: v.kind, name: v.name, labels: v.labels, annotations: v.annotations, spec: v.spec }, { meta: false }),
  });

  app.get('/api/v1/kinds', { schema: { tags: ['objects'], summary: 'Kinds of objects this server knows, with their JSON Schemas' } }, async () => ({
    kinds: objects.registry.list().map((k) => ({ kind: k.kind, description: k.description, schema: safeJsonSchema(k.specSchema) })),
  }));

  app.get('/api/v1/objects', { schema: { tags: ['objects'], summary: 'List objects; filter by kind and label selector (env=prod,tier!=db)' } }, async (req) => {
    const q = parseQuery(listQuery, req.query, 'query');
    return { items: (await objects.list({ kind: q.kind, selector: selectorOf(q) })).map(doc) };
  });

  app.get('/api/v1/objects/:kind', { schema: { tags: ['objects'], summary: 'List objects of one kind' } }, async (req) => {
    const { kind } = parseQuery(kindParams, req.params, 'path');
    const q = parseQuery(listQuery.omit({ kind: true }), req.query, 'query');
    return { items: (await objects.list({ kind, selector: selectorOf(q) })).map(doc) };
  });

  app.get('/api/v1/objects/:kind/:name', { schema: { tags: ['objects'], summary: 'Get one object (secrets redacted)' } }, async (req) => {
    const { kind, name } = parseQuery(objectParams, req.params, 'path');
    return doc(await objects.get(kind, name));
  });

  app.post('/api/v1/objects', { config: { action: 'object.create' }, schema: { tags: ['objects'], summary: 'Create an object from a document (JSON or YAML)' } }, async (req, reply) => {
    const raws = bodyDocuments(req);
    if (raws.length !== 1) throw new ValidationError('KSK_REQUEST_ONE_DOCUMENT', `expected exactly one document, got ${raws.length}; use POST /api/v1/apply for several`, []);
    const [d] = validateDocuments(raws, objects.registry);
    const created = await objects.create(actorOf(req), d!);
    return reply.status(201).header('location', `/api/v1/objects/${created.kind}/${created.name}`).send(doc(created));
  });

  app.put('/api/v1/objects/:kind/:name', { config: { action: 'object.update' }, schema: { tags: ['objects'], summary: 'Replace an object; ?version=N (or If-Match: N) refuses if it changed meanwhile' } }, async (req) => {
    const { kind, name } = parseQuery(objectParams, req.params, 'path');
    const q = parseQuery(versionQuery, req.query, 'query');
    const ifMatch = req.headers['if-match'];
    const expected = q.version ?? (ifMatch ? Number(String(ifMatch).replace(/"/g, '')) : undefined);
    const raws = bodyDocuments(req);
    if (raws.length !== 1) throw new ValidationError('KSK_REQUEST_ONE_DOCUMENT', `expected exactly one document, got ${raws.length}`, []);
    const [d] = validateDocuments(await objects.withStoredSecrets(raws), objects.registry);
    if (d!.kind !== kind || d!.metadata.name !== name) {
      throw new ValidationError('KSK_OBJECT_PATH_MISMATCH', `the document is ${d!.kind}/${d!.metadata.name} but the URL names ${kind}/${name}`, [{ path: 'metadata.name', message: `expected ${kind}/${name}` }]);
    }
    return doc(await objects.replace(actorOf(req), d!, Number.isFinite(expected) ? expected : undefined));
  });

  app.delete('/api/v1/objects/:kind/:name', { config: { action: 'object.delete' }, schema: { tags: ['objects'], summary: 'Delete an object; its history stays readable' } }, async (req) => {
    const { kind, name } = parseQuery(objectParams, req.params, 'path');
    const q = parseQuery(versionQuery, req.query, 'query');
    const deleted = await objects.remove(actorOf(req), kind, name, q.version);
    return { deleted: { kind: deleted.kind, name: deleted.name, version: deleted.version } };
  });

  app.get('/api/v1/objects/:kind/:name/history', { schema: { tags: ['objects'], summary: 'Every version of an object, oldest first' } }, async (req) => {
    const { kind, name } = parseQuery(objectParams, req.params, 'path');
    return { versions: (await objects.history(kind, name)).map(versionDoc) };
  });

  app.get('/api/v1/objects/:kind/:name/versions/:version', { schema: { tags: ['objects'], summary: 'One old version of an object' } }, async (req) => {
    const p = parseQuery(objectParams.extend({ version: z.coerce.number().int().positive() }), req.params, 'path');
    return versionDoc(await objects.version(p.kind, p.name, p.version));
  });

  app.get('/api/v1/objects/:kind/:name/diff', { schema: { tags: ['objects'], summary: 'Field diff between two versions (?from=1&to=2)' } }, async (req) => {
    const { kind, name } = parseQuery(objectParams, req.params, 'path');
    const q = parseQuery(z.object({ from: z.coerce.number().int().positive(), to: z.coerce.number().int().positive() }).strict(), req.query, 'query');
    return { kind, name, from: q.from, to: q.to, changes: await objects.diffVersions(kind, name, q.from, q.to) };
  });

  app.post('/api/v1/plan', { config: { role: 'viewer' }, schema: { tags: ['config as code'], summary: 'What applying these documents would create, change (field diff, drift) and delete' } }, async (req) => {
    const q = parseQuery(applyQuery, req.query, 'query');
    const docs = validateDocuments(await objects.withStoredSecrets(bodyDocuments(req)), objects.registry);
    return objects.plan(docs, { prune: q.prune !== 'false', set: q.set });
  });

  app.post('/api/v1/apply', { config: { action: 'config.apply' }, schema: { tags: ['config as code'], summary: 'Apply documents all-or-nothing and idempotently; ?prune=false keeps objects missing from them' } }, async (req) => {
    const q = parseQuery(applyQuery, req.query, 'query');
    const docs = validateDocuments(await objects.withStoredSecrets(bodyDocuments(req)), objects.registry);
    return objects.apply(actorOf(req), docs, { prune: q.prune !== 'false', set: q.set });
  });

  app.get('/api/v1/export', { schema: { tags: ['config as code'], summary: 'Every object as YAML (or ?format=json) that re-applies to no change' } }, async (req, reply) => {
    const q = parseQuery(listQuery.extend({ format: z.enum(['yaml', 'json']).default('yaml') }), req.query, 'query');
    const docs = await objects.export({ kind: q.kind, selector: selectorOf(q) });
    if (q.format === 'json') return { items: docs };
    return reply.type('application/yaml; charset=utf-8').send(docs.map((d) => toYaml(d, { lineWidth: 0 })).join('---\n'));
  });
}

function safeJsonSchema(schema: z.ZodType): unknown {
  try {
    return z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });
  } catch {
    return {};
  }
}
