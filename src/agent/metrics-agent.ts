import type { Logger } from '../lib/logger.js';
import { encodeCollection, REMOTE_WRITE_V1_HEADERS, type EncodedCollection, type HostCollection } from '../sources/host/index.js';
import { ResultBuffer } from './result-buffer.js';
import { ProbeServerError } from './server-client.js';
import { sleep } from '../lib/sleep.js';

export interface MetricsAgentOptions {
  server: string;
  token: string;
  logger: Logger;
  /** Time between collections. */
  intervalMs: number;
  /** `instance` label of every series (default: the host name). */
  instance: string;
  job?: string;
  /** Collections kept while the server cannot take them; beyond it the oldest are dropped. Default 240 (1 h at 15 s). */
  maxBuffered?: number;
  backoffMs?: number;
  maxBackoffMs?: number;
  requestTimeoutMs?: number;
  collector: { collect(): Promise<HostCollection> };
  fetch?: typeof fetch;
}

/** Drop warnings at most this often: a long outage must not fill the log. */
const DROP_LOG_EVERY_MS = 60_000;

/**
 * `kansoku agent --metrics`: collects host metrics every interval and pushes each collection to
 * the server's remote-write endpoint (`POST /api/v1/write`, remote-write 1.0), oldest first.
 * While the server is unreachable collections wait in a bounded in-memory buffer and the push
 * is retried with backoff, as the probe agent does with its results.
 */
export class MetricsAgent {
  readonly #o: MetricsAgentOptions;
  readonly #buffer: ResultBuffer<EncodedCollection>;
  readonly #stop = new AbortController();
  readonly #fetch: typeof fetch;
  readonly #url: string;
  #loops: Promise<void>[] = [];
  #lastDropLog = 0;
  collected = 0;
  /** Collections the server stored. */
  delivered = 0;
  /** Collections the server refused for good (HTTP 400/413/422), with the samples they held. */
  refused = 0;
  droppedSamples = 0;
  /** CPU spent in the last collection (ms), for the log and the README's cost figure. */
  lastCpuMs = 0;

  constructor(opts: MetricsAgentOptions) {
    this.#o = opts;
    this.#buffer = new ResultBuffer<EncodedCollection>(opts.maxBuffered ?? 240);
    this.#fetch = opts.fetch ?? fetch;
    this.#url = `${opts.server.replace(/\/+$/, '')}/api/v1/write`;
  }

  get buffered(): number {
    return this.#buffer.size;
  }

  /** Collections dropped because the buffer was full. */
  get dropped(): number {
    return this.#buffer.dropped;
  }

  start(): void {
    this.#loops = [this.#collectLoop(), this.#pushLoop()];
  }

