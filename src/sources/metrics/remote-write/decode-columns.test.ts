import { describe, expect, it } from 'vitest';
import { requireConformanceDir } from '../exposition/conformance-dir.js';
import { capturedRequests, loadCapturedRequest } from './conformance.js';
import { decodeWriteRequestV1 } from './decode.js';
import { decodeWriteRequestV1Columns, isStaleAt, toColumns, type KnownSeries, type RwColumns } from './decode-columns.js';
import { compressWriteRequest, encodeWriteRequestV1, encodeWriteRequestV2, type EncodableSeries } from './encode.js';
import { RemoteWriteDecodeError } from './errors.js';
import { decodeRemoteWriteColumns, decompressSnappy } from './request.js';

const dir = requireConformanceDir('remote-write captures');
const V1 = { 'content-encoding': 'snappy', 'content-type': 'application/x-protobuf' };
const V2 = { 'content-encoding': 'snappy', 'content-type': 'application/x-protobuf;proto=io.prometheus.write.v2.Request' };

/** Series as plain data with each value's exact bits, to compare two decodings. */
function plain(c: RwColumns) {
  const bits = new Uint32Array(c.v.buffer, c.v.byteOffset, c.v.length * 2);
  return c.series.map((s) => ({
    labels: s.labels,
    histograms: s.histograms,
    rows: Array.from({ length: s.end - s.start }, (_, k) => [c.t[s.start + k], bits[2 * (s.start + k)], bits[2 * (s.start + k) + 1]]),
  }));
}

const raw = (series: EncodableSeries[]) => decompressSnappy(compressWriteRequest(encodeWriteRequestV1({ timeseries: series })));

describe.skipIf(dir === undefined)('columnar decoding of requests captured from Prometheus 2.42', () => {
  it('gives the same series, samples (to the bit) and metadata as the object decoder', () => {
    let samples = 0;
    for (const name of capturedRequests(dir!)) {
      const bytes = decompressSnappy(loadCapturedRequest(dir!, name).body);
      const objects = decodeWriteRequestV1(bytes);
      const cols = decodeWriteRequestV1Columns(bytes);
      expect(plain(cols)).toEqual(plain(toColumns(objects.timeseries, [])));
      expect(cols.metadata).toEqual(objects.metadata);
      samples += cols.t.length;
    }
    expect(samples).toBeGreaterThan(100);
  });
});

