import { ProtoReader, WIRE_FIXED64, WIRE_LEN, WIRE_VARINT } from './proto-reader.js';
import { RemoteWriteDecodeError } from './errors.js';
import {
  RW_METRIC_TYPES,
  type BucketSpan,
  type Label,
  type RwExemplar,
  type RwHistogram,
  type RwMetadata,
  type RwMetricType,
  type RwSample,
  type RwTimeSeries,
} from './types.js';

/*
 * Wire decoding of both remote-write schemas (field numbers from prompb/remote.proto,
 * prompb/types.proto and prompb/io/prometheus/write/v2/types.proto). Unknown fields are
 * skipped, as protobuf requires; validation of what was decoded lives in validate.ts.
 */

const STALE_HI = 0x7ff00000;
const STALE_LO = 0x00000002;

function metricType(n: number): RwMetricType {
  return RW_METRIC_TYPES[n] ?? 'unknown';
}

const RESET_HINTS: readonly RwHistogram['resetHint'][] = ['unknown', 'yes', 'no', 'gauge'];

function readSample(r: ProtoReader, end: number, v2: boolean): RwSample {
  let t = 0;
  let v = 0;
  let stale = false;
  let start = 0;
  while (r.pos < end) {
    const tag = r.uint32();
    const field = tag >>> 3;
    const wt = tag & 7;
    if (field === 1 && wt === WIRE_FIXED64) {
      stale = r.peekDoubleBits(STALE_LO, STALE_HI);
      v = r.double();
    } else if (field === 2 && wt === WIRE_VARINT) t = r.int64();
    else if (v2 && field === 3 && wt === WIRE_VARINT) start = r.int64();
    else r.skip(wt);
  }
  const s: RwSample = { t, v };
  if (stale) s.stale = true;
  if (start !== 0) s.start = start;
  return s;
}

/** A Label message; `slot` (label position in its series) lets equal strings be reused. */
export function readLabel(r: ProtoReader, end: number, slot: number): Label {
  let name = '';
  let value = '';
  while (r.pos < end) {
    const tag = r.uint32();
    const wt = tag & 7;
    if (tag === ((1 << 3) | WIRE_LEN)) name = slot < 0 ? r.string() : r.stringInSlot(slot * 2);
    else if (tag === ((2 << 3) | WIRE_LEN)) value = slot < 0 ? r.string() : r.stringInSlot(slot * 2 + 1);
    else r.skip(wt);
  }
  return [name, value];
}

function readSpan(r: ProtoReader, end: number): BucketSpan {
  let offset = 0;
  let length = 0;
  while (r.pos < end) {
    const tag = r.uint32();
    if (tag === ((1 << 3) | WIRE_VARINT)) offset = r.sint32();
    else if (tag === ((2 << 3) | WIRE_VARINT)) length = r.uint32();
    else r.skip(tag & 7);
  }
  return { offset, length };
}

/** Wire type per Histogram field; -1 marks repeated scalars (packed or not). */
const HISTOGRAM_WIRE: readonly (number | undefined)[] = [
  undefined, WIRE_VARINT, WIRE_FIXED64, WIRE_FIXED64, WIRE_VARINT, WIRE_FIXED64, WIRE_VARINT, WIRE_FIXED64,
  WIRE_LEN, -1, -1, WIRE_LEN, -1, -1, WIRE_VARINT, WIRE_VARINT, -1, WIRE_VARINT,
];

