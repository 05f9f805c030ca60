/**
 * Scrapes ScrapeTarget objects on their interval, as Prometheus's scrape loop does: target
 * labels `job` and `instance`, the synthetic series `up`, `scrape_duration_seconds`,
 * `scrape_samples_scraped` and `scrape_samples_post_metric_relabeling`, and staleness markers
 * for series that disappear from the target, for every series when a scrape fails, and when
 * the target is removed.
 */
import type { Labels } from '../../core/labels.js';
import { parseDurationMs } from '../../core/duration.js';
import { errorMessage } from '../../lib/errors.js';
import type { Logger } from '../../lib/logger.js';
import { SCRAPE_ACCEPT_HEADER, parseContentType, parseExposition } from '../../sources/metrics/exposition/index.js';
import type { SampleRow } from '../../store/telemetry-store.js';
import type { MetadataRegistry } from '../metadata.js';
import { STORED_STALE_MARKER } from '../stale-marker.js';
import { scrapeTargetSpecSchema, type ScrapeTargetSpec } from './scrape-target-kind.js';

/** Largest body read from a target (Prometheus body_size_limit is unlimited by default; 64 MiB guards memory). */
const MAX_BODY_BYTES = 64 * 1024 * 1024;

export interface ScrapeResult {
  up: boolean;
  durationMs: number;
  samples: number;
  error?: string;
}

interface Target {
  name: string;
  spec: ScrapeTargetSpec;
  url: string;
  targetLabels: Labels;
  intervalMs: number;
  timeoutMs: number;
  timer: NodeJS.Timeout | undefined;
  /** Series of the last scrape (canonical key → labels), for staleness markers. */
  lastSeries: Map<string, Labels>;
  running: Promise<unknown> | undefined;
  last?: ScrapeResult;
}

export function scrapeUrl(spec: ScrapeTargetSpec): string {
  const u = new URL(spec.url);
  if ((u.pathname === '' || u.pathname === '/') && spec.metricsPath !== undefined) u.pathname = spec.metricsPath;
  else if (u.pathname === '' || u.pathname === '/') u.pathname = '/metrics';
  return u.toString();
}

function seriesKey(labels: Labels): string {
  return JSON.stringify(Object.entries(labels).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)));
}

export class ScrapeManager {
  readonly #targets = new Map<string, Target>();
  #stopped = false;

