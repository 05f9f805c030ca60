/**
 * Metric metadata (type, help, unit) as senders and targets declare it, for
 * /api/v1/metadata. Held in memory, like Prometheus (which keeps it with its scrape targets):
 * senders repeat it periodically (remote-write every minute by default), so a restart loses it
 * only until the next send.
 */
export type MetricTypeName = 'counter' | 'gauge' | 'histogram' | 'gaugehistogram' | 'summary' | 'info' | 'stateset' | 'unknown';

export interface MetricMetadataEntry {
  type: MetricTypeName;
  help: string;
  unit: string;
}

/** Families kept at most; beyond it new families are ignored (existing ones still update). */
const MAX_FAMILIES = 100_000;
/** Distinct metadata per family (different targets may disagree); Prometheus lists each. */
const MAX_PER_FAMILY = 16;

export class MetadataRegistry {
  readonly #byFamily = new Map<string, Map<string, MetricMetadataEntry>>();

  record(family: string, entry: MetricMetadataEntry): void {
    if (!family) return;
    let entries = this.#byFamily.get(family);
    if (!entries) {
      if (this.#byFamily.size >= MAX_FAMILIES) return;
      entries = new Map();
      this.#byFamily.set(family, entries);
    }
    const key = `${entry.type}\u0000${entry.help}\u0000${entry.unit}`;
    if (entries.has(key)) return;
    if (entries.size >= MAX_PER_FAMILY) entries.delete(entries.keys().next().value!);
    entries.set(key, { type: entry.type, help: entry.help, unit: entry.unit });
  }

  /**
   * The `data` object of /api/v1/metadata: family → entries, sorted by family name.
   * `limit` caps families, `limitPerMetric` entries per family (both optional, as in Prometheus).
   */
  query(opts: { metric?: string; limit?: number; limitPerMetric?: number } = {}): Record<string, MetricMetadataEntry[]> {
    const out: Record<string, MetricMetadataEntry[]> = {};
    const names = opts.metric !== undefined ? (this.#byFamily.has(opts.metric) ? [opts.metric] : []) : [...this.#byFamily.keys()].sort();
    let n = 0;
    for (const name of names) {
      if (opts.limit !== undefined && n >= opts.limit) break;
      let entries = [...this.#byFamily.get(name)!.values()];
      if (opts.limitPerMetric !== undefined) entries = entries.slice(0, opts.limitPerMetric);
      out[name] = entries.map((e) => ({ ...e }));
      n++;
    }
    return out;
  }

  /** The unit most recently declared for a family, or "". */
  unitOf(family: string): string {
    const entries = this.#byFamily.get(family);
    if (!entries) return '';
    let unit = '';
    for (const e of entries.values()) if (e.unit) unit = e.unit;
    return unit;
  }
}
