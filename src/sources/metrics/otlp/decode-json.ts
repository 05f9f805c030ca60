import { attributeString } from './decode-protobuf.js';
import { OtlpDecodeError } from './errors.js';
import type { Attribute, OtlpMetric, OtlpMetricKind, OtlpMetricsRequest, OtlpPoint, Temporality } from './model.js';

/*
 * OTLP/JSON (the protobuf JSON mapping with lowerCamelCase keys, 64-bit integers as strings
 * or numbers, enums as integers). Walked by hand rather than with a zod schema: bodies hold
 * thousands of points and the walk builds the model in the same pass. Unknown fields are
 * ignored, as the OTLP spec requires of receivers. Errors name the JSON path.
 */

type Obj = Record<string, unknown>;

function fail(path: string, expected: string): never {
  throw new OtlpDecodeError('KSK_OTLP_JSON_INVALID', `OTLP/JSON metrics: ${path} must be ${expected}`);
}

function obj(v: unknown, path: string): Obj {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) fail(path, 'an object');
  return v as Obj;
}

function arr(v: unknown, path: string): unknown[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) fail(path, 'an array');
  return v;
}

function str(v: unknown, path: string): string {
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') fail(path, 'a string');
  return v;
}

/** A double: a JSON number or one of the strings "NaN", "Infinity", "-Infinity". */
function dbl(v: unknown, path: string): number {
  if (typeof v === 'number') return v;
  if (v === 'NaN') return NaN;
  if (v === 'Infinity') return Infinity;
  if (v === '-Infinity') return -Infinity;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return fail(path, 'a number');
}

/** A 64-bit integer: a JSON number or a decimal string. */
function int64(v: unknown, path: string): number {
  if (v === undefined || v === null) return 0;
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'string' && /^-?\d+$/.test(v)) return Number(v);
  return fail(path, 'an integer (number or decimal string)');
}

function nanosToMs(v: unknown, path: string): number {
  if (v === undefined || v === null) return 0;
  if (typeof v === 'string' && /^\d+$/.test(v)) return Number(BigInt(v) / 1000000n);
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return Math.floor(v / 1e6);
  return fail(path, 'nanoseconds since the epoch (a decimal string)');
}

type Json = string | number | boolean | null | Json[] | { [k: string]: Json };

function anyValue(v: unknown, path: string): Json {
  const o = obj(v, path);
  if ('stringValue' in o) return str(o.stringValue, `${path}.stringValue`);
  if ('boolValue' in o) return o.boolValue === true;
  if ('intValue' in o) return int64(o.intValue, `${path}.intValue`);
  if ('doubleValue' in o) return dbl(o.doubleValue, `${path}.doubleValue`);
  if ('arrayValue' in o) return arr(obj(o.arrayValue, `${path}.arrayValue`).values, `${path}.arrayValue.values`).map((x, i) => anyValue(x, `${path}.arrayValue.values[${i}]`));
  if ('kvlistValue' in o) {
    const out: { [k: string]: Json } = {};
    arr(obj(o.kvlistValue, `${path}.kvlistValue`).values, `${path}.kvlistValue.values`).forEach((kv, i) => {
      const p = obj(kv, `${path}.kvlistValue.values[${i}]`);
      out[str(p.key, `${path}.kvlistValue.values[${i}].key`)] = anyValue(p.value, `${path}.kvlistValue.values[${i}].value`);
    });
    return out;
  }
  if ('bytesValue' in o) return str(o.bytesValue, `${path}.bytesValue`);
  return '';
}

function attributes(v: unknown, path: string): Attribute[] {
  return arr(v, path).map((kv, i) => {
    const o = obj(kv, `${path}[${i}]`);
    return [str(o.key, `${path}[${i}].key`), attributeString(anyValue(o.value, `${path}[${i}].value`))];
  });
}

