import { randomUUID } from 'node:crypto';
import { canonicalJson } from '../core/canonical-json.js';
import { matchesLabels, type LabelMatcher } from '../core/labels.js';
import { ConflictError, NotFoundError, ValidationError } from '../lib/errors.js';
import type { AuditInput, ObjectVersion, StateStore, StateTx, StoredObject } from '../store/state-store.js';
import type { Actor } from './actor.js';
import { deepEqual, diffValues, type FieldChange } from './diff.js';
import { API_VERSION, awaitsStoredSecrets, invalidDocuments, validateDocument, type ObjectDocument } from './document.js';
import type { KindRegistry } from './kinds.js';
import { REDACTED, redactSpec } from './redact.js';
import type { SecretBox } from '../secrets/envelope.js';
import { sealedStore, SpecSealer } from './sealed-specs.js';
import { resealStoredSecrets, type ResealReport } from './secrets-at-rest.js';
import { SYSTEM_ACTOR } from './actor.js';

export interface PlanEntry {
  action: 'create' | 'update' | 'delete' | 'unchanged';
  kind: string;
  name: string;
  /** Field changes from the live object to the desired one (update), or the whole object (create/delete). */
  changes: FieldChange[];
  /** Set when the live object was changed outside `apply` since it was last applied. */
  drift?: { liveVersion: number; lastAppliedVersion: number | null; changedBy: string; changedAt: string };
}

export interface Plan {
  set: string;
  prune: boolean;
  entries: PlanEntry[];
  summary: { create: number; update: number; delete: number; unchanged: number; drifted: number };
}

export interface ApplyOptions {
  /** Delete objects this apply set manages that the documents no longer contain. */
  prune?: boolean;
  /** The apply set: the group of objects one configuration repository manages. */
  set?: string;
}

export const DEFAULT_APPLY_SET = 'default';

/** Told after a change has committed; components (the check scheduler, rule evaluator) reload from it. */
export interface ObjectChange {
  change: 'create' | 'update' | 'delete';
  kind: string;
  name: string;
  /** The object after the change; for a delete, as it was before. */
  object: StoredObject;
}
export type ObjectChangeListener = (c: ObjectChange) => void;

/**
 * The versioned registry of everything users configure. Each change writes the object, a new
 * version and an audit record in one state-store transaction; `apply` writes a whole batch in
 * one transaction, so a crash leaves all of it or none.
 */
export class ObjectService {
  readonly #listeners = new Set<ObjectChangeListener>();
  /** The store with specs sealed on write and opened on read (the raw store without a key). */
  private readonly store: StateStore;
  readonly #raw: StateStore;
  readonly #secrets: SecretBox | undefined;

  /** @param opts.secrets the key that encrypts every kind's secret paths at rest; without it they are stored as given. */
  constructor(
    store: StateStore,
    readonly registry: KindRegistry,
    private readonly now: () => Date = () => new Date(),
    opts: { secrets?: SecretBox } = {},
  ) {
    this.#raw = store;
    this.#secrets = opts.secrets;
    this.store = opts.secrets ? sealedStore(store, new SpecSealer(registry, opts.secrets)) : store;
  }

