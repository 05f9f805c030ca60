/**
 * Remote-write (1.0 and 2.0) into the telemetry store: decode, judge each sample like
 * Prometheus's head (see head-tracker.ts), store the valid ones, and report the rest. A bad
 * series or sample never hides the others: they are stored, and the caller answers 400 naming
 * what was refused and why, which tells a sender not to retry.
 */
import type { FieldIssue } from '../../lib/errors.js';
import type { Logger } from '../../lib/logger.js';
import { decodeRemoteWriteColumns, isStaleAt, type DecodedColumns, type RemoteWriteHeaders } from '../../sources/metrics/remote-write/index.js';
import type { RemoteWriteDecodePool } from '../../sources/metrics/remote-write/decode-pool.js';
import type { AppendSeries, Labels } from '../../store/telemetry-store.js';
import { PartialWriteError } from '../errors.js';
import type { MetadataRegistry } from '../metadata.js';
import { STORED_STALE_MARKER } from '../stale-marker.js';
import { HeadTracker, VERDICT_REASON, type TrackedSeries } from './head-tracker.js';
import type { SampleBatcher } from './sample-batcher.js';

export interface WriteOutcome {
  version: '1.0' | '2.0';
  series: number;
  samplesWritten: number;
  /** Exact repeats of a stored sample, accepted and not stored again. */
  samplesRepeated: number;
  histogramsWritten: 0;
  exemplarsWritten: 0;
}

interface Refusal {
  reason: string;
  labels: string;
  samples: number;
}

/** Refusals listed in full at most; the totals always count all. */
const MAX_LISTED = 20;

export class RemoteWriteIngest {
  constructor(
    private readonly batcher: SampleBatcher,
    private readonly metadata: MetadataRegistry,
    private readonly tracker: HeadTracker,
    private readonly logger: Logger,
    private readonly maxDecompressedBytes = 64 * 1024 * 1024,
    /** Decodes on worker threads when given; otherwise on this thread. */
    private readonly decodePool?: RemoteWriteDecodePool,
  ) {}

  /** Series seen before, by the bytes of their labels (only keys from the decoder's wire bytes are looked up). */
  readonly #known = (key: string) => this.tracker.known(key);

