import { z } from 'zod';
import { objectLabelsSchema } from '../core/labels.js';
import { ValidationError, type FieldIssue } from '../lib/errors.js';
import type { KindDefinition, KindRegistry } from './kinds.js';
import { forEachSecret } from './secret-paths.js';
import { REDACTED } from './redact.js';

export const API_VERSION = 'kansoku/v1';
export const OBJECT_NAME_RE = /^[a-z0-9]([a-z0-9._-]{0,251}[a-z0-9])?$/;

/** A configuration object as users write it in YAML or JSON. */
export interface ObjectDocument<S = unknown> {
  apiVersion: typeof API_VERSION;
  kind: string;
  metadata: { name: string; labels: Record<string, string>; annotations: Record<string, string> };
  spec: S;
}

/** Read-only fields the server adds to documents it returns; accepted and ignored on input. */
const serverMetadataFields = {
  uid: z.string().optional(),
  version: z.number().optional(),
  createdAt: z.string().optional(),
  updatedAt: z.string().optional(),
  updatedBy: z.string().optional(),
};

const envelopeSchema = z
  .object({
    apiVersion: z.literal(API_VERSION, { error: `expected apiVersion "${API_VERSION}"` }),
    kind: z.string({ error: 'expected a kind, e.g. "Check"' }).min(1),
    metadata: z
      .object({
        name: z
          .string({ error: 'expected a name' })
          .regex(OBJECT_NAME_RE, 'names are 1–253 lower-case letters, digits, ".", "_" or "-", starting and ending with a letter or digit'),
        labels: objectLabelsSchema.default({}),
        annotations: z.record(z.string(), z.string()).default({}),
        ...serverMetadataFields,
      })
      .strict(),
    spec: z.unknown().optional(),
  })
  .strict();

/** Where a document came from, for messages: "checks.yaml#2 (Check/shop-top)". */
export function describeSource(source: string, raw: unknown): string {
  const r = raw as { kind?: unknown; metadata?: { name?: unknown } } | null;
  const kind = typeof r?.kind === 'string' ? r.kind : undefined;
  const name = typeof r?.metadata?.name === 'string' ? r.metadata.name : undefined;
  return kind || name ? `${source} (${kind ?? '?'}/${name ?? '?'})` : source;
}

export function zodIssues(err: z.ZodError | readonly z.core.$ZodIssue[], document: string | undefined, prefix = ''): FieldIssue[] {
  return ('issues' in err ? err.issues : err).map((i) => {
    const p = [prefix, ...i.path.map(String)].filter(Boolean).join('.');
    return { document, path: p || '(document)', message: issueMessage(i) };
  });
}

function issueMessage(i: z.core.$ZodIssue): string {
  if (i.code === 'unrecognized_keys') return `unknown field${i.keys.length > 1 ? 's' : ''} ${i.keys.map((k) => `"${k}"`).join(', ')}`;
  if (i.code === 'invalid_type' && i.input === undefined) return `required field is missing (expected ${i.expected})`;
  if (i.code === 'invalid_union' && 'discriminator' in i && i.discriminator) return `${i.message}`;
  return i.message;
}

/**
 * Validates one raw document against the envelope and its kind's schema. Returns the document
 * with defaults applied, or the issues, each naming the document and the field path.
 */
