import { decodeWriteRequestV2, readLabel, readMetadataV1 } from './decode.js';
import { ProtoReader, WIRE_FIXED64, WIRE_LEN, WIRE_VARINT } from './proto-reader.js';
import type { Label, RwMetadata, RwSeriesMetadata, RwTimeSeries } from './types.js';

/*
 * Remote-write decoded into columns: one entry per series (labels once) and the request's
 * sample timestamps and values in two Float64Arrays, each series owning the rows
 * [start, end). The object form (decode.ts: one {t, v} per sample) cost about a third of
 * ingest in allocation and garbage collection; this form allocates per series and per request.
 *
 * Values are copied from the wire as their 8 bytes, so any NaN payload (Prometheus's staleness
 * marker) is exactly what the sender wrote; `isStaleAt` tests those bits. Float64Array is
 * host-endian and the wire little-endian: like the WAL (src/store/head), this assumes a
 * little-endian host, which every platform Node ships for is.
 */

export interface RwSeriesColumns {
  /** Labels in wire order (after validation: sorted, unique, no empty values). */
  labels: Label[];
  /** This series' rows in the request's `t` / `v` columns. */
  start: number;
  end: number;
  /** Native histograms sent for this series (Kansoku refuses them; only the count is kept). */
  histograms: number;
  /**
   * The series' label fields as sent (one char per byte), when they were contiguous on the
   * wire: an identity key cheaper to build and hash than one joined from the label strings.
   * Undefined when the labels were not contiguous or validation changed them.
   */
  key?: string | undefined;
  /** What the caller's `known` lookup returned for `key`: labels not decoded again, not validated again. */
  known?: KnownSeries | undefined;
  /** RW 2.0 only: the series' metadata. */
  metadata?: RwSeriesMetadata;
}

/** A series the caller has seen and validated before, found by its label bytes (`key`). */
export interface KnownSeries {
  readonly pairs: Label[];
  /** Its label bytes as one char per byte (the `key` it was found by). */
  readonly key: string;
  /** The same bytes, to recognise the series without building `key`; undefined once it must not be predicted any more. */
  wire: DataView | undefined;
  /**
   * The series that followed this one in the last request that carried both. A sender keeps
   * its order from request to request (Prometheus's shards batch in scrape order), so the
   * decoder compares the next series' bytes with this one's first: about 90 ns against about
   * 400 ns for building the key string and a Map lookup.
   */
  next: KnownSeries | undefined;
}

/**
 * Whether the label fields at [at, …) of `view` are exactly `wire` and no label field follows
 * them before `end`. Four bytes at a time: a byte loop was three times slower.
 */
function sameLabelBytes(view: DataView, at: number, end: number, wire: DataView): boolean {
  const n = wire.byteLength;
  const stop = at + n;
  if (stop > end || (stop < end && view.getUint8(stop) === 0x0a)) return false;
  let k = 0;
  for (; k + 4 <= n; k += 4) if (view.getUint32(at + k, true) !== wire.getUint32(k, true)) return false;
  for (; k < n; k++) if (view.getUint8(at + k) !== wire.getUint8(k)) return false;
  return true;
}

export interface RwColumns {
  series: RwSeriesColumns[];
  /** Sample timestamps (epoch ms), all series' rows one after the other. */
  t: Float64Array;
  /** Sample values with their exact bits. */
  v: Float64Array;
  /** RW 1.0 metadata entries. */
  metadata: RwMetadata[];
}

const STALE_HI = 0x7ff00000;
const STALE_LO = 0x00000002;

/** Whether row `i` of `bits` (a Uint32Array over a values column) is the staleness marker. */
export function isStaleAt(bits: Uint32Array, i: number): boolean {
  return bits[2 * i + 1] === STALE_HI && bits[2 * i] === STALE_LO;
}

/** Growable scratch columns, reused between requests (decoding is synchronous). */
let scratchT = new Float64Array(4096);
let scratchV = new Float64Array(4096);
let scratchV8 = new Uint8Array(scratchV.buffer);

function grow(): void {
  const t = new Float64Array(scratchT.length * 2);
  t.set(scratchT);
  const v = new Float64Array(scratchV.length * 2);
  v.set(scratchV);
  scratchT = t;
  scratchV = v;
  scratchV8 = new Uint8Array(v.buffer);
}

/** Reads one Sample message into row `n` of the scratch columns. */
function readSampleInto(r: ProtoReader, end: number, n: number): void {
  // Every sender we know writes `value` (tag 0x09, 8 bytes) then `timestamp` (tag 0x10, a
  // varint of at most 8 bytes for dates before year 4200): read that shape straight from the
  // bytes, and leave anything else (other order, negative or missing fields) to the general loop.
  const src = r.buf;
  const at = r.pos;
  if (end - at >= 11 && end - at <= 18 && src[at] === 0x09 && src[at + 9] === 0x10) {
    let t = 0;
    let scale = 1;
    let p = at + 10;
    let b = 0x80;
    while (p < end && b >= 0x80) {
      b = src[p++]!;
      t += (b & 0x7f) * scale;
      scale *= 128;
    }
    if (b < 0x80 && p === end) {
      scratchT[n] = t;
      const v8 = scratchV8;
      const o = n * 8;
      for (let k = 0; k < 8; k++) v8[o + k] = src[at + 1 + k]!;
      r.pos = end;
      return;
    }
  }
  let t = 0;
  let vAt = -1;
  while (r.pos < end) {
    const tag = r.uint32();
    if (tag === ((1 << 3) | WIRE_FIXED64)) {
      if (r.pos + 8 > end) r.fail('truncated double');
      vAt = r.pos;
      r.pos += 8;
    } else if (tag === ((2 << 3) | WIRE_VARINT)) t = r.int64();
    else r.skip(tag & 7);
  }
  scratchT[n] = t;
  if (vAt < 0) scratchV[n] = 0;
  else {
    // Byte by byte: a subarray per sample for set() would be an allocation per sample.
    const src = r.buf;
    const v8 = scratchV8;
    const o = n * 8;
    for (let b = 0; b < 8; b++) v8[o + b] = src[vAt + b]!;
  }
}