describe('columnar decoding', () => {
  it('keeps the stale marker apart from an ordinary NaN and from other values', () => {
    const c = decodeWriteRequestV1Columns(raw([{ labels: [['__name__', 'm']], samples: [{ t: 1, v: NaN, stale: true }, { t: 2, v: NaN }, { t: 3, v: -0 }, { t: -5, v: 1.5 }] }]));
    const bits = new Uint32Array(c.v.buffer);
    expect([0, 1, 2, 3].map((i) => isStaleAt(bits, i))).toEqual([true, false, false, false]);
    expect([...c.t]).toEqual([1, 2, 3, -5]);
    expect(Object.is(c.v[2], -0)).toBe(true);
    expect(c.v[3]).toBe(1.5);
  });

  it('reads every timestamp width and value the same as the object decoder (the common field order has its own fast path)', () => {
    const times = [1, 127, 128, 16_383, 16_384, 1_700_000_000_000, 1_799_999_999_999, 2 ** 49 - 1, 2 ** 53 - 1, 2 ** 53 + 2, 2 ** 55 + 8, 2 ** 56, 2 ** 60, -1, -1_700_000_000_000, 0];
    const values = [0, 1.5, -0, NaN, Infinity, -Infinity, 5e-324, 1e308];
    const samples = times.flatMap((t, i) => [{ t, v: values[i % values.length]! }, { t, v: NaN, stale: true as const }]);
    const bytes = raw([{ labels: [['__name__', 'widths']], samples }]);
    expect(plain(decodeWriteRequestV1Columns(bytes))).toEqual(plain(toColumns(decodeWriteRequestV1(bytes).timeseries, [])));
    // Fields in the other order, and a timestamp sent twice (the last one counts), take the general path.
    const sample = (bytesOf: number[]) => Uint8Array.from([0x0a, 7 + bytesOf.length, 0x0a, 0x03, 0x0a, 0x01, 0x78, 0x12, bytesOf.length, ...bytesOf]);
    const one = [0, 0, 0, 0, 0, 0, 0xf8, 0x3f]; // 1.5
    const reordered = decodeWriteRequestV1Columns(sample([0x10, 0x07, 0x09, ...one]));
    expect([reordered.t[0], reordered.v[0]]).toEqual([7, 1.5]);
    const twice = decodeWriteRequestV1Columns(sample([0x09, ...one, 0x10, 0x07, 0x10, 0x08]));
    expect([twice.t[0], twice.v[0]]).toEqual([8, 1.5]);
  });

  it('gives equal label sets equal keys and different ones different keys', () => {
    const c = decodeWriteRequestV1Columns(
      raw([
        { labels: [['__name__', 'a'], ['job', 'x']], samples: [{ t: 1, v: 1 }] },
        { labels: [['__name__', 'a'], ['job', 'y']], samples: [{ t: 1, v: 1 }] },
        { labels: [['__name__', 'a'], ['job', 'x']], samples: [{ t: 2, v: 1 }] },
      ]),
    );
    const [a, b, again] = c.series.map((s) => s.key);
    expect(a).toBeDefined();
    expect(again).toBe(a);
    expect(b).not.toBe(a);
  });

  it('takes the labels of a series the caller already knows from it, by the label bytes, without decoding them', () => {
    const req = raw([
      { labels: [['__name__', 'a'], ['job', 'x']], samples: [{ t: 1, v: 1 }] },
      { labels: [['__name__', 'b']], samples: [{ t: 2, v: 2 }] },
    ]);
    const first = decodeWriteRequestV1Columns(req);
    const knownA: KnownSeries = { pairs: [['__name__', 'a'], ['job', 'x']], key: first.series[0]!.key!, wire: undefined, next: undefined };
    const asked: string[] = [];
    const again = decodeWriteRequestV1Columns(req, (key) => {
      asked.push(key);
      return key === first.series[0]!.key ? knownA : undefined;
    });
    expect(asked).toEqual([first.series[0]!.key, first.series[1]!.key]);
    expect(again.series[0]!.known).toBe(knownA);
    expect(again.series[0]!.labels).toBe(knownA.pairs);
    expect(again.series[1]!.known).toBeUndefined();
    expect(again.series[1]!.labels).toEqual([['__name__', 'b']]);
    expect(plain(again)).toEqual(plain(first));
    // Known series skip validation; unknown ones are still validated.
    const d = decodeRemoteWriteColumns(compressWriteRequest(encodeWriteRequestV1({ timeseries: [{ labels: [['__name__', 'a'], ['job', 'x']], samples: [{ t: 1, v: 1 }] }, { labels: [['b-ad', 'x']], samples: [] }] })), V1, {}, () => undefined);
    expect(d.rejected.map((r) => r.reason)).toEqual(['invalid label name "b-ad"']);
  });

  it('recognises the series that followed a known one last time by its bytes, without asking, and asks when they differ', () => {
    const labelsOf = (name: string, extra: [string, string][] = []): [string, string][] => [['__name__', name], ['job', 'x'], ...extra];
    const firstReq = raw([1, 2, 3].map((i) => ({ labels: labelsOf(`m${i}`), samples: [{ t: i, v: i }] })));
    const keys = decodeWriteRequestV1Columns(firstReq).series.map((s) => s.key!);
    const known: KnownSeries[] = keys.map((key, i) => {
      const b = Buffer.from(key, 'latin1');
      return { pairs: labelsOf(`m${i + 1}`), key, wire: new DataView(b.buffer, b.byteOffset, b.byteLength), next: undefined };
    });
    known[0]!.next = known[1];
    known[1]!.next = known[2];
    const asked: string[] = [];
    const lookup = (key: string) => {
      asked.push(key);
      return known.find((k) => k.key === key);
    };
    const same = decodeWriteRequestV1Columns(firstReq, lookup);
    expect(asked).toEqual([keys[0]]); // only the first series of the request is looked up
    expect(same.series.map((s) => s.known)).toEqual(known);
    expect(same.series.map((s) => s.key)).toEqual(keys);
    expect(plain(same)).toEqual(plain(decodeWriteRequestV1Columns(firstReq)));

    // The series after m1 is now a different one (same length, one byte apart), then m3 with
    // an extra label; a prediction must never take either for the series it expected.
    asked.length = 0;
    const changed = raw([
      { labels: labelsOf('m1'), samples: [{ t: 5, v: 5 }] },
      { labels: labelsOf('m9'), samples: [{ t: 5, v: 5 }] },
      { labels: labelsOf('m2'), samples: [{ t: 5, v: 5 }] },
      { labels: labelsOf('m3', [['zone', 'a']]), samples: [{ t: 5, v: 5 }] },
    ]);
    const c = decodeWriteRequestV1Columns(changed, lookup);
    expect(c.series.map((s) => s.known)).toEqual([known[0], undefined, known[1], undefined]);
    // m1 (first); m9 (its guess m2 refused); m2 (after an unknown series nothing is guessed); m3+zone (its guess m3 refused)
    expect(asked).toHaveLength(4);
    expect(plain(c)).toEqual(plain(decodeWriteRequestV1Columns(changed)));

    // A series whose bytes were withdrawn (forgotten by the caller) is found only by asking.
    known[1]!.wire = undefined;
    asked.length = 0;
    decodeWriteRequestV1Columns(firstReq, lookup);
    expect(asked).toEqual([keys[0], keys[1]]);
  });

  it('grows past its scratch size and copies the result out (a later decode does not change it)', () => {
    const samples = Array.from({ length: 10_000 }, (_, i) => ({ t: i, v: i * 2 }));
    const first = decodeWriteRequestV1Columns(raw([{ labels: [['__name__', 'big']], samples }]));
    decodeWriteRequestV1Columns(raw([{ labels: [['__name__', 'other']], samples: [{ t: 7, v: 7 }] }]));
    expect(first.t.length).toBe(10_000);
    expect(first.t[9_999]).toBe(9_999);
    expect(first.v[0]).toBe(0);
    expect(first.v[9_999]).toBe(19_998);
  });

  it('refuses truncated and malformed bodies with a decode error', () => {
    const good = raw([{ labels: [['__name__', 'm']], samples: [{ t: 1, v: 1 }] }]);
    for (const bad of [good.subarray(0, good.length - 3), Uint8Array.from([0x0a, 0x05, 0x12, 0x09, 0x09, 0, 0])]) {
      expect(() => decodeWriteRequestV1Columns(bad)).toThrow(RemoteWriteDecodeError);
    }
  });

  it('validates series, counting the samples of refused ones, and forgets the key when empty labels were dropped', () => {
    const body = compressWriteRequest(
      encodeWriteRequestV1({
        timeseries: [
          { labels: [['__name__', 'ok'], ['empty', ''], ['job', 'a']], samples: [{ t: 1, v: 1 }] },
          { labels: [['__name__', 'bad'], ['bad-name', 'x']], samples: [{ t: 1, v: 1 }, { t: 2, v: 2 }] },
          { labels: [['__name__', 'ok2']], samples: [{ t: 3, v: 3 }] },
        ],
      }),
    );
    const d = decodeRemoteWriteColumns(body, V1);
    expect(d.version).toBe('1.0');
    expect(d.series.map((s) => s.labels)).toEqual([[['__name__', 'ok'], ['job', 'a']], [['__name__', 'ok2']]]);
    expect(d.series[0]!.key).toBeUndefined();
    expect(d.series[1]!.key).toBeDefined();
    expect(d.rejected).toEqual([{ index: 1, labels: [['__name__', 'bad'], ['bad-name', 'x']], reason: 'invalid label name "bad-name"', samples: 2 }]);
    expect(d.t[d.series[1]!.start]).toBe(3);
  });

  it('decodes remote-write 2.0 into the same columns', () => {
    const series: EncodableSeries[] = [{ labels: [['__name__', 'v2'], ['job', 'a']], samples: [{ t: 10, v: 1 }, { t: 20, v: NaN, stale: true }] }];
    const d = decodeRemoteWriteColumns(compressWriteRequest(encodeWriteRequestV2({ timeseries: series })), V2);
    expect(d.version).toBe('2.0');
    expect(d.series.map((s) => s.labels)).toEqual([series[0]!.labels]);
    expect([...d.t]).toEqual([10, 20]);
    expect(isStaleAt(new Uint32Array(d.v.buffer), 1)).toBe(true);
  });
});
