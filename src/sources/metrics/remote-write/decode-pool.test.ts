import { afterAll, describe, expect, it } from 'vitest';
import type { KnownSeries, RwColumns } from './decode-columns.js';
import { RemoteWriteDecodePool } from './decode-pool.js';
import { labelsOfKey } from './decode-transfer.js';
import { compressWriteRequest, encodeWriteRequestV1, encodeWriteRequestV2, type EncodableSeries } from './encode.js';
import { RemoteWriteDecodeError } from './errors.js';
import { decodeRemoteWriteColumns } from './request.js';

const V1 = { 'content-encoding': 'snappy', 'content-type': 'application/x-protobuf' };
const V2 = { 'content-encoding': 'snappy', 'content-type': 'application/x-protobuf;proto=io.prometheus.write.v2.Request' };
const MAX = 64 * 1024 * 1024;
const STALE = new Float64Array(new Uint32Array([2, 0x7ff00000]).buffer)[0]!;

/** Series as plain data with each value's exact bits. */
function plain(c: RwColumns) {
  const bits = new Uint32Array(c.v.buffer, c.v.byteOffset, c.v.length * 2);
  return c.series.map((s) => ({
    labels: s.labels,
    key: s.key,
    histograms: s.histograms,
    rows: Array.from({ length: s.end - s.start }, (_, k) => [c.t[s.start + k], bits[2 * (s.start + k)], bits[2 * (s.start + k) + 1]]),
  }));
}

function series(i: number, t0: number): EncodableSeries {
  return {
    labels: [['__name__', 'pool_test_total'], ['instance', `i-${i}`], ['job', 'pool']],
    samples: [
      { t: t0, v: i * 1.5 },
      { t: t0 + 15_000, v: i === 0 ? STALE : -0 },
    ],
  };
}

const body = (t0: number, extra: EncodableSeries[] = []) => compressWriteRequest(encodeWriteRequestV1({ timeseries: [...Array.from({ length: 5 }, (_, i) => series(i, t0)), ...extra] }));

describe('remote-write decoding on a worker thread', () => {
  const pool = new RemoteWriteDecodePool({ threads: 1 });
  afterAll(async () => {
    // Every body above was decoded on the worker (none fell back to the test's thread).
    expect(pool.decoded.inline).toBe(0);
    expect(pool.decoded.worker).toBeGreaterThanOrEqual(5);
    await pool.close();
  });

  it('runs a worker', () => {
    expect(pool.threads).toBe(1);
  });

  it('gives what inline decoding gives, for new series, series the main thread knows, and series it forgot', async () => {
    const first = await pool.decode(body(1_000), V1, MAX);
    expect(plain(first)).toEqual(plain(decodeRemoteWriteColumns(body(1_000), V1)));
    // The second time the worker sends keys only: labels come from the caller's table …
    const table = new Map<string, KnownSeries>(first.series.slice(0, 3).map((s) => [s.key!, { pairs: s.labels, key: s.key!, wire: undefined, next: undefined }]));
    const second = await pool.decode(body(60_000), V1, MAX, (k) => table.get(k));
    expect(plain(second)).toEqual(plain(decodeRemoteWriteColumns(body(60_000), V1)));
    expect(second.series.map((s) => s.known !== undefined)).toEqual([true, true, true, false, false]);
    // … or, for the ones it does not know, from the key's bytes.
    expect(second.series[4]!.labels).toEqual([['__name__', 'pool_test_total'], ['instance', 'i-4'], ['job', 'pool']]);
  });

  it('refuses invalid series every time and keeps the valid ones', async () => {
    const bad: EncodableSeries = { labels: [['__name__', '0bad'], ['job', 'pool']], samples: [{ t: 5, v: 1 }] };
    for (const t0 of [100_000, 200_000]) {
      const d = await pool.decode(body(t0, [bad]), V1, MAX);
      expect(d.series).toHaveLength(5);
      expect(d.rejected).toHaveLength(1);
      expect(d.rejected[0]!.reason).toMatch(/metric name/);
    }
  });

  it('decodes remote-write 2.0 the same way', async () => {
    const b = compressWriteRequest(encodeWriteRequestV2({ timeseries: [series(7, 5_000)] }));
    const d = await pool.decode(b, V2, MAX);
    expect(d.version).toBe('2.0');
    expect(plain(d)).toEqual(plain(decodeRemoteWriteColumns(b, V2)));
  });

  it('reports an unreadable body as the same RemoteWriteDecodeError as inline decoding', async () => {
    const junk = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x0f, 1, 2, 3]);
    const inline = (() => {
      try {
        decodeRemoteWriteColumns(junk, V1);
      } catch (err) {
        return err as RemoteWriteDecodeError;
      }
      throw new Error('inline decoding accepted junk');
    })();
    const err = await pool.decode(junk, V1, MAX).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RemoteWriteDecodeError);
    expect((err as RemoteWriteDecodeError).code).toBe(inline.code);
    expect((err as RemoteWriteDecodeError).message).toBe(inline.message);
    const wrongType = await pool.decode(body(1), { ...V1, 'content-type': 'text/plain' }, MAX).catch((e: unknown) => e);
    expect((wrongType as RemoteWriteDecodeError).code).toBe('KSK_RW_CONTENT_TYPE');
  });

  it('reads labels back out of a key', () => {
    const d = decodeRemoteWriteColumns(body(1), V1);
    for (const s of d.series) expect(labelsOfKey(s.key!)).toEqual(s.labels);
  });
});

describe('a pool without threads', () => {
  it('decodes inline', async () => {
    const pool = new RemoteWriteDecodePool({ threads: 0 });
    expect(pool.threads).toBe(0);
    expect(plain(await pool.decode(body(1), V1, MAX))).toEqual(plain(decodeRemoteWriteColumns(body(1), V1)));
    expect(pool.decoded).toEqual({ worker: 0, inline: 1 });
    await pool.close();
  });
});
