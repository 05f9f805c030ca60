import type { AuditFilter, AuditRecord, StateStore } from '../store/state-store.js';
import { verifyChain, type VerifyResult } from './hash-chain.js';

/** Reading, exporting and verifying the audit trail. Writing happens inside each change's transaction. */
export class AuditService {
  constructor(private readonly store: StateStore) {}

  query(filter: AuditFilter): Promise<AuditRecord[]> {
    return this.store.queryAudit(filter);
  }

  /** Every record matching the filter, oldest first, in pages so memory stays flat. */
  async *iterate(filter: Omit<AuditFilter, 'afterSeq' | 'order' | 'limit'> = {}, pageSize = 1000): AsyncGenerator<AuditRecord> {
    let after = 0;
    for (;;) {
      const page = await this.store.queryAudit({ ...filter, afterSeq: after, limit: pageSize, order: 'asc' });
      for (const r of page) yield r;
      if (page.length < pageSize) return;
      after = page.at(-1)!.seq;
    }
  }

  /** Reads the head first: records appended while verifying are beyond it and do not count. */
  async verify(): Promise<VerifyResult> {
    const head = await this.store.auditHead();
    const all = this.iterate();
    async function* upToHead() {
      for await (const r of all) {
        if (r.seq > head.seq) return;
        yield r;
      }
    }
    return verifyChain(upToHead(), head);
  }
}
