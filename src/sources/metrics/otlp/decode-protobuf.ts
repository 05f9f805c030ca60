import { ProtoReader, WIRE_FIXED64, WIRE_LEN, WIRE_VARINT } from '../remote-write/proto-reader.js';
import type { Attribute, OtlpMetric, OtlpMetricKind, OtlpMetricsRequest, OtlpPoint, OtlpResourceMetrics, OtlpScope, Temporality } from './model.js';

/*
 * ExportMetricsServiceRequest (opentelemetry-proto, collector/metrics/v1 + metrics/v1 +
 * common/v1 + resource/v1) read with the same hand-written wire reader as remote-write.
 * Unknown fields are skipped; exemplars are not read (Prometheus drops them too by default).
 */

type Json = string | number | boolean | null | Json[] | { [k: string]: Json };

function anyValue(r: ProtoReader, end: number): Json {
  let v: Json = '';
  while (r.pos < end) {
    const tag = r.uint32();
    const f = tag >>> 3;
    const wt = tag & 7;
    if (f === 1 && wt === WIRE_LEN) v = r.string();
    else if (f === 2 && wt === WIRE_VARINT) v = r.uint32() !== 0;
    else if (f === 3 && wt === WIRE_VARINT) v = r.int64();
    else if (f === 4 && wt === WIRE_FIXED64) v = r.double();
    else if (f === 5 && wt === WIRE_LEN) {
      const e = r.lenEnd();
      const arr: Json[] = [];
      while (r.pos < e) {
        const t = r.uint32();
        if (t === ((1 << 3) | WIRE_LEN)) arr.push(anyValue(r, r.lenEnd()));
        else r.skip(t & 7);
      }
      v = arr;
    } else if (f === 6 && wt === WIRE_LEN) {
      const e = r.lenEnd();
      const obj: { [k: string]: Json } = {};
      while (r.pos < e) {
        const t = r.uint32();
        if (t === ((1 << 3) | WIRE_LEN)) {
          const [k, val] = keyValue(r, r.lenEnd());
          obj[k] = val;
        } else r.skip(t & 7);
      }
      v = obj;
    } else if (f === 7 && wt === WIRE_LEN) v = Buffer.from(r.bytes()).toString('base64');
    else r.skip(wt);
  }
  return v;
}

function keyValue(r: ProtoReader, end: number): [string, Json] {
  let key = '';
  let value: Json = '';
  while (r.pos < end) {
    const tag = r.uint32();
    if (tag === ((1 << 3) | WIRE_LEN)) key = r.string();
    else if (tag === ((2 << 3) | WIRE_LEN)) value = anyValue(r, r.lenEnd());
    else r.skip(tag & 7);
  }
  return [key, value];
}

/** Attribute values become label values: strings as they are, anything else as JSON text. */
export function attributeString(v: Json): string {
  return typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : JSON.stringify(v);
}

function attribute(r: ProtoReader, end: number): Attribute {
  const [k, v] = keyValue(r, end);
  return [k, attributeString(v)];
}

/** Fields shared by the point messages; numbers are the field numbers in each message. */
interface PointLayout {
  attributes: number;
}
const NUMBER: PointLayout = { attributes: 7 };
const HISTOGRAM: PointLayout = { attributes: 9 };
const SUMMARY: PointLayout = { attributes: 7 };
const EXP_HISTOGRAM: PointLayout = { attributes: 1 };

function point(r: ProtoReader, end: number, kind: OtlpMetricKind, layout: PointLayout): OtlpPoint {
  const p: OtlpPoint = { attributes: [], timeMs: 0, flags: 0 };
  while (r.pos < end) {
    const tag = r.uint32();
    const f = tag >>> 3;
    const wt = tag & 7;
    if (f === layout.attributes && wt === WIRE_LEN) {
      p.attributes.push(attribute(r, r.lenEnd()));
    } else if (f === 3 && wt === WIRE_FIXED64) {
      p.timeMs = r.fixed64NanosToMs();
    } else if (kind === 'gauge' || kind === 'sum') {
      if (f === 4 && wt === WIRE_FIXED64) p.value = r.double();
      else if (f === 6 && wt === WIRE_FIXED64) p.value = r.sfixed64();
      else if (f === 8 && wt === WIRE_VARINT) p.flags = r.uint32();
      else r.skip(wt);
    } else if (kind === 'histogram') {
      if (f === 4 && wt === WIRE_FIXED64) p.count = r.fixed64();
      else if (f === 5 && wt === WIRE_FIXED64) p.sum = r.double();
      else if (f === 6) {
        const counts = (p.bucketCounts ??= []);
        r.repeated(wt, WIRE_FIXED64, () => counts.push(r.fixed64()));
      } else if (f === 7) {
        const bounds = (p.explicitBounds ??= []);
        r.repeated(wt, WIRE_FIXED64, () => bounds.push(r.double()));
      } else if (f === 10 && wt === WIRE_VARINT) p.flags = r.uint32();
      else r.skip(wt);
    } else if (kind === 'summary') {
      if (f === 4 && wt === WIRE_FIXED64) p.count = r.fixed64();
      else if (f === 5 && wt === WIRE_FIXED64) p.sum = r.double();
      else if (f === 6 && wt === WIRE_LEN) {
        const e = r.lenEnd();
        let q = 0;
        let v = 0;
        while (r.pos < e) {
          const t = r.uint32();
          if (t === ((1 << 3) | WIRE_FIXED64)) q = r.double();
          else if (t === ((2 << 3) | WIRE_FIXED64)) v = r.double();
          else r.skip(t & 7);
        }
        (p.quantiles ??= []).push([q, v]);
      } else if (f === 8 && wt === WIRE_VARINT) p.flags = r.uint32();
      else r.skip(wt);
    } else {
      if (f === 4 && wt === WIRE_FIXED64) p.count = r.fixed64();
      else if (f === 10 && wt === WIRE_VARINT) p.flags = r.uint32();
      else r.skip(wt);
    }
  }
  return p;
}