  /**
   * Seals the secrets a version before encryption at rest stored in the clear (objects and every
   * old version), in one transaction, audited as a system action when anything changed. Refuses,
   * naming both keys, when stored secrets were sealed with another key.
   */
  async sealStoredSecrets(actor: Actor = SYSTEM_ACTOR): Promise<ResealReport | undefined> {
    const box = this.#secrets;
    if (!box) return undefined;
    return this.#raw.transaction(async (tx) => {
      const r = await resealStoredSecrets(tx, this.registry, box);
      if (r.sealedPlain > 0) {
        await tx.appendAudit(
          this.auditInput(actor, 'secrets.encrypt', null, null, null, null, null, `encrypted ${r.sealedPlain} secret values stored in the clear (${r.objects} objects, ${r.versions} versions) with key ${box.keyId}`),
        );
      }
      return r;
    });
  }

  /** Re-encrypts every stored secret from the `from` keys to `to` (offline key rotation), audited. */
  async rotateStoredSecrets(from: readonly SecretBox[], to: SecretBox, actor: Actor = SYSTEM_ACTOR): Promise<ResealReport> {
    return this.#raw.transaction(async (tx) => {
      const r = await resealStoredSecrets(tx, this.registry, to, from);
      await tx.appendAudit(
        this.auditInput(actor, 'secrets.rotate', null, null, null, null, null, `re-encrypted ${r.rekeyed} secret values from key ${from.map((b) => b.keyId).join(', ')} to key ${to.keyId}; sealed ${r.sealedPlain} plain values (${r.objects} objects, ${r.versions} versions)`),
      );
      return r;
    });
  }

  /** Listens for committed changes; returns the function that stops listening. */
  subscribe(listener: ObjectChangeListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  private notify(changes: ObjectChange[]): void {
    for (const c of changes) {
      for (const l of this.#listeners) {
        try {
          l(c);
        } catch {
          // A listener's failure must not undo or hide a committed change.
        }
      }
    }
  }

  /** Runs a write transaction and tells listeners about its changes once it has committed. */
  private async write<T>(fn: (tx: StateTx, changes: ObjectChange[]) => Promise<T>): Promise<T> {
    const changes: ObjectChange[] = [];
    const result = await this.store.transaction((tx) => fn(tx, changes));
    this.notify(changes);
    return result;
  }

  async list(q: { kind?: string; selector?: LabelMatcher[] } = {}): Promise<StoredObject[]> {
    if (q.kind) this.requireKind(q.kind);
    const all = await this.store.listObjects({ kind: q.kind });
    return q.selector?.length ? all.filter((o) => matchesLabels(o.labels, q.selector!)) : all;
  }

  /**
   * Raw documents with each "[redacted]" secret of an existing object replaced by the stored
   * value, before validation: an exported Channel whose secret must be a URL (a webhook) would
   * otherwise fail its schema. Documents of new objects, or without such values, pass unchanged.
   */
  async withStoredSecrets<T extends { raw: unknown }>(raws: T[]): Promise<T[]> {
    return Promise.all(
      raws.map(async (r) => {
        const d = r.raw as { kind?: unknown; metadata?: { name?: unknown }; spec?: unknown } | null;
        if (!d || typeof d !== 'object' || typeof d.kind !== 'string' || typeof d.metadata?.name !== 'string') return r;
        const def = this.registry.get(d.kind);
        if (!def?.secretPaths?.length || !JSON.stringify(d.spec ?? null).includes(JSON.stringify(REDACTED))) return r;
        const live = await this.store.getObject(d.kind, d.metadata.name);
        if (!live) return r;
        const spec = structuredClone(d.spec) as Record<string, unknown>;
        for (const p of def.secretPaths) restorePath(spec, live.spec, p.split('.'));
        return { ...r, raw: { ...d, spec } };
      }),
    );
  }

  async get(kind: string, name: string): Promise<StoredObject> {
    this.requireKind(kind);
    const o = await this.store.getObject(kind, name);
    if (!o) throw new NotFoundError('KSK_OBJECT_NOT_FOUND', `${kind}/${name} does not exist`);
    return o;
  }

  async history(kind: string, name: string): Promise<ObjectVersion[]> {
    this.requireKind(kind);
    const versions = await this.store.listVersions(kind, name);
    if (!versions.length) throw new NotFoundError('KSK_OBJECT_NOT_FOUND', `${kind}/${name} has no history: it never existed`);
    return versions;
  }

  async version(kind: string, name: string, version: number): Promise<ObjectVersion> {
    const v = await this.store.getVersion(kind, name, version);
    if (!v) throw new NotFoundError('KSK_OBJECT_VERSION_NOT_FOUND', `${kind}/${name} has no version ${version}`);
    return v;
  }

  async diffVersions(kind: string, name: string, from: number, to: number): Promise<FieldChange[]> {
    const [a, b] = await Promise.all([this.version(kind, name, from), this.version(kind, name, to)]);
    const def = this.registry.get(kind);
    return diffValues(contentOf(a, def), contentOf(b, def));
  }

  /** The document form of a stored object or version; secrets redacted unless asked not to. */
  toDocument(o: Pick<StoredObject, 'kind' | 'name' | 'labels' | 'annotations' | 'spec'>, opts: { redact?: boolean; meta?: boolean } = {}): ObjectDocument & { metadata: Record<string, unknown> } {
    const def = this.registry.get(o.kind);
    const spec = opts.redact === false ? o.spec : redactSpec(def, o.spec);
    const metadata: Record<string, unknown> = { name: o.name, labels: o.labels, annotations: o.annotations };
    if (opts.meta !== false && 'version' in o) {
      const s = o as StoredObject;
      Object.assign(metadata, { uid: s.uid, version: s.version, createdAt: s.createdAt, updatedAt: s.updatedAt, updatedBy: s.updatedBy });
    }
    return { apiVersion: API_VERSION, kind: o.kind, metadata: metadata as ObjectDocument['metadata'] & Record<string, unknown>, spec };
  }

  validate(raw: unknown, source: string): ObjectDocument {
    const r = validateDocument(raw, this.registry, source);
    if (!r.ok) throw invalidDocuments(r.issues);
    return r.doc;
  }

  async create(actor: Actor, doc: ObjectDocument): Promise<StoredObject> {
    return this.write(async (tx, changes) => {
      const existing = await tx.getObject(doc.kind, doc.metadata.name);
      if (existing) throw new ConflictError('KSK_OBJECT_EXISTS', `${doc.kind}/${doc.metadata.name} already exists (version ${existing.version}); use PUT to replace it`);
      this.refuseRedactedCreate(doc);
      return track(changes, 'create', await this.writeCreate(tx, actor, doc, 'object.create', null));
    });
  }

  async replace(actor: Actor, doc: ObjectDocument, expectedVersion?: number): Promise<StoredObject> {
    return this.write(async (tx, changes) => {
      const live = await tx.getObject(doc.kind, doc.metadata.name);
      if (!live) throw new NotFoundError('KSK_OBJECT_NOT_FOUND', `${doc.kind}/${doc.metadata.name} does not exist; create it with POST first`);
      if (expectedVersion !== undefined && live.version !== expectedVersion) {
        throw new ConflictError('KSK_OBJECT_VERSION_CONFLICT', `${doc.kind}/${doc.metadata.name} is at version ${live.version}, not ${expectedVersion}; read it again and retry`);
      }
      const desired = this.restoreSecrets(doc, live);
      if (sameContent(live, desired)) return live;
      return track(changes, 'update', await this.writeUpdate(tx, actor, live, desired, 'object.update', { lastAppliedVersion: live.lastAppliedVersion, applySet: live.applySet }));
    });
  }

  async remove(actor: Actor, kind: string, name: string, expectedVersion?: number): Promise<StoredObject> {
    this.requireKind(kind);
    return this.write(async (tx, changes) => {
      const live = await tx.getObject(kind, name);
      if (!live) throw new NotFoundError('KSK_OBJECT_NOT_FOUND', `${kind}/${name} does not exist`);
      if (expectedVersion !== undefined && live.version !== expectedVersion) {
        throw new ConflictError('KSK_OBJECT_VERSION_CONFLICT', `${kind}/${name} is at version ${live.version}, not ${expectedVersion}; read it again and retry`);
      }
      await this.writeDelete(tx, actor, live, 'object.delete');
      return track(changes, 'delete', live);
    });
  }

  async plan(docs: ObjectDocument[], opts: ApplyOptions = {}): Promise<Plan> {
    return this.computePlan(this.store, docs, opts);
  }

  /** Applies every document, all or nothing, and returns the plan it carried out. */
  async apply(actor: Actor, docs: ObjectDocument[], opts: ApplyOptions = {}): Promise<Plan> {
    return this.write(async (tx, changes) => {
      const plan = await this.computePlan(tx, docs, opts);
      const set = plan.set;
      const byKey = new Map(docs.map((d) => [`${d.kind}/${d.metadata.name}`, d]));
      for (const e of plan.entries) {
        const key = `${e.kind}/${e.name}`;
        if (e.action === 'create') {
          track(changes, 'create', await this.writeCreate(tx, actor, byKey.get(key)!, 'object.create', set, 'apply'));
        } else if (e.action === 'update') {
          const live = (await tx.getObject(e.kind, e.name))!;
          track(changes, 'update', await this.writeUpdate(tx, actor, live, this.restoreSecrets(byKey.get(key)!, live), 'object.update', { applySet: set }, 'apply'));
        } else if (e.action === 'delete') {
          const live = (await tx.getObject(e.kind, e.name))!;
          await this.writeDelete(tx, actor, live, 'object.delete', 'apply');
          track(changes, 'delete', live);
        } else {
          // Unchanged content: adopt it into the set without a new version.
          const live = (await tx.getObject(e.kind, e.name))!;
          if (live.lastAppliedVersion !== live.version || live.applySet !== set) {
            await tx.updateObject({ ...live, lastAppliedVersion: live.version, applySet: set }, live.version);
          }
        }
      }
      const s = plan.summary;
      await tx.appendAudit(
        this.auditInput(actor, 'config.apply', null, null, null, null, null, `set=${set} prune=${plan.prune}: ${s.create} created, ${s.update} changed, ${s.delete} deleted, ${s.unchanged} unchanged`),
      );
      return plan;
    });
  }

  /** Every object as a document that re-applies to no change (secrets stay redacted and are kept on apply). */
  async export(q: { kind?: string; selector?: LabelMatcher[] } = {}): Promise<ObjectDocument[]> {
    const objs = await this.list(q);
    return objs.map((o) => this.toDocument(o, { meta: false }));
  }

  private async computePlan(reader: Pick<StateTx, 'listObjects'>, docs: ObjectDocument[], opts: ApplyOptions): Promise<Plan> {
    const set = opts.set ?? DEFAULT_APPLY_SET;
    const prune = opts.prune ?? true;
    const live = new Map((await reader.listObjects()).map((o) => [`${o.kind}/${o.name}`, o]));
    const entries: PlanEntry[] = [];
    const wanted = new Set<string>();
    for (const doc of docs) {
      const key = `${doc.kind}/${doc.metadata.name}`;
      wanted.add(key);
      const cur = live.get(key);
      if (!cur) {
        this.refuseRedactedCreate(doc);
        entries.push({ action: 'create', kind: doc.kind, name: doc.metadata.name, changes: diffValues({}, this.redactedContent(doc.kind, docContent(doc))) });
        continue;
      }
      const desired = this.restoreSecrets(doc, cur);
      const def = this.registry.get(doc.kind);
      // Compare the real values (a changed secret is a change), then hide secrets in what is shown.
      const changes = redactChanges(def, diffValues(rawContent(cur), docContent(desired)));
      const drift = cur.lastAppliedVersion !== null && cur.lastAppliedVersion !== cur.version
        ? { liveVersion: cur.version, lastAppliedVersion: cur.lastAppliedVersion, changedBy: cur.updatedBy, changedAt: cur.updatedAt }
        : undefined;
      const entry: PlanEntry = { action: changes.length ? 'update' : 'unchanged', kind: doc.kind, name: doc.metadata.name, changes };
      if (drift) entry.drift = drift;
      entries.push(entry);
    }
    if (prune) {
      for (const [key, o] of live) {
        if (wanted.has(key) || o.applySet !== set) continue;
        entries.push({ action: 'delete', kind: o.kind, name: o.name, changes: diffValues(contentOf(o, this.registry.get(o.kind)), {}) });
      }
    }
    const count = (a: PlanEntry['action']) => entries.filter((e) => e.action === a).length;
    return {
      set,
      prune,
      entries,
      summary: { create: count('create'), update: count('update'), delete: count('delete'), unchanged: count('unchanged'), drifted: entries.filter((e) => e.drift).length },
    };
  }

  private async writeCreate(tx: StateTx, actor: Actor, doc: ObjectDocument, action: string, applySet: string | null, via?: string): Promise<StoredObject> {
    const time = this.now().toISOString();
    const previous = await tx.listVersions(doc.kind, doc.metadata.name);
    const version = (previous.at(-1)?.version ?? 0) + 1;
    const obj: StoredObject = {
      kind: doc.kind,
      name: doc.metadata.name,
      uid: randomUUID(),
      version,
      labels: doc.metadata.labels,
      annotations: doc.metadata.annotations,
      spec: doc.spec,
      createdAt: time,
      updatedAt: time,
      updatedBy: actor.name,
      lastAppliedVersion: applySet ? version : null,
      applySet,
    };
    const rec = await tx.appendAudit(this.auditInput(actor, action, obj.kind, obj.name, version, null, this.auditJson(obj), via ? `via ${via}` : null, time));
    await tx.insertObject(obj);
    await tx.appendVersion({ ...obj, change: 'create', time, actor: actor.name, auditSeq: rec.seq });
    return obj;
  }

  private async writeUpdate(
    tx: StateTx,
    actor: Actor,
    live: StoredObject,
    doc: ObjectDocument,
    action: string,
    apply: { lastAppliedVersion?: number | null; applySet: string | null },
    via?: string,
  ): Promise<StoredObject> {
    const time = this.now().toISOString();
    const version = live.version + 1;
    const next: StoredObject = {
      ...live,
      version,
      labels: doc.metadata.labels,
      annotations: doc.metadata.annotations,
      spec: doc.spec,
      updatedAt: time,
      updatedBy: actor.name,
      lastAppliedVersion: via === 'apply' ? version : (apply.lastAppliedVersion ?? null),
      applySet: apply.applySet,
    };
    const rec = await tx.appendAudit(this.auditInput(actor, action, next.kind, next.name, version, this.auditJson(live), this.auditJson(next), via ? `via ${via}` : null, time));
    await tx.updateObject(next, live.version);
    await tx.appendVersion({ ...next, change: 'update', time, actor: actor.name, auditSeq: rec.seq });
    return next;
  }

  private async writeDelete(tx: StateTx, actor: Actor, live: StoredObject, action: string, via?: string): Promise<void> {
    const time = this.now().toISOString();
    const version = live.version + 1;
    const rec = await tx.appendAudit(this.auditInput(actor, action, live.kind, live.name, version, this.auditJson(live), null, via ? `via ${via}` : null, time));
    await tx.deleteObject(live.kind, live.name, live.version);
    await tx.appendVersion({ ...live, version, change: 'delete', time, actor: actor.name, auditSeq: rec.seq });
  }

  auditInput(
    actor: Actor,
    action: string,
    kind: string | null,
    name: string | null,
    version: number | null,
    before: string | null,
    after: string | null,
    detail: string | null,
    time = this.now().toISOString(),
    outcome: AuditInput['outcome'] = 'success',
  ): AuditInput {
    return {
      time,
      actorId: actor.id,
      actorName: actor.name,
      sourceIp: actor.sourceIp,
      userAgent: actor.userAgent,
      requestId: actor.requestId,
      action,
      objectKind: kind,
      objectName: name,
      objectVersion: version,
      before,
      after,
      outcome,
      detail,
    };
  }

  private auditJson(o: StoredObject): string {
    return canonicalJson(this.toDocument(o, { meta: false }));
  }

  private redactedContent(kind: string, c: Content): Content {
    return { ...c, spec: redactSpec(this.registry.get(kind), c.spec) };
  }

  /** A secret sent back as "[redacted]" (from an export or a GET) means "keep the stored value". */
  private restoreSecrets(doc: ObjectDocument, live: StoredObject): ObjectDocument {
    const def = this.registry.get(doc.kind);
    if (!def?.secretPaths?.length) return doc;
    const spec = structuredClone(doc.spec) as Record<string, unknown>;
    for (const p of def.secretPaths) restorePath(spec, live.spec, p.split('.'));
    const source = awaitsStoredSecrets(doc);
    if (source === undefined) return { ...doc, spec };
    // The spec was held back from the schema only because of "[redacted]" secrets: validate it now.
    const r = validateDocument({ ...doc, spec }, this.registry, source);
    if (!r.ok) throw invalidDocuments(r.issues);
    return r.doc;
  }

  /** A new object cannot keep a stored secret it does not have. */
  private refuseRedactedCreate(doc: ObjectDocument): void {
    const source = awaitsStoredSecrets(doc);
    if (source === undefined) return;
    throw invalidDocuments([
      { document: source, path: 'spec', message: `"[redacted]" keeps the stored secret, but ${doc.kind}/${doc.metadata.name} does not exist yet: write the real value` },
    ]);
  }

  private requireKind(kind: string): void {
    if (!this.registry.get(kind)) {
      throw new ValidationError('KSK_KIND_UNKNOWN', `unknown kind "${kind}"; known kinds: ${this.registry.names().join(', ')}`, [
        { path: 'kind', message: `unknown kind "${kind}"` },
      ]);
    }
  }
}

