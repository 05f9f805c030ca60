/*
 * The form a decoded remote-write request travels in from the decode worker to the main
 * thread (decode-worker.ts → decode-pool.ts), and back into DecodedColumns.
 *
 * The worker keeps its own table of series whose labels it has decoded and validated, keyed
 * by their label bytes as sent (decode-columns.ts `key`), and sends the labels of a series
 * only the first time; afterwards the key alone names it. The main thread looks the key up in
 * the ingest's own table (HeadTracker) and, when it no longer knows it (its batch failed and
 * was forgotten, or the table was cleared), reads the labels back out of the key's bytes.
 * Timestamps and values travel as transferred buffers, never copied.
 */
import { readLabel } from './decode.js';
import type { KnownSeries, RwSeriesColumns } from './decode-columns.js';
import { RemoteWriteDecodeError } from './errors.js';
import { ProtoReader, WIRE_LEN } from './proto-reader.js';
import type { DecodedColumns } from './request.js';
import type { Label, RwMetadata, RwSeriesMetadata } from './types.js';

export interface TransferredColumns {
  version: '1.0' | '2.0';
  /** Per series: its key, or null when it has none (labels were not contiguous, or validation changed them). */
  keys: (string | null)[];
  /** Series i owns rows [bounds[i], bounds[i + 1]). */
  bounds: Int32Array;
  /** Labels of series the worker sends for the first time, or that have no key: [series index, labels]. */
  labels: [number, Label[]][];
  histograms: [number, number][];
  seriesMetadata: [number, RwSeriesMetadata][];
  t: Float64Array;
  v: Float64Array;
  metadata: RwMetadata[];
  rejected: DecodedColumns['rejected'];
}

/** A decode failure as it crosses the thread boundary. */
export interface TransferredError {
  code: `KSK_RW_${string}`;
  message: string;
}

/**
 * Packs `d` for postMessage. `sent` holds the keys whose labels the other side has been given;
 * it is updated here.
 */
export function packColumns(d: DecodedColumns, sent: Map<string, KnownSeries>, maxKeys: number): TransferredColumns {
  const n = d.series.length;
  const keys = new Array<string | null>(n);
  const bounds = new Int32Array(n + 1);
  const labels: [number, Label[]][] = [];
  const histograms: [number, number][] = [];
  const seriesMetadata: [number, RwSeriesMetadata][] = [];
  for (let i = 0; i < n; i++) {
    const s = d.series[i]!;
    bounds[i] = s.start;
    keys[i] = s.key ?? null;
    if (s.known === undefined) {
      labels.push([i, s.labels]);
      if (s.key !== undefined) {
        // Only the labels a key names exactly are remembered (validation did not change them).
        if (sent.size >= maxKeys) sent.clear();
        sent.set(s.key, { pairs: s.labels, key: s.key, wire: undefined, next: undefined });
      }
    }
    if (s.histograms) histograms.push([i, s.histograms]);
    if (s.metadata) seriesMetadata.push([i, s.metadata]);
  }
  bounds[n] = n ? d.series[n - 1]!.end : 0;
  return { version: d.version, keys, bounds, labels, histograms, seriesMetadata, t: d.t, v: d.v, metadata: d.metadata, rejected: d.rejected };
}

/**
 * DecodedColumns again, on the main thread. `known` is the ingest's lookup (as given to
 * decodeRemoteWriteColumns); a key it does not know and that came without labels is read back
 * from its bytes (it was validated by the worker when first seen).
 */
export function unpackColumns(p: TransferredColumns, known?: (key: string) => KnownSeries | undefined): DecodedColumns {
  const n = p.keys.length;
  const series = new Array<RwSeriesColumns>(n);
  let li = 0;
  for (let i = 0; i < n; i++) {
    const key = p.keys[i] ?? undefined;
    const s: RwSeriesColumns = { labels: [], start: p.bounds[i]!, end: p.bounds[i + 1]!, histograms: 0, key };
    if (li < p.labels.length && p.labels[li]![0] === i) s.labels = p.labels[li++]![1];
    else if (key !== undefined) {
      const k = known?.(key);
      if (k !== undefined) {
        s.labels = k.pairs;
        s.known = k;
      } else s.labels = labelsOfKey(key);
    }
    series[i] = s;
  }
  for (const [i, h] of p.histograms) series[i]!.histograms = h;
  for (const [i, m] of p.seriesMetadata) series[i]!.metadata = m;
  return { version: p.version, series, t: p.t, v: p.v, metadata: p.metadata, rejected: p.rejected };
}

/** The labels a key (a series' label fields as sent, one char per byte) holds. */
export function labelsOfKey(key: string): Label[] {
  const r = new ProtoReader(Buffer.from(key, 'latin1'));
  const out: Label[] = [];
  while (r.pos < r.end) {
    const tag = r.uint32();
    if ((tag & 7) !== WIRE_LEN || tag >>> 3 !== 1) r.fail('a series key holds only label fields');
    const e = r.lenEnd();
    out.push(readLabel(r, e, -1));
    r.pos = e;
  }
  return out;
}

export function toTransferredError(err: unknown): TransferredError | undefined {
  if (err instanceof RemoteWriteDecodeError) return { code: err.code as TransferredError['code'], message: err.message };
  return undefined;
}

export function fromTransferredError(e: TransferredError): RemoteWriteDecodeError {
  return new RemoteWriteDecodeError(e.code, e.message);
}
