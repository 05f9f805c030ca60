/**
 * The write-ahead log's record format. A segment file is a sequence of records:
 *
 *   type u8 | payload length u32 LE | CRC-32 of the payload u32 LE | payload
 *
 * - SERIES (1): entries of `ref u32, label count u32, (name length u32, name, value length u32,
 *   value)…`, UTF-8. A segment names every series before its first sample in that segment, so
 *   each segment replays on its own and a truncated prefix never orphans a reference.
 * - SAMPLES (2): `count u32, 4 bytes padding, t f64 × count, v f64 × count, ref u32 × count`.
 *   Values are copied as their 64 bits, so a NaN's payload (Prometheus's staleness marker)
 *   survives; timestamps are epoch milliseconds, exact in a double up to 2^53.
 *
 * Columnar samples make encoding a copy of the typed arrays the head already filled.
 */
import { crc32 } from 'node:zlib';

export const RECORD_SERIES = 1;
export const RECORD_SAMPLES = 2;
export const HEADER_BYTES = 9;

export interface SeriesEntry {
  ref: number;
  labels: readonly (readonly [string, string])[];
}

export interface SamplesBody {
  refs: Uint32Array;
  ts: Float64Array;
  vs: Float64Array;
  /** Rows used, from the start of each array. */
  n: number;
}

function seriesPayloadBytes(entries: readonly SeriesEntry[]): number {
  let bytes = 0;
  for (const e of entries) {
    bytes += 8;
    for (const [name, value] of e.labels) bytes += 8 + Buffer.byteLength(name) + Buffer.byteLength(value);
  }
  return bytes;
}

function samplesPayloadBytes(n: number): number {
  return 8 + n * 20;
}

/** One buffer holding a SERIES record (when there are new series) and a SAMPLES record. */
export function encodeBatch(series: readonly SeriesEntry[], body: SamplesBody): Buffer {
  const sBytes = series.length ? HEADER_BYTES + seriesPayloadBytes(series) : 0;
  const buf = Buffer.allocUnsafe(sBytes + HEADER_BYTES + samplesPayloadBytes(body.n));
  let o = 0;
  if (series.length) {
    const start = o + HEADER_BYTES;
    let p = start;
    for (const e of series) {
      buf.writeUInt32LE(e.ref, p);
      buf.writeUInt32LE(e.labels.length, p + 4);
      p += 8;
      for (const [name, value] of e.labels) {
        const nl = buf.write(name, p + 4, 'utf8');
        buf.writeUInt32LE(nl, p);
        p += 4 + nl;
        const vl = buf.write(value, p + 4, 'utf8');
        buf.writeUInt32LE(vl, p);
        p += 4 + vl;
      }
    }
    writeHeader(buf, o, RECORD_SERIES, start, p);
    o = p;
  }
  const start = o + HEADER_BYTES;
  let p = start;
  buf.writeUInt32LE(body.n, p);
  buf.writeUInt32LE(0, p + 4);
  p += 8;
  buf.set(new Uint8Array(body.ts.buffer, body.ts.byteOffset, body.n * 8), p);
  p += body.n * 8;
  buf.set(new Uint8Array(body.vs.buffer, body.vs.byteOffset, body.n * 8), p);
  p += body.n * 8;
  buf.set(new Uint8Array(body.refs.buffer, body.refs.byteOffset, body.n * 4), p);
  p += body.n * 4;
  writeHeader(buf, o, RECORD_SAMPLES, start, p);
  return buf;
}

function writeHeader(buf: Buffer, at: number, type: number, start: number, end: number): void {
  buf.writeUInt8(type, at);
  buf.writeUInt32LE(end - start, at + 1);
  buf.writeUInt32LE(crc32(buf.subarray(start, end)), at + 5);
}

export type DecodedRecord =
  | { type: typeof RECORD_SERIES; series: SeriesEntry[]; end: number }
  | { type: typeof RECORD_SAMPLES; samples: SamplesBody; end: number };

export type ReadResult =
  | { ok: true; record: DecodedRecord }
  | { ok: false; reason: string };

/** Reads the record at `offset`; `ok: false` says why it is torn or corrupt. */
export function readRecord(buf: Buffer, offset: number): ReadResult {
  if (offset + HEADER_BYTES > buf.length) return { ok: false, reason: `incomplete record header (${buf.length - offset} of ${HEADER_BYTES} bytes)` };
  const type = buf.readUInt8(offset);
  const len = buf.readUInt32LE(offset + 1);
  const crc = buf.readUInt32LE(offset + 5);
  const start = offset + HEADER_BYTES;
  const end = start + len;
  if (type !== RECORD_SERIES && type !== RECORD_SAMPLES) return { ok: false, reason: `unknown record type ${type}` };
  if (end > buf.length) return { ok: false, reason: `record of ${len} bytes cut off after ${buf.length - start}` };
  const payload = buf.subarray(start, end);
  if (crc32(payload) !== crc) return { ok: false, reason: 'checksum mismatch' };
  try {
    if (type === RECORD_SERIES) return { ok: true, record: { type, series: decodeSeries(payload), end } };
    return { ok: true, record: { type, samples: decodeSamples(payload), end } };
  } catch (err) {
    return { ok: false, reason: `malformed payload: ${(err as Error).message}` };
  }
}

function decodeSeries(p: Buffer): SeriesEntry[] {
  const out: SeriesEntry[] = [];
  let o = 0;
  while (o < p.length) {
    const ref = p.readUInt32LE(o);
    const count = p.readUInt32LE(o + 4);
    o += 8;
    const labels: [string, string][] = [];
    for (let i = 0; i < count; i++) {
      const nl = p.readUInt32LE(o);
      const name = p.toString('utf8', o + 4, o + 4 + nl);
      o += 4 + nl;
      const vl = p.readUInt32LE(o);
      const value = p.toString('utf8', o + 4, o + 4 + vl);
      o += 4 + vl;
      if (o > p.length) throw new Error('label runs past the record');
      labels.push([name, value]);
    }
    out.push({ ref, labels });
  }
  return out;
}

function decodeSamples(p: Buffer): SamplesBody {
  const n = p.readUInt32LE(0);
  if (p.length !== samplesPayloadBytes(n)) throw new Error(`${n} samples need ${samplesPayloadBytes(n)} bytes, the record has ${p.length}`);
  // Copies into fresh, aligned buffers: the file buffer's offsets are not 8-byte aligned.
  const ts = new Float64Array(n);
  const vs = new Float64Array(n);
  const refs = new Uint32Array(n);
  let o = 8;
  new Uint8Array(ts.buffer).set(p.subarray(o, o + n * 8));
  o += n * 8;
  new Uint8Array(vs.buffer).set(p.subarray(o, o + n * 8));
  o += n * 8;
  new Uint8Array(refs.buffer).set(p.subarray(o, o + n * 4));
  return { refs, ts, vs, n };
}