  /** Stops collecting, then tries (for at most `flushTimeoutMs`) to deliver what is buffered. */
  async stop(flushTimeoutMs = 5000): Promise<void> {
    this.#stop.abort();
    await Promise.allSettled(this.#loops);
    const deadline = Date.now() + flushTimeoutMs;
    while (this.#buffer.size && Date.now() < deadline) {
      if (!(await this.#pushOnce(AbortSignal.timeout(Math.max(1, deadline - Date.now()))))) break;
    }
    if (this.#buffer.size) this.#o.logger.warn({ collections: this.#buffer.size }, 'stopping with host-metric collections the server has not taken; they are lost');
  }

  /** Collects once and queues the result; false when collecting failed as a whole. */
  async collectOnce(): Promise<boolean> {
    let c: HostCollection;
    try {
      c = await this.#o.collector.collect();
    } catch (err) {
      this.#o.logger.error({ err: (err as Error).message }, 'host metrics: collection failed');
      return false;
    }
    this.lastCpuMs = c.cpuMs;
    this.collected++;
    c.families.push(
      { name: 'kansoku_agent_metrics_buffered_collections', type: 'gauge', help: 'Host-metric collections waiting for the server.', samples: [{ labels: {}, value: this.#buffer.size }] },
      { name: 'kansoku_agent_metrics_dropped_collections_total', type: 'counter', help: 'Host-metric collections dropped because the buffer was full while the server was unreachable.', samples: [{ labels: {}, value: this.#buffer.dropped }] },
    );
    const encoded = encodeCollection(c, { job: this.#o.job ?? 'node', instance: this.#o.instance });
    const before = this.#buffer.peek(1)[0];
    if (this.#buffer.add(encoded) > 0) {
      this.droppedSamples += before?.samples ?? 0;
      const now = Date.now();
      if (now - this.#lastDropLog >= DROP_LOG_EVERY_MS) {
        this.#lastDropLog = now;
        this.#o.logger.warn({ dropped: this.#buffer.dropped, droppedSamples: this.droppedSamples, buffered: this.#buffer.size, max: this.#buffer.max }, 'host-metric buffer full while the server is unreachable; dropping the oldest collections');
      }
    }
    if (this.collected === 1) this.#o.logger.info({ series: encoded.samples, cpuMs: Math.round(c.cpuMs * 10) / 10 }, 'host metrics: first collection');
    return true;
  }

  async #collectLoop(): Promise<void> {
    const signal = this.#stop.signal;
    while (!signal.aborted) {
      const t0 = Date.now();
      await this.collectOnce();
      await sleep(Math.max(0, this.#o.intervalMs - (Date.now() - t0)), signal);
    }
  }

  async #pushLoop(): Promise<void> {
    const signal = this.#stop.signal;
    const base = this.#o.backoffMs ?? 1000;
    let backoff = base;
    while (!signal.aborted) {
      await this.#buffer.waitForResults(signal);
      if (signal.aborted) return;
      if (await this.#pushOnce(signal)) backoff = base;
      else {
        await sleep(backoff, signal);
        backoff = Math.min(backoff * 2, this.#o.maxBackoffMs ?? 30_000);
      }
    }
  }

  /** Sends the oldest collection; true when the server took it (or refused it for good). */
  async #pushOnce(signal: AbortSignal): Promise<boolean> {
    const [item] = this.#buffer.peek(1);
    if (!item) return true;
    try {
      await this.#send(item, signal);
      this.#buffer.remove([item]);
      this.delivered++;
      return true;
    } catch (err) {
      if (err instanceof ProbeServerError && !err.retryable) {
        this.#buffer.remove([item]);
        this.refused++;
        this.#o.logger.error({ err: err.message, samples: item.samples, at: new Date(item.timestampMs).toISOString() }, 'the server refused host metrics for good; collection dropped');
        return true;
      }
      if (!signal.aborted) this.#o.logger.warn({ err: (err as Error).message, buffered: this.#buffer.size, dropped: this.#buffer.dropped }, 'cannot push host metrics; will retry');
      return false;
    }
  }

  async #send(item: EncodedCollection, signal: AbortSignal): Promise<void> {
    const timeout = AbortSignal.timeout(this.#o.requestTimeoutMs ?? 30_000);
    let res: Response;
    try {
      res = await this.#fetch(this.#url, {
        method: 'POST',
        headers: { ...REMOTE_WRITE_V1_HEADERS, authorization: `Bearer ${this.#o.token}`, 'user-agent': 'kansoku-agent' },
        body: item.body,
        signal: AbortSignal.any([signal, timeout]),
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      throw new ProbeServerError(`cannot reach the server at ${this.#o.server} (${cause?.code ?? cause?.message ?? (err as Error).message})`, true);
    }
    if (res.ok) {
      await res.arrayBuffer().catch(() => undefined);
      return;
    }
    const text = await res.text().catch(() => '');
    let why = text.slice(0, 500);
    try {
      const j = JSON.parse(text) as { error?: string; code?: string };
      if (j.error) why = j.code ? `${j.error} [${j.code}]` : j.error;
    } catch {
      /* not JSON */
    }
    // As Prometheus's remote-write sender: a 4xx other than auth / not found means this request will never be taken.
    throw new ProbeServerError(`POST /api/v1/write: HTTP ${res.status}: ${why}`, ![400, 413, 422].includes(res.status), res.status);
  }
}
