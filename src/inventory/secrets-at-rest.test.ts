import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { openSqlite } from '../store/state/open-state-store.js';
import type { StateStore } from '../store/state-store.js';
import { SecretBox } from '../secrets/envelope.js';
import { AuditService } from '../audit/audit-service.js';
import type { Actor } from './actor.js';
import { validateDocuments } from './document.js';
import { KindRegistry } from './kinds.js';
import { ObjectService, type ObjectChange } from './object-service.js';
import { parseDocumentsText } from './parse-yaml.js';

const alice: Actor = { id: 't-alice', name: 'alice', role: 'editor', sourceIp: null, userAgent: null, requestId: null };
const PASSWORD = 'smtp-pass-7f3e9c';
const TOKEN = 'Bearer check-token-51d0aa';
const HOOK = 'hook-header-token-0c4b1e';

const registry = new KindRegistry()
  .register({
    kind: 'Channel',
    description: 'test channel',
    specSchema: z.object({ host: z.string(), password: z.string().optional(), headers: z.record(z.string(), z.string()).optional() }).strict(),
    secretPaths: ['password', 'headers'],
  })
  .register({
    kind: 'Check',
    description: 'test check',
    specSchema: z.object({ url: z.string(), headers: z.record(z.string(), z.string()).default({}) }).strict(),
    secretPaths: ['headers.Authorization'],
  });

const YAML = (password = PASSWORD) => `apiVersion: kansoku/v1
kind: Channel
metadata: {name: ops-mail}
spec: {host: mail.example.jp, password: "${password}", headers: {X-Hook: ${HOOK}}}
---
apiVersion: kansoku/v1
kind: Check
metadata: {name: shop}
spec: {url: "http://shop.example.jp/", headers: {Authorization: "${TOKEN}", Accept: text/html}}
`;
const docs = (y: string) => validateDocuments(parseDocumentsText(y, 'test.yaml'), registry);

const stores: StateStore[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close().catch(() => {});
});
async function freshStore(): Promise<{ store: StateStore; dir: string }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'ksk-sealed-'));
  const store = await openSqlite(path.join(dir, 'state.db'));
  stores.push(store);
  return { store, dir };
}

/** Every stored spec, objects and versions, as the database holds them. */
async function rawSpecs(store: StateStore): Promise<string> {
  const out: unknown[] = [];
  for (const kind of ['Channel', 'Check']) {
    out.push(...(await store.listObjects({ kind })).map((o) => o.spec));
    out.push(...(await store.listKindVersions(kind)).map((v) => v.spec));
  }
  return JSON.stringify(out);
}
const auditText = async (store: StateStore) => JSON.stringify(await store.queryAudit({}));
const box = () => new SecretBox(randomBytes(32), 'the key in test.key');