  /**
   * Stores what can be stored; throws RemoteWriteDecodeError (unreadable body) or PartialWriteError (some refused, rest stored).
   *
   * Samples travel as columns (decode-columns.ts) from the wire to the store: the accepted
   * rows of a series are compacted in place in the request's arrays and handed on as a row
   * range of those arrays (AppendSeries.start/end), so nothing is allocated per sample (objects
   * per sample and their garbage collection were a third of ingest time), nor a view per series.
   */
  async write(body: Uint8Array, headers: RemoteWriteHeaders): Promise<WriteOutcome> {
    const req: DecodedColumns = this.decodePool
      ? await this.decodePool.decode(body, headers, this.maxDecompressedBytes, this.#known)
      : decodeRemoteWriteColumns(body, headers, { maxDecompressedBytes: this.maxDecompressedBytes }, this.#known);
    const refusals: Refusal[] = req.rejected.map((r) => ({ reason: r.reason, labels: labelsText(r.labels), samples: r.samples }));
    let refusedSamples = 0;
    for (const r of req.rejected) refusedSamples += r.samples;

    for (const m of req.metadata) this.metadata.record(m.metricFamilyName, { type: m.type, help: m.help, unit: m.unit });

    const T = req.t;
    const V = req.v;
    const bits = new Uint32Array(V.buffer, V.byteOffset, V.length * 2);
    const out: AppendSeries[] = [];
    const touched: string[] = [];
    let stored = 0;
    let repeated = 0;
    let prev: TrackedSeries | undefined;
    for (const ts of req.series) {
      // The wire bytes of the labels when the decoder could give them (they start with the
      // protobuf tag 0x0a, a joined key with a label name, so the two never collide). A series
      // sent both ways (only when a sender varies its encoding) is judged as two.
      let key = ts.key;
      if (key === undefined) {
        key = '';
        for (const [n, v] of ts.labels) key += `${n}\u00ff${v}\u00ff`;
      }
      const tracked = (ts.known as TrackedSeries | undefined) ?? this.tracker.series(key);
      let labels = tracked.labels;
      if (labels === undefined) {
        const l: Labels = {};
        for (const [n, v] of ts.labels) l[n] = v;
        tracked.labels = labels = Object.freeze(l);
        tracked.pairs = ts.labels;
        // Only a key of wire bytes can be recognised by its bytes (see KnownSeries.next).
        if (ts.key !== undefined) tracked.wire = bytesOf(key);
      }
      if (prev !== undefined && prev.next !== tracked) prev.next = tracked;
      prev = tracked;
      if (ts.metadata && labels.__name__) this.metadata.record(labels.__name__, ts.metadata);
      if (ts.histograms) {
        refusedSamples += ts.histograms;
        refusals.push({ reason: 'native histograms are not supported; send classic histograms (_bucket series with le labels)', labels: labelsText(ts.labels), samples: ts.histograms });
      }
      touched.push(key);
      let badHere = 0;
      let firstBad: string | undefined;
      let k = ts.start;
      for (let i = ts.start; i < ts.end; i++) {
        const t = T[i]!;
        if (!Number.isSafeInteger(t) || t < 0) {
          badHere++;
          firstBad ??= `timestamp ${t} is outside the storable range (epoch ms, 1970 onwards)`;
          continue;
        }
        const stale = isStaleAt(bits, i);
        const v = V[i]!;
        const verdict = this.tracker.judge(tracked, t, v, stale);
        if (verdict === 'ok') {
          // Rows only move towards the series' start, so the compaction stays inside its own rows.
          T[k] = t;
          if (stale) V[k] = STORED_STALE_MARKER;
          else if (k !== i) bits.copyWithin(2 * k, 2 * i, 2 * i + 2); // the bits, not the number: keeps a NaN's payload
          k++;
        } else if (verdict === 'repeat') repeated++;
        else {
          badHere++;
          firstBad ??= `${VERDICT_REASON[verdict]} at ${t}`;
        }
      }
      if (k > ts.start) {
        out.push({ labels, t: T, v: V, start: ts.start, end: k, slot: tracked.slot });
        stored += k - ts.start;
      }
      if (badHere) {
        refusedSamples += badHere;
        refusals.push({ reason: firstBad!, labels: labelsText(ts.labels), samples: badHere });
      }
    }

    if (stored) {
      try {
        await this.batcher.appendSeries(out, stored);
      } catch (err) {
        // Nothing of this batch is stored: forget it, so the sender's retry is judged afresh.
        for (const k of touched) this.tracker.forget(k);
        throw err;
      }
    }

    if (refusals.length) {
      this.logger.info({ refusedSeries: req.rejected.length, refusedSamples, stored, first: refusals[0] }, 'remote-write: some samples refused');
      const issues: FieldIssue[] = refusals.slice(0, MAX_LISTED).map((r) => ({ path: r.labels, message: r.samples ? `${r.reason} (${r.samples} sample${r.samples === 1 ? '' : 's'})` : r.reason }));
      const first = refusals[0]!;
      throw new PartialWriteError(
        `remote-write: ${refusedSamples} sample(s) in ${refusals.length} series refused, ${stored + repeated} stored; first: ${first.reason} for ${first.labels}`,
        stored + repeated,
        refusedSamples,
        issues,
      );
    }
    return { version: req.version, series: req.series.length, samplesWritten: stored, samplesRepeated: repeated, histogramsWritten: 0, exemplarsWritten: 0 };
  }
}

/** The bytes of a one-char-per-byte key, in a DataView of their own (kept for the life of the series). */
function bytesOf(key: string): DataView {
  const b = Buffer.from(key, 'latin1');
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

function labelsText(labels: readonly (readonly [string, string])[]): string {
  const name = labels.find(([n]) => n === '__name__')?.[1] ?? '';
  const rest = labels.filter(([n]) => n !== '__name__').map(([n, v]) => `${n}=${JSON.stringify(v)}`);
  return `${name}{${rest.join(', ')}}`;
}

