import type { Availability, AvailabilityQuery, CheckResultQuery, CheckResultRow, SampleRow, TelemetryStore } from '../../store/telemetry-store.js';

/**
 * The part of the telemetry store the checks capability uses, in memory, with the port's
 * semantics (dedupe on runId, inclusive ranges, newest first by default). For unit tests only;
 * the real adapters are proven by the store's contract suite.
 */
export class MemoryTelemetry implements Pick<TelemetryStore, 'appendCheckResults' | 'appendSamples' | 'selectCheckResults' | 'availability'> {
  readonly results: CheckResultRow[] = [];
  readonly samples: SampleRow[] = [];
  failNextAppends = 0;

  async appendCheckResults(rows: CheckResultRow[]): Promise<void> {
    if (this.failNextAppends > 0) {
      this.failNextAppends--;
      throw new Error('telemetry store unavailable (test)');
    }
    // As the ClickHouse store (ReplacingMergeTree): a row written again with the same key replaces it.
    for (const r of rows) {
      const i = this.results.findIndex((x) => x.runId === r.runId);
      if (i >= 0) this.results[i] = structuredClone(r);
      else this.results.push(structuredClone(r));
    }
  }

  async appendSamples(rows: SampleRow[]): Promise<void> {
    this.samples.push(...rows);
  }

  async selectCheckResults(q: CheckResultQuery): Promise<CheckResultRow[]> {
    const rows = this.results
      .filter((r) => r.startedAt >= q.startMs && r.startedAt <= q.endMs && (q.check === undefined || r.check === q.check) && (q.location === undefined || r.location === q.location))
      .sort((a, b) => (q.order === 'asc' ? a.startedAt - b.startedAt : b.startedAt - a.startedAt));
    return structuredClone(rows.slice(0, q.limit ?? 1000));
  }

  async availability(q: AvailabilityQuery): Promise<Availability> {
    const rows = await this.selectCheckResults({ ...q, limit: Number.MAX_SAFE_INTEGER });
    const byStatus: Record<string, number> = {};
    for (const r of rows) byStatus[r.status] = (byStatus[r.status] ?? 0) + 1;
    const ok = byStatus.ok ?? 0;
    return { runs: rows.length, ok, ratio: rows.length ? ok / rows.length : null, byStatus };
  }

  /** The values of one series, in time order. */
  series(name: string, check: string): number[] {
    return this.samples.filter((s) => s.labels.__name__ === name && s.labels.check === check).sort((a, b) => a.t - b.t).map((s) => s.v);
  }
}
