import { describe, expect, it } from 'vitest';
import type { AuditInput, AuditRecord } from '../store/state-store.js';
import { GENESIS_HASH, hashAuditRecord, verifyChain } from './hash-chain.js';

function chain(n: number): AuditRecord[] {
  const out: AuditRecord[] = [];
  let prev = GENESIS_HASH;
  for (let i = 1; i <= n; i++) {
    const rec: AuditInput = {
      time: `2026-11-22T10:00:0${i % 10}.000Z`,
      actorId: 'id1',
      actorName: i % 2 ? 'alice' : 'bob',
      sourceIp: '127.0.0.1',
      userAgent: 'test',
      requestId: `r${i}`,
      action: 'object.update',
      objectKind: 'Runbook',
      objectName: `rb${i}`,
      objectVersion: i,
      before: '{"a":1}',
      after: '{"a":2}',
      outcome: 'success',
      detail: null,
    };
    const hash = hashAuditRecord(i, prev, rec);
    out.push({ ...rec, seq: i, prevHash: prev, hash });
    prev = hash;
  }
  return out;
}

const headOf = (c: AuditRecord[]) => ({ seq: c.at(-1)!.seq, hash: c.at(-1)!.hash });

describe('audit hash chain', () => {
  it('verifies an intact chain', async () => {
    const c = chain(10);
    expect(await verifyChain(c, headOf(c))).toMatchObject({ ok: true, checked: 10 });
  });

  it('verifies an empty trail against the genesis head', async () => {
    expect(await verifyChain([], { seq: 0, hash: GENESIS_HASH })).toMatchObject({ ok: true, checked: 0 });
  });

  it('names the record whose content was altered', async () => {
    const c = chain(10);
    const head = headOf(c);
    c[4] = { ...c[4]!, after: '{"a":999}' };
    const r = await verifyChain(c, head);
    expect(r.ok).toBe(false);
    expect(r.problem).toMatchObject({ kind: 'altered', seq: 5 });
    expect(r.problem!.message).toContain('audit record 5');
    expect(r.checked).toBe(4);
  });

  it('catches a record rewritten together with a recomputed hash', async () => {
    const c = chain(10);
    const head = headOf(c);
    const forged = { ...c[4]!, actorName: 'mallory' };
    forged.hash = hashAuditRecord(5, forged.prevHash, forged);
    c[4] = forged;
    const r = await verifyChain(c, head);
    // Record 5 verifies on its own now; the chain breaks where record 6 no longer follows it.
    expect(r.problem).toMatchObject({ kind: 'altered', seq: 6 });
    expect(r.problem!.message).toContain('record 5 or 6 was rewritten or moved');
  });

  it('names a removed record', async () => {
    const c = chain(10);
    const head = headOf(c);
    c.splice(6, 1);
    const r = await verifyChain(c, head);
    expect(r.problem).toMatchObject({ kind: 'removed', seq: 7 });
  });

  it('detects records swapped in place (sequence numbers exchanged)', async () => {
    const c = chain(10);
    const head = headOf(c);
    const a = c[2]!;
    const b = c[3]!;
    c[2] = { ...b, seq: 3 };
    c[3] = { ...a, seq: 4 };
    const r = await verifyChain(c, head);
    expect(r.ok).toBe(false);
    expect(r.problem!.seq).toBe(3);
  });

  it('detects records returned out of order', async () => {
    const c = chain(5);
    const head = headOf(c);
    const r = await verifyChain([c[0]!, c[2]!, c[1]!, c[3]!, c[4]!], head);
    expect(r.ok).toBe(false);
  });

  it('detects records cut off the end of the trail', async () => {
    const c = chain(10);
    const head = headOf(c);
    const r = await verifyChain(c.slice(0, 8), head);
    expect(r.problem).toMatchObject({ kind: 'truncated', seq: 9 });
  });
});
