import { createHash } from 'node:crypto';
import { canonicalJson } from '../core/canonical-json.js';
import type { AuditInput, AuditRecord } from '../store/state-store.js';

/**
 * The audit trail is a hash chain, verifiable like CloudTrail's digest files: each record's hash
 * covers its own fields and the hash of the record before it, so altering, removing or
 * reordering any record breaks every hash from there on. The chain starts from GENESIS_HASH.
 */
export const GENESIS_HASH = '0'.repeat(64);

export function hashAuditRecord(seq: number, prevHash: string, rec: AuditInput): string {
  const body = canonicalJson({
    seq,
    prevHash,
    time: rec.time,
    actorId: rec.actorId,
    actorName: rec.actorName,
    sourceIp: rec.sourceIp,
    userAgent: rec.userAgent,
    requestId: rec.requestId,
    action: rec.action,
    objectKind: rec.objectKind,
    objectName: rec.objectName,
    objectVersion: rec.objectVersion,
    before: rec.before,
    after: rec.after,
    outcome: rec.outcome,
    detail: rec.detail,
  });
  return createHash('sha256').update(body).digest('hex');
}

export type ChainProblem =
  | { kind: 'altered'; seq: number; message: string }
  | { kind: 'removed'; seq: number; message: string }
  | { kind: 'reordered'; seq: number; message: string }
  | { kind: 'truncated'; seq: number; message: string };

export interface VerifyResult {
  ok: boolean;
  checked: number;
  head: { seq: number; hash: string };
  problem?: ChainProblem;
}

/**
 * Walks records in storage order (as read, by seq ascending) and reports the FIRST problem.
 * `expectedHead` is the head the store keeps beside the chain; records cut off the end of the
 * chain show up as a head that no record reaches.
 */
export async function verifyChain(
  records: AsyncIterable<AuditRecord> | Iterable<AuditRecord>,
  expectedHead: { seq: number; hash: string },
): Promise<VerifyResult> {
  let prevSeq = 0;
  let prevHash = GENESIS_HASH;
  let checked = 0;
  const fail = (problem: ChainProblem): VerifyResult => ({ ok: false, checked, head: expectedHead, problem });
  for await (const r of records) {
    if (r.seq <= prevSeq) {
      return fail({ kind: 'reordered', seq: r.seq, message: `audit record ${r.seq} comes after record ${prevSeq}: records were reordered` });
    }
    if (r.seq !== prevSeq + 1) {
      const missing = r.seq - prevSeq - 1 === 1 ? `record ${prevSeq + 1} is` : `records ${prevSeq + 1}–${r.seq - 1} are`;
      return fail({ kind: 'removed', seq: prevSeq + 1, message: `audit ${missing} missing: removed from the store` });
    }
    if (r.prevHash !== prevHash) {
      // The record before verified on its own, so either it was rewritten together with its
      // hash, or this record was moved here from elsewhere: the chain breaks here either way.
      const before = prevSeq === 0 ? 'the start of the trail' : `record ${prevSeq}`;
      return fail({
        kind: 'altered',
        seq: r.seq,
        message: `audit record ${r.seq} does not chain onto ${before}: its prevHash ${short(r.prevHash)} ≠ ${short(prevHash)} (${prevSeq === 0 ? `record ${r.seq}` : `record ${prevSeq} or ${r.seq}`} was rewritten or moved)`,
      });
    }
    const expect = hashAuditRecord(r.seq, r.prevHash, r);
    if (expect !== r.hash) {
      return fail({ kind: 'altered', seq: r.seq, message: `audit record ${r.seq} (${r.action} by ${r.actorName} at ${r.time}) was altered: its content no longer matches its hash` });
    }
    prevSeq = r.seq;
    prevHash = r.hash;
    checked++;
  }
  if (prevSeq !== expectedHead.seq || prevHash !== expectedHead.hash) {
    if (prevSeq < expectedHead.seq) {
      return fail({ kind: 'truncated', seq: prevSeq + 1, message: `audit records ${prevSeq + 1}–${expectedHead.seq} are missing: the chain ends at ${prevSeq} but its head says ${expectedHead.seq}` });
    }
    return fail({ kind: 'altered', seq: prevSeq, message: `the audit head (${expectedHead.seq}, ${short(expectedHead.hash)}) does not match the last record (${prevSeq}, ${short(prevHash)})` });
  }
  return { ok: true, checked, head: expectedHead };
}

function short(h: string): string {
  return h.slice(0, 12);
}
