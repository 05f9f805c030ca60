import { compress } from 'snappyjs';
import { ProtoWriter } from './proto-writer.js';
import { RW_METRIC_TYPES, type Label, type RwHistogram, type RwMetadata, type RwSample, type RwTimeSeries } from './types.js';

/** Series to encode; exemplars and histograms may be omitted. */
export type EncodableSeries = Pick<RwTimeSeries, 'labels' | 'samples'> & Partial<Pick<RwTimeSeries, 'exemplars' | 'histograms' | 'metadata'>>;

function writeSample(w: ProtoWriter, field: number, s: RwSample, v2: boolean): void {
  w.fork(field);
  if (s.stale) {
    w.tag(1, 1);
    w.fixed64Words(0x00000002, 0x7ff00000);
  } else if (s.v !== 0 || Object.is(s.v, -0)) {
    w.tag(1, 1);
    w.double(s.v);
  }
  if (s.t !== 0) {
    w.tag(2, 0);
    w.varint(s.t);
  }
  if (v2 && s.start !== undefined && s.start !== 0) {
    w.tag(3, 0);
    w.varint(s.start);
  }
  w.join();
}

function writeLabel(w: ProtoWriter, field: number, [name, value]: Label): void {
  w.fork(field);
  if (name !== '') {
    w.tag(1, 2);
    w.string(name);
  }
  if (value !== '') {
    w.tag(2, 2);
    w.string(value);
  }
  w.join();
}

function writePackedDoubles(w: ProtoWriter, field: number, xs: readonly number[]): void {
  if (xs.length === 0) return;
  w.fork(field);
  for (const x of xs) w.double(x);
  w.join();
}

function writePackedSint64(w: ProtoWriter, field: number, xs: readonly number[]): void {
  if (xs.length === 0) return;
  w.fork(field);
  for (const x of xs) w.sint64(x);
  w.join();
}

function writeHistogram(w: ProtoWriter, field: number, h: RwHistogram): void {
  w.fork(field);
  if (h.float) {
    w.tag(2, 1);
    w.double(h.count);
  } else {
    w.tag(1, 0);
    w.varint(h.count);
  }
  w.tag(3, 1);
  w.double(h.sum);
  w.tag(4, 0);
  w.sint32(h.schema);
  w.tag(5, 1);
  w.double(h.zeroThreshold);
  if (h.float) {
    w.tag(7, 1);
    w.double(h.zeroCount);
  } else {
    w.tag(6, 0);
    w.varint(h.zeroCount);
  }
  for (const s of h.negativeSpans) {
    w.fork(8);
    w.tag(1, 0);
    w.sint32(s.offset);
    w.tag(2, 0);
    w.varint(s.length);
    w.join();
  }
  writePackedSint64(w, 9, h.negativeDeltas);
  writePackedDoubles(w, 10, h.negativeCounts);
  for (const s of h.positiveSpans) {
    w.fork(11);
    w.tag(1, 0);
    w.sint32(s.offset);
    w.tag(2, 0);
    w.varint(s.length);
    w.join();
  }
  writePackedSint64(w, 12, h.positiveDeltas);
  writePackedDoubles(w, 13, h.positiveCounts);
  const hint = ['unknown', 'yes', 'no', 'gauge'].indexOf(h.resetHint);
  if (hint > 0) {
    w.tag(14, 0);
    w.varint(hint);
  }
  w.tag(15, 0);
  w.varint(h.t);
  writePackedDoubles(w, 16, h.customValues);
  w.join();
}

/** Encodes a `prometheus.WriteRequest` (uncompressed protobuf). */
export function encodeWriteRequestV1(req: { timeseries: readonly EncodableSeries[]; metadata?: readonly RwMetadata[] }): Uint8Array {
  const w = new ProtoWriter();
  for (const ts of req.timeseries) {
    w.fork(1);
    for (const l of ts.labels) writeLabel(w, 1, l);
    for (const s of ts.samples) writeSample(w, 2, s, false);
    for (const e of ts.exemplars ?? []) {
      w.fork(3);
      for (const l of e.labels) writeLabel(w, 1, l);
      w.tag(2, 1);
      w.double(e.value);
      w.tag(3, 0);
      w.varint(e.t);
      w.join();
    }
    for (const h of ts.histograms ?? []) writeHistogram(w, 4, h);
    w.join();
  }
  for (const m of req.metadata ?? []) {
    w.fork(3);
    w.tag(1, 0);
    w.varint(Math.max(0, RW_METRIC_TYPES.indexOf(m.type)));
    w.tag(2, 2);
    w.string(m.metricFamilyName);
    w.tag(4, 2);
    w.string(m.help);
    w.tag(5, 2);
    w.string(m.unit);
    w.join();
  }
  return w.finish();
}

/** Encodes an `io.prometheus.write.v2.Request` with a symbol table (uncompressed protobuf). */
export function encodeWriteRequestV2(req: { timeseries: readonly EncodableSeries[] }): Uint8Array {
  const symbols = [''];
  const index = new Map<string, number>([['', 0]]);
  const ref = (s: string): number => {
    let i = index.get(s);
    if (i === undefined) {
      i = symbols.length;
      symbols.push(s);
      index.set(s, i);
    }
    return i;
  };
  const w = new ProtoWriter();
  const body = new ProtoWriter();
  for (const ts of req.timeseries) {
    body.fork(5);
    body.fork(1);
    for (const [n, v] of ts.labels) {
      body.varint(ref(n));
      body.varint(ref(v));
    }
    body.join();
    for (const s of ts.samples) writeSample(body, 2, s, true);
    for (const h of ts.histograms ?? []) writeHistogram(body, 3, h);
    for (const e of ts.exemplars ?? []) {
      body.fork(4);
      body.fork(1);
      for (const [n, v] of e.labels) {
        body.varint(ref(n));
        body.varint(ref(v));
      }
      body.join();
      body.tag(2, 1);
      body.double(e.value);
      body.tag(3, 0);
      body.varint(e.t);
      body.join();
    }
    if (ts.metadata !== undefined) {
      body.fork(5);
      body.tag(1, 0);
      body.varint(Math.max(0, RW_METRIC_TYPES.indexOf(ts.metadata.type)));
      body.tag(3, 0);
      body.varint(ref(ts.metadata.help));
      body.tag(4, 0);
      body.varint(ref(ts.metadata.unit));
      body.join();
    }
    body.join();
  }
  for (const s of symbols) {
    w.tag(4, 2);
    w.string(s);
  }
  const head = w.finish();
  const tail = body.finish();
  const out = new Uint8Array(head.length + tail.length);
  out.set(head);
  out.set(tail, head.length);
  return out;
}

/** Snappy block-compresses an encoded request, ready to POST. */
export function compressWriteRequest(protobuf: Uint8Array): Uint8Array {
  return compress(protobuf);
}
