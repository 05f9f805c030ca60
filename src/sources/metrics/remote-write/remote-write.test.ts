import { describe, expect, it } from 'vitest';
import { requireConformanceDir } from '../exposition/conformance-dir.js';
import { capturedRequests, compareWithExpected, loadCapturedRequest, runRemoteWriteConformance } from './conformance.js';
import { decodeWriteRequestV1, decodeWriteRequestV2 } from './decode.js';
import { compressWriteRequest, encodeWriteRequestV1, encodeWriteRequestV2, type EncodableSeries } from './encode.js';
import { RemoteWriteDecodeError } from './errors.js';
import { loadReferenceSchema } from './reference-schema.js';
import { decodeRemoteWrite, decompressSnappy, remoteWriteVersionOf } from './request.js';
import type { RwHistogram } from './types.js';

const dir = requireConformanceDir('remote-write captures');
const V1 = { 'content-encoding': 'snappy', 'content-type': 'application/x-protobuf', 'x-prometheus-remote-write-version': '0.1.0' };
const V2 = { 'content-encoding': 'snappy', 'content-type': 'application/x-protobuf;proto=io.prometheus.write.v2.Request', 'x-prometheus-remote-write-version': '2.0.0' };

function post(series: EncodableSeries[]): ReturnType<typeof decodeRemoteWrite> {
  return decodeRemoteWrite(compressWriteRequest(encodeWriteRequestV1({ timeseries: series })), V1);
}

function decodeError(fn: () => unknown): RemoteWriteDecodeError {
  try {
    fn();
  } catch (err) {
    if (err instanceof RemoteWriteDecodeError) return err;
    throw err;
  }
  throw new Error('expected a decode error');
}

describe.skipIf(dir === undefined)('requests captured from Prometheus 2.42', () => {
  it('decode to the provided decodings', () => {
    const r = runRemoteWriteConformance(dir!);
    console.log(`${r.suite}: ${r.passed}/${r.total} passed`);
    expect(r.failures).toEqual([]);
    expect(r.total).toBe(6);
  });

  it('the comparison notices a wrong value, label or metadata entry', () => {
    const { body, headers, expected } = loadCapturedRequest(dir!, 'req01');
    const got = decodeRemoteWrite(body, headers);
    expect(compareWithExpected(got, expected)).toBeUndefined();
    got.timeseries[3]!.samples[0]!.v += 1;
    expect(compareWithExpected(got, expected)).toMatch(/series 3 sample 0/);
    const meta = loadCapturedRequest(dir!, 'req02');
    const m = decodeRemoteWrite(meta.body, meta.headers);
    m.metadata[5]!.help = 'x';
    expect(compareWithExpected(m, meta.expected)).toMatch(/metadata 5/);
  });

  it('agree with protobufjs reading the upstream .proto schema', () => {
    const { v1 } = loadReferenceSchema(dir!);
    for (const name of capturedRequests(dir!)) {
      const raw = decompressSnappy(loadCapturedRequest(dir!, name).body);
      const ref = v1.toObject(v1.decode(raw), { longs: Number, enums: String, defaults: true }) as {
        timeseries: { labels: { name: string; value: string }[]; samples: { value: number; timestamp: number }[] }[];
        metadata: { type: string; metric_family_name: string; help: string; unit: string }[];
      };
      const mine = decodeWriteRequestV1(raw);
      expect(mine.timeseries.map((t) => t.labels)).toEqual(ref.timeseries.map((t) => t.labels.map((l) => [l.name, l.value])));
      expect(mine.timeseries.map((t) => t.samples.map((s) => [s.t, s.v]))).toEqual(ref.timeseries.map((t) => t.samples.map((s) => [s.timestamp, s.value])));
      expect(mine.metadata).toEqual(ref.metadata.map((m) => ({ type: m.type.toLowerCase(), metricFamilyName: m.metric_family_name, help: m.help, unit: m.unit })));
    }
  });

  it('keep every field through a decode → encode → decode round trip', () => {
    for (const name of capturedRequests(dir!)) {
      const { body, headers } = loadCapturedRequest(dir!, name);
      const first = decodeRemoteWrite(body, headers);
      const again = decodeRemoteWrite(compressWriteRequest(encodeWriteRequestV1(first)), headers);
      expect(again).toEqual(first);
    }
  });

  it('RW 2.0 encoding is read back by protobufjs with the upstream v2 schema', () => {
    const { v2 } = loadReferenceSchema(dir!);
    const { body, headers } = loadCapturedRequest(dir!, 'req01');
    const series = decodeRemoteWrite(body, headers).timeseries.slice(0, 20);
    const ref = v2.toObject(v2.decode(encodeWriteRequestV2({ timeseries: series })), { longs: Number }) as {
      symbols: string[];
      timeseries: { labels_refs: number[]; samples: { value: number; timestamp: number }[] }[];
    };
    expect(ref.symbols[0]).toBe('');
    expect(ref.timeseries.map((t) => t.labels_refs.map((r) => ref.symbols[r]))).toEqual(series.map((s) => s.labels.flat()));
    expect(ref.timeseries.map((t) => t.samples.map((s) => s.timestamp))).toEqual(series.map((s) => s.samples.map((x) => x.t)));
  });
});

