import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { openSqlite } from '../store/state/open-state-store.js';
import type { StateStore } from '../store/state-store.js';
import { AuditService } from '../audit/audit-service.js';
import { runbookKind } from '../incidents/runbook-kind.js';
import { KindRegistry } from './kinds.js';
import { ObjectService } from './object-service.js';
import { validateDocuments } from './document.js';
import { parseDocumentsText } from './parse-yaml.js';
import type { Actor } from './actor.js';

const alice: Actor = { id: 't-alice', name: 'alice', role: 'editor', sourceIp: '10.0.0.5', userAgent: 'test', requestId: 'req-1' };

const secretKind = {
  kind: 'Channel',
  description: 'test kind with a secret',
  specSchema: z.object({ url: z.string(), password: z.string().optional(), interval: z.string().default('1m') }).strict(),
  secretPaths: ['password'],
};

/** Secrets that must be a URL or an object: "[redacted]" fails their schema on its own. */
const hookKind = {
  kind: 'Hook',
  description: 'test kind whose secrets are a URL and a header map',
  specSchema: z.object({ url: z.url(), headers: z.record(z.string(), z.string()).default({}), timeout: z.string().default('5s') }).strict(),
  secretPaths: ['url', 'headers'],
};

let store: StateStore;
let svc: ObjectService;

function docs(yaml: string) {
  return validateDocuments(parseDocumentsText(yaml, 'test.yaml'), svc.registry);
}

const RB = (name: string, title: string, labels = '{}') => `apiVersion: kansoku/v1
kind: Runbook
metadata: {name: ${name}, labels: ${labels}}
spec: {title: "${title}", steps: [{title: step one}]}
`;

beforeAll(async () => {
  store = await openSqlite(path.join(mkdtempSync(path.join(tmpdir(), 'ksk-obj-')), 'state.db'));
  svc = new ObjectService(store, new KindRegistry().register(runbookKind).register(secretKind).register(hookKind));
});
afterAll(async () => store.close());

