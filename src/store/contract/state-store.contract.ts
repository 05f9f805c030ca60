import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { verifyChain, GENESIS_HASH } from '../../audit/hash-chain.js';
import type { AuditInput, StateStore, StoredObject } from '../state-store.js';

/**
 * The behaviour every state store adapter must have. Each adapter's test file calls this with
 * a factory that returns a fresh, empty, migrated store.
 */
export function runStateStoreContract(name: string, create: () => Promise<StateStore>, opts: { skip?: boolean } = {}) {
  describe.skipIf(opts.skip)(`state store contract: ${name}`, () => {
    let store: StateStore;
    beforeAll(async () => {
      store = await create();
    });
    afterAll(async () => {
      await store?.close();
    });

    const now = () => new Date().toISOString();
    const audit = (action: string, extra: Partial<AuditInput> = {}): AuditInput => ({
      time: now(),
      actorId: 't1',
      actorName: 'tester',
      sourceIp: '127.0.0.1',
      userAgent: 'vitest',
      requestId: 'r1',
      action,
      objectKind: null,
      objectName: null,
      objectVersion: null,
      before: null,
      after: null,
      outcome: 'success',
      detail: null,
      ...extra,
    });
    const obj = (n: string, version = 1, spec: unknown = { a: 1 }): StoredObject => ({
      kind: 'Runbook',
      name: n,
      uid: `uid-${n}`,
      version,
      labels: { team: 'ops' },
      annotations: {},
      spec,
      createdAt: now(),
      updatedAt: now(),
      updatedBy: 'tester',
      lastAppliedVersion: null,
      applySet: null,
    });

    it('starts with an empty audit chain at the genesis hash', async () => {
      expect(await store.auditHead()).toEqual({ seq: 0, hash: GENESIS_HASH });
    });

    it('stores an object, its version and its audit record in one transaction', async () => {
      await store.transaction(async (tx) => {
        const rec = await tx.appendAudit(audit('object.create', { objectKind: 'Runbook', objectName: 'db-failover', objectVersion: 1 }));
        await tx.insertObject(obj('db-failover'));
        await tx.appendVersion({ ...obj('db-failover'), change: 'create', time: now(), actor: 'tester', auditSeq: rec.seq });
      });
      const got = await store.getObject('Runbook', 'db-failover');
      expect(got?.spec).toEqual({ a: 1 });
      expect(got?.labels).toEqual({ team: 'ops' });
      expect((await store.listVersions('Runbook', 'db-failover')).map((v) => v.version)).toEqual([1]);
      expect((await store.auditHead()).seq).toBe(1);
    });

    it('rolls back the change and its audit record together when the transaction fails', async () => {
      const before = await store.auditHead();
      await expect(
        store.transaction(async (tx) => {
          await tx.appendAudit(audit('object.create'));
          await tx.insertObject(obj('never'));
          throw new Error('boom');
        }),
      ).rejects.toThrow('boom');
      expect(await store.getObject('Runbook', 'never')).toBeUndefined();
      expect(await store.auditHead()).toEqual(before);
    });

    it('refuses a duplicate create and a stale update with a conflict', async () => {
      await expect(store.transaction((tx) => tx.insertObject(obj('db-failover')))).rejects.toMatchObject({ kind: 'conflict' });
      await expect(store.transaction((tx) => tx.updateObject(obj('db-failover', 2), 7))).rejects.toMatchObject({ code: 'KSK_OBJECT_VERSION_CONFLICT' });
      await store.transaction((tx) => tx.updateObject(obj('db-failover', 2, { a: 2 }), 1));
      expect((await store.getObject('Runbook', 'db-failover'))?.version).toBe(2);
    });

    it('counts live objects per kind without reading them', async () => {
      const before = await store.countObjectsByKind();
      await store.transaction(async (tx) => {
        await tx.insertObject({ ...obj('count-a'), kind: 'Check' });
        await tx.insertObject({ ...obj('count-b'), kind: 'Check' });
      });
      const after = await store.countObjectsByKind();
      expect(after.Check).toBe((before.Check ?? 0) + 2);
      expect(after.Runbook).toBe(before.Runbook);
      expect(typeof after.Check).toBe('number');
      await store.transaction(async (tx) => {
        await tx.deleteObject('Check', 'count-a', 1);
        await tx.deleteObject('Check', 'count-b', 1);
      });
      expect((await store.countObjectsByKind()).Check ?? 0).toBe(before.Check ?? 0);
    });

    it('lists every version of a kind (deleted objects too) and rewrites one version\'s stored spec in place', async () => {
      await store.transaction(async (tx) => {
        const rec = await tx.appendAudit(audit('object.create'));
        await tx.appendVersion({ ...obj('gone', 1, { s: 'x' }), kind: 'Secretish', change: 'create', time: now(), actor: 'tester', auditSeq: rec.seq });
        await tx.appendVersion({ ...obj('gone', 2, { s: 'x' }), kind: 'Secretish', change: 'delete', time: now(), actor: 'tester', auditSeq: rec.seq });
      });
      expect((await store.listKindVersions('Secretish')).map((v) => `${v.name}@${v.version}`)).toEqual(['gone@1', 'gone@2']);
      await store.transaction((tx) => tx.rewriteVersionSpec('Secretish', 'gone', 1, { s: { $enc: 'sealed' } }));
      expect((await store.getVersion('Secretish', 'gone', 1))?.spec).toEqual({ s: { $enc: 'sealed' } });
      expect((await store.getVersion('Secretish', 'gone', 2))?.spec).toEqual({ s: 'x' });
    });

    it('keeps the hash chain verifiable across many records and filters audit queries', async () => {
      for (let i = 0; i < 25; i++) {
        await store.transaction((tx) => tx.appendAudit(audit(i % 2 ? 'token.create' : 'object.update', { actorName: i % 3 ? 'alice' : 'bob', objectKind: 'Runbook', objectName: `rb${i % 4}` })));
      }
      const all = await store.queryAudit({});
      expect(all.length).toBeGreaterThanOrEqual(26);
      const res = await verifyChain(all, await store.auditHead());
      expect(res).toMatchObject({ ok: true, checked: all.length });
      const bobs = await store.queryAudit({ actor: 'bob' });
      expect(bobs.length).toBeGreaterThan(0);
      expect(bobs.every((r) => r.actorName === 'bob')).toBe(true);
      const tokenActions = await store.queryAudit({ action: 'token.*' });
      expect(tokenActions.every((r) => r.action.startsWith('token.'))).toBe(true);
      const newest = await store.queryAudit({ order: 'desc', limit: 3 });
      expect(newest.map((r) => r.seq)).toEqual([all.at(-1)!.seq, all.at(-2)!.seq, all.at(-3)!.seq]);
      const page = await store.queryAudit({ afterSeq: 5, limit: 2 });
      expect(page.map((r) => r.seq)).toEqual([6, 7]);
    });

    it('serialises concurrent transactions so the chain never forks', async () => {
      await Promise.all(Array.from({ length: 20 }, (_, i) => store.transaction((tx) => tx.appendAudit(audit(`parallel.${i}`)))));
      const res = await verifyChain(await store.queryAudit({}), await store.auditHead());
      expect(res.ok).toBe(true);
    });

    it('stores tokens by hash, lists them without hashes and revokes once', async () => {
      await store.transaction((tx) =>
        tx.insertToken({ id: 'tok1', name: 'ci', role: 'editor', hash: 'h-abc', createdAt: now(), createdBy: 'admin', revokedAt: null, lastUsedAt: null, expiresAt: null }),
      );
      expect((await store.getTokenByHash('h-abc'))?.name).toBe('ci');
      const listed = await store.listTokens();
      expect(listed.find((t) => t.id === 'tok1')).not.toHaveProperty('hash');
      expect(await store.countTokens()).toBeGreaterThanOrEqual(1);
      await store.touchToken('tok1', now());
      expect((await store.getTokenByHash('h-abc'))?.lastUsedAt).not.toBeNull();
      expect(await store.transaction((tx) => tx.revokeToken('tok1', now()))).toBe(true);
      expect(await store.transaction((tx) => tx.revokeToken('tok1', now()))).toBe(false);
    });

    it('keeps the current state of each check, replacing it on every change', async () => {
      const at = now();
      await store.putCheckState({ name: 'web', status: 'critical', hard: false, since: at, message: 'HTTP 500', detail: { attempt: 1 }, updatedAt: at });
      await store.putCheckState({ name: 'web', status: 'critical', hard: true, since: at, message: 'HTTP 500', detail: { attempt: 3 }, updatedAt: at });
      await store.putCheckState({ name: 'db', status: 'ok', hard: true, since: null, message: 'ok', detail: {}, updatedAt: at });
      const all = await store.listCheckStates();
      expect(all.map((c) => c.name)).toEqual(['db', 'web']);
      expect(all[1]).toMatchObject({ status: 'critical', hard: true, detail: { attempt: 3 } });
      await store.deleteCheckState('db');
      expect((await store.listCheckStates()).map((c) => c.name)).toEqual(['web']);
    });

    it('deletes with a version check', async () => {
      await expect(store.transaction((tx) => tx.deleteObject('Runbook', 'db-failover', 1))).rejects.toMatchObject({ kind: 'conflict' });
      await store.transaction((tx) => tx.deleteObject('Runbook', 'db-failover', 2));
      expect(await store.getObject('Runbook', 'db-failover')).toBeUndefined();
      expect((await store.listVersions('Runbook', 'db-failover')).length).toBe(1);
    });
  });
}