describe('secrets at rest in the object service', () => {
  it('stores secret paths sealed and gives plain values to readers and listeners; the API form stays [redacted]', async () => {
    const { store } = await freshStore();
    const svc = new ObjectService(store, registry, undefined, { secrets: box() });
    const seen: ObjectChange[] = [];
    svc.subscribe((c) => seen.push(c));
    await svc.apply(alice, docs(YAML()));

    const raw = await store.getObject('Channel', 'ops-mail');
    expect(raw!.spec).toMatchObject({ host: 'mail.example.jp', password: { $enc: expect.stringMatching(/^v1:/) }, headers: { $enc: expect.any(String) } });
    expect((await store.getObject('Check', 'shop'))!.spec).toMatchObject({ headers: { Authorization: { $enc: expect.any(String) }, Accept: 'text/html' } });
    const stored = await rawSpecs(store);
    expect(stored).toContain('mail.example.jp');
    for (const s of [PASSWORD, TOKEN, HOOK]) expect(stored).not.toContain(s);
    for (const s of [PASSWORD, TOKEN, HOOK]) expect(await auditText(store)).not.toContain(s);

    expect((await svc.get('Channel', 'ops-mail')).spec).toEqual({ host: 'mail.example.jp', password: PASSWORD, headers: { 'X-Hook': HOOK } });
    expect((await svc.list({ kind: 'Check' }))[0]!.spec).toMatchObject({ headers: { Authorization: TOKEN } });
    expect(seen.find((c) => c.kind === 'Channel')!.object.spec).toMatchObject({ password: PASSWORD });
    expect(svc.toDocument(await svc.get('Channel', 'ops-mail')).spec).toMatchObject({ password: '[redacted]', headers: '[redacted]' });
    expect((await svc.history('Check', 'shop'))[0]!.spec).toMatchObject({ headers: { Authorization: TOKEN } });

    // Re-applying the export ([redacted] values) changes nothing and keeps the secrets.
    const exported = await svc.export({ kind: 'Check' });
    expect(exported[0]!.spec).toMatchObject({ headers: { Authorization: '[redacted]' } });
    const again = await svc.apply(alice, [...validateDocuments(exported.map((raw) => ({ raw, source: 'export' })), registry), ...docs(YAML()).filter((d) => d.kind === 'Channel')]);
    expect(again.summary).toMatchObject({ create: 0, update: 0, unchanged: 2 });
    expect((await svc.get('Check', 'shop')).spec).toMatchObject({ headers: { Authorization: TOKEN } });

    // A changed secret is a change, shown redacted; its new value is sealed too.
    const plan = await svc.apply(alice, docs(YAML('new-pass-2b7d')));
    expect(plan.entries.find((e) => e.kind === 'Channel')!.changes).toEqual([{ path: 'spec.password', op: 'change', from: '[redacted]', to: '[redacted]' }]);
    expect(await rawSpecs(store)).not.toContain('new-pass-2b7d');
    // History compares redacted content, as before encryption at rest: no value shows.
    const diff = JSON.stringify(await svc.diffVersions('Channel', 'ops-mail', 1, 2));
    for (const s of [PASSWORD, 'new-pass-2b7d', '$enc']) expect(diff).not.toContain(s);
    expect((await new AuditService(store).verify()).ok).toBe(true);
  });

  it('seals secrets an older version stored in the clear, deleted objects\' versions too, once and audited', async () => {
    const { store, dir } = await freshStore();
    const old = new ObjectService(store, registry);
    await old.apply(alice, docs(YAML()));
    await old.remove(alice, 'Check', 'shop');
    expect(await rawSpecs(store)).toContain(PASSWORD);

    const key = box();
    const svc = new ObjectService(store, registry, undefined, { secrets: key });
    const r = await svc.sealStoredSecrets();
    // Channel: 2 fields in the object and its version; Check: 1 field in 2 versions (create, delete).
    expect(r).toEqual({ objects: 1, versions: 3, sealedPlain: 6, rekeyed: 0 });
    const stored = await rawSpecs(store);
    for (const s of [PASSWORD, TOKEN, HOOK]) expect(stored).not.toContain(s);
    const recs = await store.queryAudit({ action: 'secrets.encrypt' });
    expect(recs).toHaveLength(1);
    expect(recs[0]).toMatchObject({ actorName: 'system', detail: expect.stringContaining(`encrypted 6 secret values stored in the clear (1 objects, 3 versions) with key ${key.keyId}`) });
    expect((await svc.get('Channel', 'ops-mail')).spec).toMatchObject({ password: PASSWORD });
    expect((await svc.version('Check', 'shop', 2)).spec).toMatchObject({ headers: { Authorization: TOKEN } });

    expect(await svc.sealStoredSecrets()).toEqual({ objects: 0, versions: 0, sealedPlain: 0, rekeyed: 0 });
    expect(await store.queryAudit({ action: 'secrets.encrypt' })).toHaveLength(1);
    expect((await new AuditService(store).verify()).ok).toBe(true);

    // The database file itself (and its WAL) keeps no copy of the old plain values.
    await store.close();
    const bytes = Buffer.concat(readdirSync(dir).map((f) => readFileSync(path.join(dir, f))));
    expect(bytes.includes('mail.example.jp')).toBe(true);
    for (const s of [PASSWORD, TOKEN, HOOK]) expect(bytes.includes(s), s).toBe(false);
  });

  it('leaves no copy of the old plain values in the SQLite file\'s free space once they are sealed', async () => {
    const { store, dir } = await freshStore();
    const n = 300;
    const plain = (i: number) => `plain-pw-${i}-q8`;
    await new ObjectService(store, registry).apply(alice, docs(Array.from({ length: n }, (_, i) => `apiVersion: kansoku/v1\nkind: Channel\nmetadata: {name: c${i}}\nspec: {host: h, password: ${plain(i)}}\n`).join('---\n')));
    expect((await new ObjectService(store, registry, undefined, { secrets: box() }).sealStoredSecrets())!.sealedPlain).toBe(2 * n);
    await store.close();
    const bytes = Buffer.concat(readdirSync(dir).map((f) => readFileSync(path.join(dir, f))));
    // Without secure_delete, rewritten rows leave their old bytes in free blocks of the pages.
    expect(Array.from({ length: n }, (_, i) => plain(i)).filter((p) => bytes.includes(p))).toEqual([]);
  });

  it('refuses another key with a message naming both key ids, and refuses a ciphertext moved to another object', async () => {
    const { store } = await freshStore();
    const key = box();
    const svc = new ObjectService(store, registry, undefined, { secrets: key });
    await svc.apply(alice, docs(YAML()));
    const wrong = new SecretBox(randomBytes(32), 'the key in /tmp/wrong.key');
    const other = new ObjectService(store, registry, undefined, { secrets: wrong });
    await expect(other.sealStoredSecrets()).rejects.toThrow(`was encrypted with key ${key.keyId}…, the key in /tmp/wrong.key is ${wrong.keyId}…`);
    await expect(other.get('Channel', 'ops-mail')).rejects.toThrow(/secret in Channel\/ops-mail spec\.(password|headers) was encrypted with key/);

    await svc.create(alice, docs(YAML().split('---')[0]!.replace('ops-mail', 'ops-mail-2'))[0]!);
    const a = (await store.getObject('Channel', 'ops-mail'))!;
    const b = (await store.getObject('Channel', 'ops-mail-2'))!;
    await store.transaction((tx) => tx.updateObject({ ...b, spec: { ...(b.spec as object), password: (a.spec as { password: unknown }).password } }, b.version));
    await expect(svc.get('Channel', 'ops-mail-2')).rejects.toThrow(/secret in Channel\/ops-mail-2 spec\.password failed authentication/);
  });

  it('rotates every value to a new key in one transaction; afterwards only the new key opens them', async () => {
    const { store } = await freshStore();
    const k1 = box();
    const svc = new ObjectService(store, registry, undefined, { secrets: k1 });
    await svc.apply(alice, docs(YAML()));
    await svc.apply(alice, docs(YAML('second-pass-91aa')));
    const k2 = new SecretBox(randomBytes(32), 'the key in new.key');
    const r = await svc.rotateStoredSecrets([k1], k2);
    expect(r).toMatchObject({ objects: 2, versions: 3, rekeyed: 8, sealedPlain: 0 });
    expect((await store.queryAudit({ action: 'secrets.rotate' }))[0]!.detail).toContain(`from key ${k1.keyId} to key ${k2.keyId}`);
    const after = new ObjectService(store, registry, undefined, { secrets: k2 });
    expect(await after.sealStoredSecrets()).toMatchObject({ sealedPlain: 0 });
    expect((await after.version('Channel', 'ops-mail', 1)).spec).toMatchObject({ password: PASSWORD });
    expect((await after.get('Channel', 'ops-mail')).spec).toMatchObject({ password: 'second-pass-91aa' });
    await expect(svc.get('Channel', 'ops-mail')).rejects.toThrow(/was encrypted with key/);
    // Running it again (values already under the new key) changes nothing.
    expect(await after.rotateStoredSecrets([k1], k2)).toMatchObject({ objects: 0, versions: 0, rekeyed: 0 });
  });
});
