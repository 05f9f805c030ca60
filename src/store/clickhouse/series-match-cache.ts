/**
 * Answers of the series lookup (matchers and UTC days → series ids and labels), kept until this
 * store next inserts series rows. On chDB the lookup was most of a selectSeries over a few
 * series (≈ 5–10 ms of ≈ 14 ms for a 24 h dashboard panel, 1,000 series, loaded 2-core
 * machine): it scans the series table's label maps, while the sample read that follows is
 * served by the primary key. Dashboards repeat the same selectors, and new series are rare
 * next to new samples.
 *
 * Only inserts through this store invalidate entries. chDB is embedded, so nothing else writes
 * its tables; a ClickHouse server may have other writers, so there entries also expire after
 * `maxAgeMs`. A series whose rows retention has removed may stay listed until then; it has no
 * samples left, so it is not returned.
 */
import type { LabelMatcher } from '../telemetry-store.js';
import type { MatchedSeriesRow } from './queries.js';

const MAX_ENTRIES = 512;
const DAY_MS = 86_400_000;

interface Entry {
  generation: number;
  at: number;
  rows: readonly MatchedSeriesRow[];
}

export class SeriesMatchCache {
  #generation = 0;
  #entries = new Map<string, Entry>();

  constructor(
    private readonly maxAgeMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Call after series rows were inserted (and before the insert's caller is answered). */
  invalidate(): void {
    this.#generation++;
    this.#entries.clear();
  }

  /** The cached rows, or the lookup's answer (cached when no series insert ran meanwhile). */
  async get(matchers: readonly LabelMatcher[], startMs: number, endMs: number, lookup: () => Promise<MatchedSeriesRow[]>): Promise<readonly MatchedSeriesRow[]> {
    // The lookup reads whole UTC days, so the key has days, not milliseconds.
    const key = `${Math.floor(startMs / DAY_MS)}/${Math.floor(endMs / DAY_MS)}/${JSON.stringify(matchers.map((m) => [m.name, m.op, m.value]))}`;
    const hit = this.#entries.get(key);
    const now = this.now();
    if (hit && hit.generation === this.#generation && now - hit.at <= this.maxAgeMs) return hit.rows;
    const generation = this.#generation;
    const rows = await lookup();
    // A series insert that finished while the lookup ran may or may not be in its answer.
    if (generation === this.#generation) {
      if (this.#entries.size >= MAX_ENTRIES) this.#entries.clear();
      this.#entries.set(key, { generation, at: now, rows });
    }
    return rows;
  }
}