describe('series validation (per series, the batch survives)', () => {
  const good: EncodableSeries = { labels: [['__name__', 'up'], ['job', 'x']], samples: [{ t: 1, v: 1 }] };
  it.each([
    [[['job', 'x'], ['__name__', 'up']], /not sorted by name/],
    [[['__name__', 'up'], ['job', 'x'], ['job', 'y']], /duplicate label name "job"/],
    [[['job', 'x']], /missing metric name/],
    [[['__name__', '']], /missing metric name/],
    [[['__name__', 'up'], ['a-b', 'x']], /invalid label name "a-b"/],
    [[['__name__', 'up'], ['1a', 'x']], /invalid label name "1a"/],
    [[['', 'x'], ['__name__', 'up']], /empty label name/],
    [[['__name__', 'http.requests']], /invalid metric name "http.requests"/],
  ] as [[string, string][], RegExp][])('%j is rejected', (labels, reason) => {
    const r = post([good, { labels, samples: [{ t: 2, v: 2 }] }, good]);
    expect(r.timeseries).toHaveLength(2);
    expect(r.rejected).toHaveLength(1);
    expect(r.rejected[0]!.index).toBe(1);
    expect(r.rejected[0]!.reason).toMatch(reason);
  });

  it('drops labels with empty values instead of rejecting', () => {
    const r = post([{ labels: [['__name__', 'up'], ['env', ''], ['job', 'x']], samples: [{ t: 5, v: 1 }] }]);
    expect(r.rejected).toEqual([]);
    expect(r.timeseries[0]!.labels).toEqual([['__name__', 'up'], ['job', 'x']]);
  });
});