describe('ObjectService', () => {
  it('plans creates, applies them, and a second apply changes nothing', async () => {
    const d = docs(`${RB('a', 'A', '{env: prod}')}---\n${RB('b', 'B')}`);
    const plan = await svc.plan(d);
    expect(plan.summary).toMatchObject({ create: 2, update: 0, delete: 0 });
    await svc.apply(alice, d);
    const seqAfterFirst = (await store.auditHead()).seq;
    const again = await svc.apply(alice, d);
    expect(again.summary).toMatchObject({ create: 0, update: 0, delete: 0, unchanged: 2 });
    expect((await svc.get('Runbook', 'a')).version).toBe(1);
    // Only the call itself is recorded, no object change.
    const recs = await store.queryAudit({ afterSeq: seqAfterFirst });
    expect(recs.map((r) => r.action)).toEqual(['config.apply']);
  });

  it('applies defaults from the schema and stores them, so export re-applies to no change', async () => {
    expect((await svc.get('Runbook', 'a')).spec).toMatchObject({ links: [] });
    const exported = await svc.export();
    const reparsed = validateDocuments(exported.map((raw, i) => ({ raw: JSON.parse(JSON.stringify(raw)), source: `export#${i + 1}` })), svc.registry);
    const plan = await svc.plan(reparsed);
    expect(plan.summary).toMatchObject({ create: 0, update: 0, delete: 0 });
  });

  it('shows a field diff for a change and marks drift from a hand edit', async () => {
    await svc.replace({ ...alice, name: 'bob' }, docs(RB('b', 'B edited by hand'))[0]!);
    const plan = await svc.plan(docs(`${RB('a', 'A2', '{env: prod}')}---\n${RB('b', 'B')}`));
    const a = plan.entries.find((e) => e.name === 'a')!;
    expect(a.action).toBe('update');
    expect(a.changes).toEqual([{ path: 'spec.title', op: 'change', from: 'A', to: 'A2' }]);
    expect(a.drift).toBeUndefined();
    const b = plan.entries.find((e) => e.name === 'b')!;
    expect(b.action).toBe('update');
    expect(b.drift).toMatchObject({ liveVersion: 2, lastAppliedVersion: 1, changedBy: 'bob' });
  });

  it('prunes objects of the same apply set that the files dropped, and keeps hand-made ones', async () => {
    await svc.create(alice, docs(RB('handmade', 'H'))[0]!);
    const plan = await svc.plan(docs(RB('a', 'A', '{env: prod}')));
    expect(plan.entries.filter((e) => e.action === 'delete').map((e) => e.name)).toEqual(['b']);
    const noPrune = await svc.plan(docs(RB('a', 'A', '{env: prod}')), { prune: false });
    expect(noPrune.summary.delete).toBe(0);
    const otherSet = await svc.plan(docs(RB('x', 'X')), { set: 'team-db' });
    expect(otherSet.summary.delete).toBe(0);
  });

  it('is all-or-nothing: a conflict in the middle of an apply leaves nothing behind', async () => {
    const before = (await store.auditHead()).seq;
    const bad = docs(`${RB('c1', 'C1')}---\n${RB('c2', 'C2')}`);
    // Make the second create collide by creating it between plan and write.
    const originalInsert = store.transaction.bind(store);
    let injected = false;
    (store as { transaction: StateStore['transaction'] }).transaction = (fn) =>
      originalInsert(async (tx) => {
        const wrapped = Object.create(tx) as typeof tx;
        wrapped.insertObject = async (o) => {
          if (o.name === 'c2' && !injected) {
            injected = true;
            throw Object.assign(new Error('simulated crash'), {});
          }
          return tx.insertObject(o);
        };
        return fn(wrapped);
      });
    await expect(svc.apply(alice, bad)).rejects.toThrow('simulated crash');
    (store as { transaction: StateStore['transaction'] }).transaction = originalInsert;
    await expect(svc.get('Runbook', 'c1')).rejects.toMatchObject({ kind: 'not_found' });
    expect((await store.auditHead()).seq).toBe(before);
  });

  it('keeps every version readable, also after delete, and diffs any two', async () => {
    await svc.replace(alice, docs(RB('a', 'A3', '{env: staging}'))[0]!);
    await svc.remove(alice, 'Runbook', 'a');
    const h = await svc.history('Runbook', 'a');
    expect(h.map((v) => v.change)).toEqual(['create', 'update', 'delete']);
    expect(await svc.diffVersions('Runbook', 'a', 1, 2)).toEqual([
      { path: 'labels.env', op: 'change', from: 'prod', to: 'staging' },
      { path: 'spec.title', op: 'change', from: 'A', to: 'A3' },
    ]);
    // Re-creating continues the version numbers.
    const again = await svc.create(alice, docs(RB('a', 'A4'))[0]!);
    expect(again.version).toBe(4);
  });

  it('redacts secrets in documents, plans and audit records, and keeps them when "[redacted]" comes back', async () => {
    const ch = docs('apiVersion: kansoku/v1\nkind: Channel\nmetadata: {name: mail}\nspec: {url: "smtp://x", password: hunter2}\n');
    await svc.apply(alice, ch, { set: 'channels' });
    const shown = svc.toDocument(await svc.get('Channel', 'mail'));
    expect(shown.spec).toMatchObject({ password: '[redacted]' });
    const rec = (await store.queryAudit({ kind: 'Channel', name: 'mail' }))[0]!;
    expect(rec.after).not.toContain('hunter2');
    const exported = await svc.export({ kind: 'Channel' });
    const plan = await svc.plan(validateDocuments([{ raw: exported[0], source: 'export' }], svc.registry), { set: 'channels' });
    expect(plan.summary.update).toBe(0);
    const changed = await svc.plan(docs('apiVersion: kansoku/v1\nkind: Channel\nmetadata: {name: mail}\nspec: {url: "smtp://x", password: newpass}\n'), { set: 'channels' });
    expect(changed.entries[0]!.changes).toEqual([{ path: 'spec.password', op: 'change', from: '[redacted]', to: '[redacted]' }]);
    expect((await svc.get('Channel', 'mail')).spec).toMatchObject({ password: 'hunter2' });
  });

  it('tells subscribers about committed changes only', async () => {
    const seen: string[] = [];
    const stop = svc.subscribe((c) => seen.push(`${c.change} ${c.kind}/${c.name}@${c.object.version}`));
    await svc.apply(alice, docs(`${RB('s1', 'S1')}---\n${RB('s2', 'S2')}`), { set: 'subs' });
    await expect(svc.create(alice, docs(RB('s1', 'again'))[0]!)).rejects.toMatchObject({ kind: 'conflict' });
    await svc.replace(alice, docs(RB('s1', 'S1b'))[0]!);
    await svc.apply(alice, docs(RB('s1', 'S1b')), { set: 'subs' });
    stop();
    await svc.remove(alice, 'Runbook', 's1');
    expect(seen).toEqual(['create Runbook/s1@1', 'create Runbook/s2@1', 'update Runbook/s1@2', 'delete Runbook/s2@1']);
  });

  it('writes an audit record for every change, in a chain that verifies', async () => {
    const recs = await store.queryAudit({ actor: 'alice', action: 'object.*' });
    expect(recs.length).toBeGreaterThan(5);
    expect(recs.every((r) => r.sourceIp === '10.0.0.5' && r.requestId === 'req-1')).toBe(true);
    const upd = recs.find((r) => r.action === 'object.update' && r.objectName === 'a')!;
    expect(JSON.parse(upd.before!).spec.title).toBe('A');
    expect(JSON.parse(upd.after!).spec.title).toBe('A3');
    expect(await new AuditService(store).verify()).toMatchObject({ ok: true });
  });
});

