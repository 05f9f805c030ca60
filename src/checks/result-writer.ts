import type { Logger } from '../lib/logger.js';
import type { CheckResultRow, SampleRow, TelemetryStore } from '../store/telemetry-store.js';

/**
 * Write-behind for check results and their samples. At most one write is in flight; what
 * arrives meanwhile goes out together in the next write, so light load is written at once and
 * heavy load in batches. A failed write is retried with the next batch (appends are idempotent
 * on runId and on (series, t)); beyond `maxBuffered` rows the oldest are dropped and counted.
 */
export class ResultWriter {
  #rows: CheckResultRow[] = [];
  #samples: SampleRow[] = [];
  #inFlight: Promise<void> | null = null;
  #dropped = 0;

  constructor(
    private readonly telemetry: Pick<TelemetryStore, 'appendCheckResults' | 'appendSamples'>,
    private readonly logger?: Logger,
    private readonly maxBuffered = 100_000,
  ) {}

  get dropped(): number {
    return this.#dropped;
  }

  add(row: CheckResultRow, samples: SampleRow[]): void {
    this.#rows.push(row);
    this.#samples.push(...samples);
    if (this.#rows.length > this.maxBuffered) {
      const over = this.#rows.length - this.maxBuffered;
      this.#rows.splice(0, over);
      this.#dropped += over;
    }
    if (this.#samples.length > this.maxBuffered * 10) this.#samples.splice(0, this.#samples.length - this.maxBuffered * 10);
    if (!this.#inFlight) this.#inFlight = this.#drain();
  }

  /** Resolves when everything added so far has been written (or has failed to be). */
  async flush(): Promise<void> {
    while (this.#inFlight) await this.#inFlight;
    if (this.#rows.length || this.#samples.length) {
      this.#inFlight = this.#drain();
      await this.#inFlight;
    }
  }

  async #drain(): Promise<void> {
    try {
      let failures = 0;
      while ((this.#rows.length || this.#samples.length) && failures < 3) {
        const rows = this.#rows;
        const samples = this.#samples;
        this.#rows = [];
        this.#samples = [];
        try {
          if (rows.length) await this.telemetry.appendCheckResults(rows);
          if (samples.length) await this.telemetry.appendSamples(samples);
          failures = 0;
        } catch (err) {
          failures++;
          this.logger?.error({ err, rows: rows.length, samples: samples.length }, 'could not store check results; will retry');
          this.#rows = [...rows, ...this.#rows];
          this.#samples = [...samples, ...this.#samples];
          await new Promise((r) => setTimeout(r, 200 * failures));
        }
      }
    } finally {
      this.#inFlight = null;
    }
  }
}