describe('wire details', () => {
  it('keeps the stale marker apart from an ordinary NaN', () => {
    const r = post([{ labels: [['__name__', 'up']], samples: [{ t: 1, v: NaN, stale: true }, { t: 2, v: NaN }, { t: 3, v: -0.5 }] }]);
    const s = r.timeseries[0]!.samples;
    expect(s[0]!.stale).toBe(true);
    expect(s[0]!.v).toBeNaN();
    expect(s[1]!.stale).toBeUndefined();
    expect(s[1]!.v).toBeNaN();
    expect(s[2]).toEqual({ t: 3, v: -0.5 });
  });

  it('reads negative, zero and large timestamps', () => {
    const ts = [-1, 0, -1700000000000, 2 ** 53 - 1, 1795380364757];
    const r = post([{ labels: [['__name__', 'up']], samples: ts.map((t) => ({ t, v: 1 })) }]);
    expect(r.timeseries[0]!.samples.map((s) => s.t)).toEqual(ts);
  });

  it('round-trips exemplars, metadata and native histograms', () => {
    const h: RwHistogram = {
      t: 1700000000123, count: 12, float: false, sum: 3.5, schema: -2, zeroThreshold: 1e-128, zeroCount: 1,
      negativeSpans: [{ offset: -3, length: 2 }], negativeDeltas: [1, -1], negativeCounts: [],
      positiveSpans: [{ offset: 0, length: 2 }, { offset: 4, length: 1 }], positiveDeltas: [2, 3, -4], positiveCounts: [],
      resetHint: 'no', customValues: [],
    };
    const req = {
      timeseries: [{ labels: [['__name__', 'lat']] as [string, string][], samples: [], exemplars: [{ labels: [['trace_id', 'abc']] as [string, string][], value: 0.2, t: 99 }], histograms: [h] }],
      metadata: [{ type: 'histogram' as const, metricFamilyName: 'lat', help: 'Latency ✓', unit: 'seconds' }],
    };
    const r = decodeRemoteWrite(compressWriteRequest(encodeWriteRequestV1(req)), V1);
    expect(r.timeseries[0]!.histograms).toEqual([h]);
    expect(r.timeseries[0]!.exemplars).toEqual(req.timeseries[0]!.exemplars);
    expect(r.metadata).toEqual(req.metadata);
  });

  it('decodes RW 2.0 with its symbol table and per-series metadata', () => {
    const series: EncodableSeries[] = [
      { labels: [['__name__', 'up'], ['job', 'a']], samples: [{ t: 10, v: 1, start: 5 }], metadata: { type: 'gauge', help: 'Up', unit: '' } },
      { labels: [['__name__', 'up'], ['job', 'b']], samples: [{ t: 10, v: 0 }] },
    ];
    const r = decodeRemoteWrite(compressWriteRequest(encodeWriteRequestV2({ timeseries: series })), V2);
    expect(r.version).toBe('2.0');
    expect(r.rejected).toEqual([]);
    expect(r.timeseries.map((t) => t.labels)).toEqual(series.map((s) => s.labels));
    expect(r.timeseries[0]!.samples).toEqual([{ t: 10, v: 1, start: 5 }]);
    expect(r.timeseries[0]!.metadata).toEqual({ type: 'gauge', help: 'Up', unit: '' });
  });

  it('refuses RW 2.0 references outside the symbol table', () => {
    const raw = encodeWriteRequestV2({ timeseries: [{ labels: [['__name__', 'up']], samples: [{ t: 1, v: 1 }] }] });
    // Drop the last symbol ("up"): the series still refers to it.
    const cut = decodeWriteRequestV2Safe(raw);
    expect(cut).toMatch(/symbol/);
  });

  it('rejects broken bodies and wrong headers with a decode error', () => {
    const good = compressWriteRequest(encodeWriteRequestV1({ timeseries: [{ labels: [['__name__', 'up']], samples: [{ t: 1, v: 1 }] }] }));
    expect(decodeError(() => decodeRemoteWrite(good.subarray(0, good.length - 3), V1)).code).toBe('KSK_RW_SNAPPY_INVALID');
    expect(decodeError(() => decodeRemoteWrite(good, { ...V1, 'content-encoding': 'gzip' })).code).toBe('KSK_RW_CONTENT_ENCODING');
    expect(decodeError(() => decodeRemoteWrite(good, { ...V1, 'content-type': 'application/json' })).code).toBe('KSK_RW_CONTENT_TYPE');
    expect(decodeError(() => decodeRemoteWrite(good, { ...V1, 'content-type': 'application/x-protobuf;proto=foo.Bar' })).code).toBe('KSK_RW_CONTENT_TYPE');
    const garbage = compressWriteRequest(new Uint8Array([0x0a, 0x50, 0x01, 0x02]));
    expect(decodeError(() => decodeRemoteWrite(garbage, V1)).message).toMatch(/runs past the end/);
    expect(decodeError(() => decodeRemoteWrite(good, V1, { maxDecompressedBytes: 4 })).message).toMatch(/too big/);
  });

  it('maps Content-Type to a protocol version', () => {
    expect(remoteWriteVersionOf('application/x-protobuf')).toBe('1.0');
    expect(remoteWriteVersionOf(undefined)).toBe('1.0');
    expect(remoteWriteVersionOf('application/x-protobuf; proto=prometheus.WriteRequest')).toBe('1.0');
    expect(remoteWriteVersionOf('application/x-protobuf;proto=io.prometheus.write.v2.Request')).toBe('2.0');
  });
});

/** Re-encodes a v2 request without its last symbol and returns the decode error message. */
function decodeWriteRequestV2Safe(raw: Uint8Array): string {
  // Symbols are field 4 (tag 0x22) and come first in our encoding: find the last one and cut it.
  let pos = 0;
  let lastStart = -1;
  let lastEnd = -1;
  while (pos < raw.length && raw[pos] === 0x22) {
    const len = raw[pos + 1]!;
    lastStart = pos;
    lastEnd = pos + 2 + len;
    pos = lastEnd;
  }
  const cut = new Uint8Array(raw.length - (lastEnd - lastStart));
  cut.set(raw.subarray(0, lastStart));
  cut.set(raw.subarray(lastEnd), lastStart);
  try {
    decodeWriteRequestV2(cut);
    return 'decoded';
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}