/**
 * Decodes an uncompressed RW 1.0 `prometheus.WriteRequest` into columns. `known` looks a
 * series up by its label bytes before they are decoded: a sender repeats the same series in
 * every request, and decoding, validating and keying its labels again cost as much as the rest
 * of the series when it carries a single sample (seen at 10,000 series).
 */
export function decodeWriteRequestV1Columns(buf: Uint8Array, known?: (key: string) => KnownSeries | undefined): RwColumns {
  const r = new ProtoReader(buf);
  const series: RwSeriesColumns[] = [];
  const metadata: RwMetadata[] = [];
  let n = 0;
  /** The previous series when it was a known one: its `next` is the likely series now. */
  let prev: KnownSeries | undefined;
  while (r.pos < r.end) {
    const tag = r.uint32();
    const field = tag >>> 3;
    const wt = tag & 7;
    if (wt !== WIRE_LEN || (field !== 1 && field !== 3)) {
      r.skip(wt);
      continue;
    }
    const e = r.lenEnd();
    if (field === 3) {
      metadata.push(readMetadataV1(r, e));
    } else {
      const s: RwSeriesColumns = { labels: [], start: n, end: n, histograms: 0, key: undefined };
      let labelsFrom = -1;
      let labelsTo = -1;
      let contiguous = true;
      while (r.pos < e) {
        const at = r.pos;
        const t2 = r.uint32();
        const w2 = t2 & 7;
        if (w2 !== WIRE_LEN) {
          r.skip(w2);
          continue;
        }
        const e2 = r.lenEnd();
        const f2 = t2 >>> 3;
        if (f2 === 2) {
          if (n === scratchT.length) grow();
          readSampleInto(r, e2, n++);
        } else if (f2 === 1) {
          if (labelsFrom < 0 && known !== undefined) {
            const guess = prev?.next;
            if (guess?.wire !== undefined && sameLabelBytes(r.view, at, e, guess.wire)) {
              s.labels = guess.pairs;
              s.known = guess;
              s.key = guess.key;
              labelsFrom = at;
              r.pos = labelsTo = at + guess.wire.byteLength;
              continue;
            }
            // All label fields from here (tag 0x0a is field 1, length-delimited) form the key.
            const contentAt = r.pos;
            r.pos = at;
            while (r.pos < e && r.buf[r.pos] === 0x0a) {
              r.pos++;
              r.pos = r.lenEnd();
            }
            const key = r.latin1(at, r.pos);
            const k = known(key);
            if (k !== undefined) {
              s.labels = k.pairs;
              s.known = k;
              s.key = key;
              labelsFrom = at;
              labelsTo = r.pos;
              continue;
            }
            r.pos = contentAt;
          }
          if (s.known !== undefined) {
            // More labels after other fields: not the known series after all; decode it all.
            s.labels = [...s.labels];
            s.known = undefined;
          }
          if (labelsFrom < 0) labelsFrom = at;
          else if (at !== labelsTo) contiguous = false;
          s.labels.push(readLabel(r, e2, s.labels.length));
          labelsTo = e2;
        }
        else if (f2 === 4) {
          s.histograms++;
          r.pos = e2;
        } else r.pos = e2; // exemplars (3) are dropped, unknown fields skipped
        if (r.pos !== e2) r.fail('field runs past its message');
      }
      s.end = n;
      prev = s.known;
      if (!contiguous) s.key = undefined;
      else if (s.key === undefined && labelsFrom >= 0) s.key = r.latin1(labelsFrom, labelsTo);
      series.push(s);
    }
    if (r.pos !== e) r.fail('field runs past its message');
  }
  return { series, t: scratchT.slice(0, n), v: scratchV.slice(0, n), metadata };
}

/** RW 2.0 (rare: Prometheus 2.x sends 1.0) through the object decoder, then into columns. */
export function decodeWriteRequestV2Columns(buf: Uint8Array): RwColumns {
  return toColumns(decodeWriteRequestV2(buf).timeseries, []);
}

/** The object form into columns (tests compare both decoders with it). */
export function toColumns(timeseries: readonly RwTimeSeries[], metadata: RwMetadata[]): RwColumns {
  let total = 0;
  for (const ts of timeseries) total += ts.samples.length;
  const t = new Float64Array(total);
  const v = new Float64Array(total);
  const bits = new Uint32Array(v.buffer);
  const series: RwSeriesColumns[] = [];
  let n = 0;
  for (const ts of timeseries) {
    const s: RwSeriesColumns = { labels: ts.labels, start: n, end: n, histograms: ts.histograms.length };
    if (ts.metadata) s.metadata = ts.metadata;
    for (const p of ts.samples) {
      t[n] = p.t;
      v[n] = p.v;
      if (p.stale) {
        bits[2 * n] = STALE_LO;
        bits[2 * n + 1] = STALE_HI;
      }
      n++;
    }
    s.end = n;
    series.push(s);
  }
  return { series, t, v, metadata };
}