const KIND_BY_FIELD: Record<number, [OtlpMetricKind, PointLayout]> = {
  5: ['gauge', NUMBER],
  7: ['sum', NUMBER],
  9: ['histogram', HISTOGRAM],
  10: ['exponentialHistogram', EXP_HISTOGRAM],
  11: ['summary', SUMMARY],
};

function metric(r: ProtoReader, end: number): OtlpMetric {
  const m: OtlpMetric = { name: '', description: '', unit: '', kind: 'empty', monotonic: false, temporality: 0, points: [] };
  while (r.pos < end) {
    const tag = r.uint32();
    const f = tag >>> 3;
    const wt = tag & 7;
    if (f === 1 && wt === WIRE_LEN) m.name = r.string();
    else if (f === 2 && wt === WIRE_LEN) m.description = r.string();
    else if (f === 3 && wt === WIRE_LEN) m.unit = r.string();
    else if (KIND_BY_FIELD[f] !== undefined && wt === WIRE_LEN) {
      const [kind, layout] = KIND_BY_FIELD[f];
      m.kind = kind;
      const e = r.lenEnd();
      while (r.pos < e) {
        const t = r.uint32();
        const f2 = t >>> 3;
        const w2 = t & 7;
        if (f2 === 1 && w2 === WIRE_LEN) m.points.push(point(r, r.lenEnd(), kind, layout));
        else if (f2 === 2 && w2 === WIRE_VARINT && kind !== 'gauge' && kind !== 'summary') m.temporality = (r.uint32() & 3) as Temporality;
        else if (f2 === 3 && w2 === WIRE_VARINT && kind === 'sum') m.monotonic = r.uint32() !== 0;
        else r.skip(w2);
      }
    } else r.skip(wt);
  }
  return m;
}

function scope(r: ProtoReader, end: number): OtlpScope {
  const s: OtlpScope = { name: '', version: '', attributes: [], metrics: [] };
  while (r.pos < end) {
    const tag = r.uint32();
    const f = tag >>> 3;
    const wt = tag & 7;
    if (f === 1 && wt === WIRE_LEN) {
      const e = r.lenEnd();
      while (r.pos < e) {
        const t = r.uint32();
        if (t === ((1 << 3) | WIRE_LEN)) s.name = r.string();
        else if (t === ((2 << 3) | WIRE_LEN)) s.version = r.string();
        else if (t === ((3 << 3) | WIRE_LEN)) s.attributes.push(attribute(r, r.lenEnd()));
        else r.skip(t & 7);
      }
    } else if (f === 2 && wt === WIRE_LEN) s.metrics.push(metric(r, r.lenEnd()));
    else r.skip(wt);
  }
  return s;
}

function resourceMetrics(r: ProtoReader, end: number): OtlpResourceMetrics {
  const rm: OtlpResourceMetrics = { resource: [], scopes: [] };
  while (r.pos < end) {
    const tag = r.uint32();
    const f = tag >>> 3;
    const wt = tag & 7;
    if (f === 1 && wt === WIRE_LEN) {
      const e = r.lenEnd();
      while (r.pos < e) {
        const t = r.uint32();
        if (t === ((1 << 3) | WIRE_LEN)) rm.resource.push(attribute(r, r.lenEnd()));
        else r.skip(t & 7);
      }
    } else if (f === 2 && wt === WIRE_LEN) rm.scopes.push(scope(r, r.lenEnd()));
    else r.skip(wt);
  }
  return rm;
}

/** Decodes an uncompressed ExportMetricsServiceRequest. Throws RemoteWriteDecodeError-style errors on bad wire data. */
export function decodeOtlpMetricsProtobuf(buf: Uint8Array): OtlpMetricsRequest {
  const r = new ProtoReader(buf);
  const out: OtlpMetricsRequest = { resourceMetrics: [] };
  while (r.pos < r.end) {
    const tag = r.uint32();
    if (tag === ((1 << 3) | WIRE_LEN)) out.resourceMetrics.push(resourceMetrics(r, r.lenEnd()));
    else r.skip(tag & 7);
  }
  return out;
}
