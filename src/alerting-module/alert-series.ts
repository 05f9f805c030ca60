/**
 * Writes the rules' ALERTS and ALERTS_FOR_STATE series to the telemetry store, as Prometheus
 * does, so `ALERTS{alertstate="firing"}` works in PromQL and dashboards. Rounds are coalesced
 * into at most one write per `everyMs`; a series that disappears gets a staleness marker, so it
 * ends at once instead of lingering for the lookback window.
 */
import type { Labels } from '../core/labels.js';
import { labelsKey } from '../rules/index.js';
import type { SampleRow } from '../store/telemetry-store.js';
import { STORED_STALE_MARKER } from '../metrics/stale-marker.js';

export class AlertSeriesWriter {
  private timer: NodeJS.Timeout | undefined;
  private previous = new Map<string, Labels>();

  constructor(
    private readonly source: () => { labels: Labels; value: number }[],
    private readonly append: (rows: SampleRow[]) => Promise<void>,
    private readonly everyMs = 1000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Called after every round: schedules a write. */
  touch(): void {
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      void this.flush().catch(() => undefined);
    }, this.everyMs);
  }

  /** The rows one write stores (exported for tests). */
  rows(t = this.now()): SampleRow[] {
    const current = new Map<string, Labels>();
    const rows: SampleRow[] = [];
    for (const s of this.source()) {
      current.set(labelsKey(s.labels), s.labels);
      rows.push({ labels: s.labels, t, v: s.value });
    }
    for (const [k, labels] of this.previous) if (!current.has(k)) rows.push({ labels, t, v: STORED_STALE_MARKER });
    this.previous = current;
    return rows;
  }

  async flush(): Promise<void> {
    const rows = this.rows();
    if (rows.length) await this.append(rows);
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
  }
}