  constructor(
    /** Where samples go: the telemetry store, or the ingest batcher in front of it. */
    private readonly store: { appendSamples(rows: SampleRow[]): Promise<void> },
    private readonly metadata: MetadataRegistry,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  /** Starts or restarts scraping a target from its object spec. */
  upsert(name: string, rawSpec: unknown): void {
    if (this.#stopped) return;
    const parsed = scrapeTargetSpecSchema.safeParse(rawSpec);
    if (!parsed.success) {
      this.logger.warn({ target: name, issues: parsed.error.issues.slice(0, 3) }, 'ScrapeTarget spec is invalid; not scraping it');
      return;
    }
    const spec = parsed.data;
    const old = this.#targets.get(name);
    if (old?.timer) clearTimeout(old.timer);
    const url = scrapeUrl(spec);
    const u = new URL(url);
    const target: Target = {
      name,
      spec,
      url,
      targetLabels: { ...spec.labels, job: spec.job ?? name, instance: u.host },
      intervalMs: parseDurationMs(spec.interval)!,
      timeoutMs: parseDurationMs(spec.timeout)!,
      timer: undefined,
      lastSeries: old?.lastSeries ?? new Map(),
      running: undefined,
    };
    this.#targets.set(name, target);
    // Spread first scrapes over the interval, as Prometheus offsets targets, so many targets
    // created at once do not all fire together.
    const offset = Math.min(target.intervalMs, 1000) * Math.random();
    this.#schedule(target, offset);
  }

  /** Stops scraping a target and marks its series stale. */
  async remove(name: string): Promise<void> {
    const t = this.#targets.get(name);
    if (!t) return;
    this.#targets.delete(name);
    if (t.timer) clearTimeout(t.timer);
    await t.running;
    await this.#markStale(t, [...t.lastSeries.values()], this.now());
  }

  /** The last scrape of a target, for status pages and tests. */
  status(name: string): ScrapeResult | undefined {
    return this.#targets.get(name)?.last;
  }

  #schedule(t: Target, delayMs: number): void {
    if (this.#stopped) return;
    t.timer = setTimeout(() => {
      if (this.#targets.get(t.name) !== t) return;
      const started = this.now();
      t.running = this.scrapeOnce(t).finally(() => {
        t.running = undefined;
        if (this.#targets.get(t.name) === t) this.#schedule(t, Math.max(0, t.intervalMs - (this.now() - started)));
      });
    }, delayMs);
    t.timer.unref?.();
  }

  /** One scrape: fetch, parse, store samples and the scrape_* series. Never throws. */
  async scrapeOnce(t: Target): Promise<ScrapeResult> {
    const ts = this.now();
    const t0 = performance.now();
    let rows: SampleRow[] = [];
    let error: string | undefined;
    try {
      const res = await fetch(t.url, {
        headers: { accept: SCRAPE_ACCEPT_HEADER, 'x-prometheus-scrape-timeout-seconds': String(t.timeoutMs / 1000), 'user-agent': 'Kansoku-scraper' },
        signal: AbortSignal.timeout(t.timeoutMs),
        redirect: 'follow',
      });
      if (res.status !== 200) throw new Error(`server returned HTTP status ${res.status} ${res.statusText}`);
      const declared = Number(res.headers.get('content-length') ?? 0);
      if (declared > MAX_BODY_BYTES) throw new Error(`body of ${declared} bytes exceeds the ${MAX_BODY_BYTES}-byte limit`);
      const body = new Uint8Array(await res.arrayBuffer());
      if (body.byteLength > MAX_BODY_BYTES) throw new Error(`body exceeds the ${MAX_BODY_BYTES}-byte limit`);
      const parsed = parseExposition(body, parseContentType(res.headers.get('content-type')));
      rows = this.#rowsFrom(t, parsed.families, ts);
    } catch (err) {
      error = err instanceof Error && err.name === 'TimeoutError' ? `scrape timed out after ${t.timeoutMs} ms` : errorMessage(err);
      rows = [];
    }
    const durationMs = performance.now() - t0;
    const up = error === undefined;
    const current = new Map<string, Labels>();
    for (const r of rows) current.set(seriesKey(r.labels), r.labels);
    const gone = [...t.lastSeries].filter(([k]) => !current.has(k)).map(([, l]) => l);
    const synthetic = (name: string, v: number): SampleRow => ({ labels: { ...t.targetLabels, __name__: name }, t: ts, v });
    rows.push(
      synthetic('up', up ? 1 : 0),
      synthetic('scrape_duration_seconds', durationMs / 1000),
      synthetic('scrape_samples_scraped', current.size),
      synthetic('scrape_samples_post_metric_relabeling', current.size),
    );
    for (const l of gone) rows.push({ labels: l, t: ts, v: STORED_STALE_MARKER });
    try {
      await this.store.appendSamples(rows);
      t.lastSeries = current;
    } catch (err) {
      this.logger.error({ err, target: t.name }, 'could not store a scrape');
    }
    if (error) this.logger.info({ target: t.name, url: t.url, error }, 'scrape failed');
    t.last = { up, durationMs, samples: current.size, ...(error ? { error } : {}) };
    return t.last;
  }

  #rowsFrom(t: Target, families: ReturnType<typeof parseExposition>['families'], ts: number): SampleRow[] {
    const rows: SampleRow[] = [];
    for (const f of families) {
      this.metadata.record(f.name, { type: f.type, help: f.help, unit: f.unit });
      for (const s of f.samples) {
        const labels: Labels = {};
        for (const [k, v] of Object.entries(s.labels)) if (v !== '') labels[k] = v;
        for (const [k, v] of Object.entries(t.targetLabels)) {
          if (labels[k] !== undefined && labels[k] !== '') {
            if (t.spec.honorLabels) continue;
            labels[`exported_${k}`] = labels[k]!;
          }
          labels[k] = v;
        }
        labels.__name__ = s.name;
        const at = t.spec.honorTimestamps && s.timestamp !== undefined ? s.timestamp : ts;
        rows.push({ labels, t: at, v: s.value });
      }
    }
    return rows;
  }

  async #markStale(t: Target, series: Labels[], ts: number): Promise<void> {
    if (!series.length) return;
    const rows = series.map((labels) => ({ labels, t: ts, v: STORED_STALE_MARKER }));
    const targetSeries = ['up', 'scrape_duration_seconds', 'scrape_samples_scraped', 'scrape_samples_post_metric_relabeling'];
    for (const n of targetSeries) rows.push({ labels: { ...t.targetLabels, __name__: n }, t: ts, v: STORED_STALE_MARKER });
    try {
      await this.store.appendSamples(rows);
    } catch (err) {
      this.logger.error({ err, target: t.name }, 'could not mark a removed target stale');
    }
  }

  /** Stops every loop and waits for scrapes in flight. */
  async stop(): Promise<void> {
    this.#stopped = true;
    const running: Promise<unknown>[] = [];
    for (const t of this.#targets.values()) {
      if (t.timer) clearTimeout(t.timer);
      if (t.running) running.push(t.running);
    }
    await Promise.allSettled(running);
  }
}