export function validateDocument(
  raw: unknown,
  registry: KindRegistry,
  origin: string,
): { ok: true; doc: ObjectDocument } | { ok: false; issues: FieldIssue[] } {
  const source = describeSource(origin, raw);
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return { ok: false, issues: [{ document: source, path: '(document)', message: 'expected a mapping with apiVersion, kind, metadata and spec' }] };
  }
  // Envelope and spec are checked independently so one pass reports every problem.
  const issues: FieldIssue[] = [];
  const env = envelopeSchema.safeParse(raw);
  if (!env.success) issues.push(...zodIssues(env.error, source));
  const r = raw as { kind?: unknown; spec?: unknown };
  const kindName = typeof r.kind === 'string' ? r.kind : undefined;
  const def = kindName ? registry.get(kindName) : undefined;
  if (kindName && !def) {
    issues.push({ document: source, path: 'kind', message: `unknown kind "${kindName}"; known kinds: ${registry.names().join(', ')}` });
  }
  let spec: unknown;
  let pendingSecrets = false;
  if (def) {
    if (r.spec === undefined) {
      issues.push({ document: source, path: 'spec', message: 'required field is missing (expected object)' });
    } else {
      const parsed = def.specSchema.safeParse(r.spec);
      if (!parsed.success) {
        // "[redacted]" (from an export or a GET) stands for the stored secret, which may have to be
        // a URL or an object: problems only there wait until the service has put the secret back.
        const held = redactedSecretPaths(def, r.spec);
        const rest = parsed.error.issues.filter((i) => !held.some((h) => h.every((seg, k) => String(i.path[k]) === seg)));
        if (held.length && !rest.length) {
          spec = r.spec;
          pendingSecrets = true;
        } else issues.push(...zodIssues(rest, source, 'spec'));
      } else {
        spec = parsed.data;
        const extra = def.validate?.(parsed.data) ?? [];
        issues.push(...extra.map((i) => ({ ...i, document: source, path: `spec.${i.path}` })));
      }
    }
  }
  if (issues.length || !env.success || !def) return { ok: false, issues };
  const { name, labels, annotations } = env.data.metadata;
  const doc: ObjectDocument = { apiVersion: API_VERSION, kind: env.data.kind, metadata: { name, labels, annotations }, spec };
  if (pendingSecrets) awaitingSecrets.set(doc, source);
  return { ok: true, doc };
}

/** Documents whose spec is unparsed because a secret in it is "[redacted]"; value: where the document came from. */
const awaitingSecrets = new WeakMap<ObjectDocument, string>();

/**
 * Where a document came from when its spec still holds "[redacted]" secrets that failed the
 * schema on their own (a URL-typed secret, say); undefined for a fully validated document. The
 * object service restores the stored secrets and validates again (`revalidateWithSecrets`).
 */
export function awaitsStoredSecrets(doc: ObjectDocument): string | undefined {
  return awaitingSecrets.get(doc);
}

/** Concrete paths (segments under spec) whose value is "[redacted]" at one of the kind's secret paths. */
function redactedSecretPaths(def: KindDefinition, spec: unknown): string[][] {
  const out: string[][] = [];
  forEachSecret(def, spec, (value, path) => {
    if (value === REDACTED) out.push(path.split('.'));
  });
  return out;
}

/** Validates many documents; throws one ValidationError listing every issue, or returns them all. */
export function validateDocuments(raws: { raw: unknown; source: string }[], registry: KindRegistry): ObjectDocument[] {
  const docs: ObjectDocument[] = [];
  const issues: FieldIssue[] = [];
  const seen = new Map<string, string>();
  for (const { raw, source } of raws) {
    const r = validateDocument(raw, registry, source);
    if (!r.ok) {
      issues.push(...r.issues);
      continue;
    }
    const key = `${r.doc.kind}/${r.doc.metadata.name}`;
    const first = seen.get(key);
    if (first) {
      issues.push({ document: source, path: 'metadata.name', message: `${key} is defined twice (first in ${first})` });
      continue;
    }
    seen.set(key, source);
    docs.push(r.doc);
  }
  if (issues.length) throw invalidDocuments(issues);
  return docs;
}

export function invalidDocuments(issues: FieldIssue[]): ValidationError {
  const lines = issues.map(formatIssue);
  const head = issues.length === 1 ? 'invalid document' : `${issues.length} problems in documents`;
  return new ValidationError('KSK_OBJECT_INVALID', `${head}:\n  ${lines.join('\n  ')}`, issues);
}

export function formatIssue(i: FieldIssue): string {
  return `${i.document ? `${i.document}: ` : ''}${i.path}: ${i.message}`;
}