function track(changes: ObjectChange[], change: ObjectChange['change'], object: StoredObject): StoredObject {
  changes.push({ change, kind: object.kind, name: object.name, object });
  return object;
}

interface Content {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  spec: unknown;
}

function docContent(d: ObjectDocument): Content {
  return { labels: d.metadata.labels, annotations: d.metadata.annotations, spec: d.spec };
}

function contentOf(o: { labels: Record<string, string>; annotations: Record<string, string>; spec: unknown }, def: import('./kinds.js').KindDefinition | undefined): Content {
  return { labels: o.labels, annotations: o.annotations, spec: redactSpec(def, o.spec) };
}

function rawContent(o: StoredObject): Content {
  return { labels: o.labels, annotations: o.annotations, spec: o.spec };
}

function redactChanges(def: import('./kinds.js').KindDefinition | undefined, changes: FieldChange[]): FieldChange[] {
  if (!def?.secretPaths?.length) return changes;
  const patterns = def.secretPaths.map((p) => new RegExp(`^spec\\.${p.split('.').map((x) => (x === '*' ? '[^.\\[]+' : x.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('\\.')}($|[.[])`));
  return changes.map((c) => {
    if (!patterns.some((re) => re.test(c.path))) return c;
    const out: FieldChange = { path: c.path, op: c.op };
    if ('from' in c) out.from = REDACTED;
    if ('to' in c) out.to = REDACTED;
    return out;
  });
}

function sameContent(live: StoredObject, doc: ObjectDocument): boolean {
  return deepEqual({ labels: live.labels, annotations: live.annotations, spec: live.spec }, docContent(doc));
}

function restorePath(node: unknown, liveNode: unknown, parts: string[]): void {
  if (node === null || typeof node !== 'object' || liveNode === null || typeof liveNode !== 'object') return;
  const [head, ...rest] = parts;
  if (head === undefined) return;
  const obj = node as Record<string, unknown>;
  const liveObj = liveNode as Record<string, unknown>;
  const keys = head === '*' ? Object.keys(obj) : [head];
  for (const k of keys) {
    if (rest.length === 0) {
      if (obj[k] === REDACTED && k in liveObj) obj[k] = liveObj[k];
    } else restorePath(obj[k], liveObj[k], rest);
  }
}