/** The Histogram message, identical in field numbers in RW 1.0 and 2.0. */
export function readHistogram(r: ProtoReader, end: number): RwHistogram {
  const h: RwHistogram = {
    t: 0,
    count: 0,
    float: false,
    sum: 0,
    schema: 0,
    zeroThreshold: 0,
    zeroCount: 0,
    negativeSpans: [],
    negativeDeltas: [],
    negativeCounts: [],
    positiveSpans: [],
    positiveDeltas: [],
    positiveCounts: [],
    resetHint: 'unknown',
    customValues: [],
  };
  while (r.pos < end) {
    const tag = r.uint32();
    const field = tag >>> 3;
    const wt = tag & 7;
    const want = HISTOGRAM_WIRE[field];
    if (want === undefined || (want >= 0 && want !== wt)) {
      r.skip(wt);
      continue;
    }
    switch (field) {
      case 1:
        h.count = r.uint64();
        break;
      case 2:
        h.count = r.double();
        h.float = true;
        break;
      case 3:
        h.sum = r.double();
        break;
      case 4:
        h.schema = r.sint32();
        break;
      case 5:
        h.zeroThreshold = r.double();
        break;
      case 6:
        h.zeroCount = r.uint64();
        break;
      case 7:
        h.zeroCount = r.double();
        h.float = true;
        break;
      case 8:
        h.negativeSpans.push(readSpan(r, r.lenEnd()));
        break;
      case 9:
        r.repeated(wt, WIRE_VARINT, () => h.negativeDeltas.push(r.sint64()));
        break;
      case 10:
        r.repeated(wt, WIRE_FIXED64, () => h.negativeCounts.push(r.double()));
        break;
      case 11:
        h.positiveSpans.push(readSpan(r, r.lenEnd()));
        break;
      case 12:
        r.repeated(wt, WIRE_VARINT, () => h.positiveDeltas.push(r.sint64()));
        break;
      case 13:
        r.repeated(wt, WIRE_FIXED64, () => h.positiveCounts.push(r.double()));
        break;
      case 14:
        h.resetHint = RESET_HINTS[r.uint32()] ?? 'unknown';
        break;
      case 15:
        h.t = r.int64();
        break;
      case 16:
        r.repeated(wt, WIRE_FIXED64, () => h.customValues.push(r.double()));
        break;
      case 17:
        h.startTimestamp = r.int64();
        break;
      default:
        r.skip(wt);
    }
  }
  if (r.pos !== end) r.fail('histogram field runs past its message');
  return h;
}

function readExemplarV1(r: ProtoReader, end: number): RwExemplar {
  const e: RwExemplar = { labels: [], value: 0, t: 0 };
  while (r.pos < end) {
    const tag = r.uint32();
    const field = tag >>> 3;
    const wt = tag & 7;
    if (field === 1 && wt === WIRE_LEN) e.labels.push(readLabel(r, r.lenEnd(), -1));
    else if (field === 2 && wt === WIRE_FIXED64) e.value = r.double();
    else if (field === 3 && wt === WIRE_VARINT) e.t = r.int64();
    else r.skip(wt);
  }
  return e;
}

function readTimeSeriesV1(r: ProtoReader, end: number): RwTimeSeries {
  const ts: RwTimeSeries = { labels: [], samples: [], exemplars: [], histograms: [] };
  while (r.pos < end) {
    const tag = r.uint32();
    const field = tag >>> 3;
    const wt = tag & 7;
    if (wt !== WIRE_LEN) {
      r.skip(wt);
      continue;
    }
    const e = r.lenEnd();
    if (field === 1) ts.labels.push(readLabel(r, e, ts.labels.length));
    else if (field === 2) ts.samples.push(readSample(r, e, false));
    else if (field === 3) ts.exemplars.push(readExemplarV1(r, e));
    else if (field === 4) ts.histograms.push(readHistogram(r, e));
    else r.pos = e;
    if (r.pos !== e) r.fail('field runs past its message');
  }
  return ts;
}

export function readMetadataV1(r: ProtoReader, end: number): RwMetadata {
  const m: RwMetadata = { type: 'unknown', metricFamilyName: '', help: '', unit: '' };
  while (r.pos < end) {
    const tag = r.uint32();
    const field = tag >>> 3;
    const wt = tag & 7;
    if (field === 1 && wt === WIRE_VARINT) m.type = metricType(r.uint32());
    else if (field === 2 && wt === WIRE_LEN) m.metricFamilyName = r.string();
    else if (field === 4 && wt === WIRE_LEN) m.help = r.string();
    else if (field === 5 && wt === WIRE_LEN) m.unit = r.string();
    else r.skip(wt);
  }
  return m;
}

/** Decodes an uncompressed `prometheus.WriteRequest`. */
export function decodeWriteRequestV1(buf: Uint8Array): { timeseries: RwTimeSeries[]; metadata: RwMetadata[] } {
  const r = new ProtoReader(buf);
  const timeseries: RwTimeSeries[] = [];
  const metadata: RwMetadata[] = [];
  while (r.pos < r.end) {
    const tag = r.uint32();
    const field = tag >>> 3;
    const wt = tag & 7;
    if (wt === WIRE_LEN && (field === 1 || field === 3)) {
      const e = r.lenEnd();
      if (field === 1) timeseries.push(readTimeSeriesV1(r, e));
      else metadata.push(readMetadataV1(r, e));
      if (r.pos !== e) r.fail('field runs past its message');
    } else {
      r.skip(wt);
    }
  }
  return { timeseries, metadata };
}

// ---- RW 2.0 ---------------------------------------------------------------------------------