function point(v: unknown, path: string, kind: OtlpMetricKind): OtlpPoint {
  const o = obj(v, path);
  const p: OtlpPoint = {
    attributes: attributes(o.attributes, `${path}.attributes`),
    timeMs: nanosToMs(o.timeUnixNano, `${path}.timeUnixNano`),
    flags: int64(o.flags, `${path}.flags`),
  };
  if (kind === 'gauge' || kind === 'sum') {
    if (o.asDouble !== undefined) p.value = dbl(o.asDouble, `${path}.asDouble`);
    else if (o.asInt !== undefined) p.value = int64(o.asInt, `${path}.asInt`);
  } else if (kind === 'histogram') {
    p.count = int64(o.count, `${path}.count`);
    if (o.sum !== undefined && o.sum !== null) p.sum = dbl(o.sum, `${path}.sum`);
    p.bucketCounts = arr(o.bucketCounts, `${path}.bucketCounts`).map((c, i) => int64(c, `${path}.bucketCounts[${i}]`));
    p.explicitBounds = arr(o.explicitBounds, `${path}.explicitBounds`).map((b, i) => dbl(b, `${path}.explicitBounds[${i}]`));
  } else if (kind === 'summary') {
    p.count = int64(o.count, `${path}.count`);
    p.sum = o.sum === undefined ? 0 : dbl(o.sum, `${path}.sum`);
    p.quantiles = arr(o.quantileValues, `${path}.quantileValues`).map((q, i) => {
      const qo = obj(q, `${path}.quantileValues[${i}]`);
      return [qo.quantile === undefined ? 0 : dbl(qo.quantile, `${path}.quantileValues[${i}].quantile`), qo.value === undefined ? 0 : dbl(qo.value, `${path}.quantileValues[${i}].value`)];
    });
  } else {
    p.count = int64(o.count, `${path}.count`);
  }
  return p;
}

const KINDS: OtlpMetricKind[] = ['gauge', 'sum', 'histogram', 'exponentialHistogram', 'summary'];

function metric(v: unknown, path: string): OtlpMetric {
  const o = obj(v, path);
  const m: OtlpMetric = {
    name: str(o.name, `${path}.name`),
    description: str(o.description, `${path}.description`),
    unit: str(o.unit, `${path}.unit`),
    kind: 'empty',
    monotonic: false,
    temporality: 0,
    points: [],
  };
  for (const kind of KINDS) {
    if (o[kind] === undefined || o[kind] === null) continue;
    const data = obj(o[kind], `${path}.${kind}`);
    m.kind = kind;
    m.points = arr(data.dataPoints, `${path}.${kind}.dataPoints`).map((p, i) => point(p, `${path}.${kind}.dataPoints[${i}]`, kind));
    m.temporality = (int64(data.aggregationTemporality, `${path}.${kind}.aggregationTemporality`) & 3) as Temporality;
    m.monotonic = data.isMonotonic === true;
    break;
  }
  return m;
}

/** Reads an OTLP/JSON ExportMetricsServiceRequest (already parsed, or as text/bytes). */
export function decodeOtlpMetricsJson(body: string | Uint8Array | object): OtlpMetricsRequest {
  let root: unknown = body;
  if (typeof body === 'string' || body instanceof Uint8Array) {
    const text = typeof body === 'string' ? body : new TextDecoder().decode(body);
    try {
      root = JSON.parse(text);
    } catch (err) {
      throw new OtlpDecodeError('KSK_OTLP_JSON_INVALID', `OTLP/JSON metrics body is not JSON: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
  }
  const o = obj(root, '$');
  return {
    resourceMetrics: arr(o.resourceMetrics, 'resourceMetrics').map((rmv, i) => {
      const rm = obj(rmv, `resourceMetrics[${i}]`);
      return {
        resource: attributes(obj(rm.resource, `resourceMetrics[${i}].resource`).attributes, `resourceMetrics[${i}].resource.attributes`),
        scopes: arr(rm.scopeMetrics, `resourceMetrics[${i}].scopeMetrics`).map((smv, j) => {
          const path = `resourceMetrics[${i}].scopeMetrics[${j}]`;
          const sm = obj(smv, path);
          const sc = obj(sm.scope, `${path}.scope`);
          return {
            name: str(sc.name, `${path}.scope.name`),
            version: str(sc.version, `${path}.scope.version`),
            attributes: attributes(sc.attributes, `${path}.scope.attributes`),
            metrics: arr(sm.metrics, `${path}.metrics`).map((m, k) => metric(m, `${path}.metrics[${k}]`)),
          };
        }),
      };
    }),
  };
}