describe('document validation', () => {
  it('names the document, the field path and what was expected', () => {
    const reg = new KindRegistry().register(runbookKind);
    const s = new ObjectService(null as unknown as StateStore, reg);
    expect(() =>
      validateDocuments(
        parseDocumentsText('apiVersion: kansoku/v1\nkind: Runbook\nmetadata: {name: Bad_Name}\nspec: {title: 1, steps: [], extra: true}\n', 'rb.yaml'),
        s.registry,
      ),
    ).toThrowError(/rb\.yaml#1 \(Runbook\/Bad_Name\): metadata\.name: names are/);
    try {
      validateDocuments(parseDocumentsText('apiVersion: kansoku/v1\nkind: Runbook\nmetadata: {name: ok}\nspec: {title: 1, steps: [], extra: true}\n', 'rb.yaml'), reg);
    } catch (err) {
      const issues = (err as { issues: { path: string; message: string }[] }).issues;
      expect(issues.map((i) => i.path).sort()).toEqual(['spec', 'spec.steps', 'spec.title']);
      expect(issues.find((i) => i.path === 'spec')!.message).toContain('unknown field "extra"');
    }
  });

  it('refuses an unknown kind and lists the known ones', () => {
    const reg = new KindRegistry().register(runbookKind);
    expect(() => validateDocuments(parseDocumentsText('apiVersion: kansoku/v1\nkind: Chek\nmetadata: {name: x}\nspec: {}\n', 'c.yaml'), reg)).toThrowError(
      /c\.yaml#1 \(Chek\/x\): kind: unknown kind "Chek"; known kinds: Runbook/,
    );
  });

  it('reports YAML syntax errors with line and column', () => {
    expect(() => parseDocumentsText('apiVersion: kansoku/v1\nkind: Runbook\nmetadata: {name: ok\n', 'broken.yaml')).toThrowError(/broken\.yaml#1: \(syntax\): line \d+, column \d+/);
  });

  it('refuses the same object twice in one apply', () => {
    const reg = new KindRegistry().register(runbookKind);
    const y = RB('dup', 'one') + '---\n' + RB('dup', 'two');
    expect(() => validateDocuments(parseDocumentsText(y, 'd.yaml'), reg)).toThrowError(/Runbook\/dup is defined twice \(first in d\.yaml#1\)/);
  });

  it('re-applies an export whose secrets must be a URL or an object: "[redacted]" keeps them, and is checked after they are put back', async () => {
    const hook = `apiVersion: kansoku/v1\nkind: Hook\nmetadata: {name: ops}\nspec: {url: "https://hooks.example.test/T0/B0/secret", headers: {authorization: "Bearer s3cret"}}\n`;
    await svc.apply(alice, docs(hook), { set: 'hooks' });
    const exported = (await svc.export({ kind: 'Hook' })).map((d) => ({ raw: d, source: 'export.yaml' }));
    expect(exported[0]!.raw.spec).toMatchObject({ url: '[redacted]', headers: '[redacted]' });
    const again = validateDocuments(exported, svc.registry);
    const plan = await svc.plan(again, { set: 'hooks' });
    expect(plan.summary).toMatchObject({ create: 0, update: 0, unchanged: 1 });
    // A change beside the kept secrets is applied, and the secrets stay.
    const changed = validateDocuments([{ raw: { ...exported[0]!.raw, spec: { ...(exported[0]!.raw.spec as object), timeout: '9s' } }, source: 'export.yaml' }], svc.registry);
    await svc.apply(alice, changed, { set: 'hooks' });
    const live = await svc.get('Hook', 'ops');
    expect(live.spec).toEqual({ url: 'https://hooks.example.test/T0/B0/secret', headers: { authorization: 'Bearer s3cret' }, timeout: '9s' });
    // Other mistakes in such a document are still reported at once, with their path.
    expect(() => validateDocuments([{ raw: { ...exported[0]!.raw, spec: { url: '[redacted]', timeout: 5 } }, source: 'bad.yaml' }], svc.registry)).toThrow(/spec\.timeout/);
    // A new object has no stored secret to keep.
    const fresh = validateDocuments([{ raw: { ...exported[0]!.raw, metadata: { name: 'new-hook' } }, source: 'new.yaml' }], svc.registry);
    await expect(svc.apply(alice, fresh, { set: 'other', prune: false })).rejects.toThrow(/Hook\/new-hook does not exist yet: write the real value/);
  });

  it('fills "[redacted]" from the stored object before validation, so a union-typed schema accepts an export too', async () => {
    const exported = (await svc.export({ kind: 'Hook' })).map((d) => ({ raw: d as unknown, source: 'export.yaml' }));
    const filled = await svc.withStoredSecrets(exported);
    expect((filled[0]!.raw as { spec: unknown }).spec).toMatchObject({ url: 'https://hooks.example.test/T0/B0/secret', headers: { authorization: 'Bearer s3cret' } });
    // A document of an object that does not exist, or without redacted values, is passed as it is.
    const other = [{ raw: { apiVersion: 'kansoku/v1', kind: 'Hook', metadata: { name: 'nope' }, spec: { url: '[redacted]' } }, source: 'x.yaml' }];
    expect(await svc.withStoredSecrets(other)).toEqual(other);
  });
});