function symbol(symbols: readonly string[], ref: number, r: ProtoReader): string {
  const s = symbols[ref];
  if (s === undefined) {
    throw new RemoteWriteDecodeError('KSK_RW_SYMBOL_REF', `remote-write 2.0 request refers to symbol ${ref}, but the symbol table has ${symbols.length} entries (at byte ${r.pos})`);
  }
  return s;
}

function refsToLabels(refs: number[], symbols: readonly string[], r: ProtoReader): Label[] {
  if (refs.length % 2 !== 0) {
    throw new RemoteWriteDecodeError('KSK_RW_SYMBOL_REF', `remote-write 2.0 labels_refs must come in name/value pairs, found ${refs.length} refs`);
  }
  const labels: Label[] = [];
  for (let i = 0; i < refs.length; i += 2) labels.push([symbol(symbols, refs[i]!, r), symbol(symbols, refs[i + 1]!, r)]);
  return labels;
}

/** Decodes an uncompressed `io.prometheus.write.v2.Request`. */
export function decodeWriteRequestV2(buf: Uint8Array): { timeseries: RwTimeSeries[] } {
  const r = new ProtoReader(buf);
  const symbols: string[] = [];
  // Series may precede the symbol table on the wire, so resolve references after one pass.
  const raw: { refs: number[]; ts: RwTimeSeries; exemplarRefs: number[][]; meta?: { type: number; help: number; unit: number } }[] = [];
  while (r.pos < r.end) {
    const tag = r.uint32();
    const field = tag >>> 3;
    const wt = tag & 7;
    if (field === 4 && wt === WIRE_LEN) {
      symbols.push(r.string());
    } else if (field === 5 && wt === WIRE_LEN) {
      const end = r.lenEnd();
      const item: (typeof raw)[number] = { refs: [], ts: { labels: [], samples: [], exemplars: [], histograms: [] }, exemplarRefs: [] };
      while (r.pos < end) {
        const t2 = r.uint32();
        const f2 = t2 >>> 3;
        const w2 = t2 & 7;
        if (f2 === 1) {
          r.repeated(w2, WIRE_VARINT, () => item.refs.push(r.uint32()));
        } else if (w2 === WIRE_LEN && f2 >= 2 && f2 <= 5) {
          const e = r.lenEnd();
          if (f2 === 2) item.ts.samples.push(readSample(r, e, true));
          else if (f2 === 3) item.ts.histograms.push(readHistogram(r, e));
          else if (f2 === 4) {
            const ex: RwExemplar = { labels: [], value: 0, t: 0 };
            const refs: number[] = [];
            while (r.pos < e) {
              const t3 = r.uint32();
              const f3 = t3 >>> 3;
              const w3 = t3 & 7;
              if (f3 === 1) r.repeated(w3, WIRE_VARINT, () => refs.push(r.uint32()));
              else if (f3 === 2 && w3 === WIRE_FIXED64) ex.value = r.double();
              else if (f3 === 3 && w3 === WIRE_VARINT) ex.t = r.int64();
              else r.skip(w3);
            }
            item.ts.exemplars.push(ex);
            item.exemplarRefs.push(refs);
          } else {
            const meta = { type: 0, help: 0, unit: 0 };
            while (r.pos < e) {
              const t3 = r.uint32();
              const f3 = t3 >>> 3;
              const w3 = t3 & 7;
              if (w3 !== WIRE_VARINT) r.skip(w3);
              else if (f3 === 1) meta.type = r.uint32();
              else if (f3 === 3) meta.help = r.uint32();
              else if (f3 === 4) meta.unit = r.uint32();
              else r.skip(w3);
            }
            item.meta = meta;
          }
          if (r.pos !== e) r.fail('field runs past its message');
        } else {
          r.skip(w2);
        }
      }
      raw.push(item);
    } else {
      r.skip(wt);
    }
  }
  if (raw.length > 0 && symbols[0] !== '') {
    throw new RemoteWriteDecodeError('KSK_RW_SYMBOL_TABLE', 'remote-write 2.0 symbol table must start with the empty string');
  }
  const timeseries = raw.map(({ refs, ts, exemplarRefs, meta }) => {
    ts.labels = refsToLabels(refs, symbols, r);
    ts.exemplars.forEach((ex, i) => (ex.labels = refsToLabels(exemplarRefs[i]!, symbols, r)));
    if (meta !== undefined) ts.metadata = { type: metricType(meta.type), help: symbol(symbols, meta.help, r), unit: symbol(symbols, meta.unit, r) };
    return ts;
  });
  return { timeseries };
}
