import { describe, expect, it } from 'vitest';
import { CHUNK_SAMPLES, HeadSeries } from './head-series.js';

const make = () => new HeadSeries(1, { __name__: 'm' }, [['__name__', 'm']], '[["__name__","m"]]');

describe('HeadSeries', () => {
  it('returns an inclusive range across chunks, in time order', () => {
    const s = make();
    const n = CHUNK_SAMPLES * 3 + 5;
    for (let i = 0; i < n; i++) s.append(1_000_000 + i * 15_000, i);
    expect(s.size).toBe(n);
    expect(s.chunkCount).toBe(4);
    const pts = s.range(1_000_000 + 130 * 15_000, 1_000_000 + 260 * 15_000);
    expect(pts.map((p) => p.v)).toEqual(Array.from({ length: 131 }, (_, i) => 130 + i));
    expect(s.range(0, 999_999)).toEqual([]);
    expect(s.range(1_000_000 + 7_000, 1_000_000 + 14_000)).toEqual([]);
  });

  it('gives the same samples as columns as range() for any window, across chunks, skips and unsorted appends', () => {
    const s = make();
    const n = CHUNK_SAMPLES * 3 + 17;
    for (let i = 0; i < n; i++) s.append(1_000_000 + i * 1000, i * 0.5);
    s.append(1_000_000 + 500, -1); // out of order: sorted on the next read
    s.dropBefore(1_000_000 + 40 * 1000); // a skip inside the first chunk
    const edges = [0, 1_000_000, 1_000_000 + 39_999, 1_000_000 + 40_000, 1_000_000 + 40_001, 1_000_000 + 255_000, 1_000_000 + 256_000, 1_000_000 + 256_500, 1_000_000 + 700_000, 1_000_000 + (n - 1) * 1000, 1_000_000 + n * 1000, 9e12];
    let compared = 0;
    for (const a of edges) {
      for (const b of edges) {
        const pts = s.range(a, b);
        const cols = s.rangeColumns(a, b);
        if (!pts.length) {
          expect(cols).toBeUndefined();
          continue;
        }
        expect(Array.from(cols!.t)).toEqual(pts.map((p) => p.t));
        expect(Array.from(cols!.v)).toEqual(pts.map((p) => p.v));
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(30);
    // Fresh arrays: the caller may keep or change them without touching the head.
    const c = s.rangeColumns(0, 9e12)!;
    c.v[0] = 42;
    expect(s.rangeColumns(0, 9e12)!.v[0]).toBe(20);
  });

  it('sorts out-of-order appends on read, the last write of a timestamp winning', () => {
    const s = make();
    for (const [t, v] of [[5000, 5], [1000, 1], [3000, 3], [1000, 10], [5000, 50], [2000, 2]] as const) s.append(t, v);
    expect(s.range(0, 10_000)).toEqual([
      { t: 1000, v: 10 },
      { t: 2000, v: 2 },
      { t: 3000, v: 3 },
      { t: 5000, v: 50 },
    ]);
    s.append(5000, 500);
    s.append(6000, 6);
    expect(s.range(4000, 10_000)).toEqual([
      { t: 5000, v: 500 },
      { t: 6000, v: 6 },
    ]);
  });

  it('keeps timestamps far apart exact (a new chunk when the 32-bit offset would overflow)', () => {
    const s = make();
    const a = Date.UTC(2020, 0, 1);
    const b = a + 40 * 86_400_000;
    s.append(a, 1);
    s.append(b, 2);
    expect(s.range(0, Number.MAX_SAFE_INTEGER)).toEqual([
      { t: a, v: 1 },
      { t: b, v: 2 },
    ]);
  });

  it('keeps the bits of a NaN (the staleness marker)', () => {
    const view = new DataView(new ArrayBuffer(8));
    view.setUint32(0, 0x7ff00000);
    view.setUint32(4, 2);
    const s = make();
    s.append(1000, view.getFloat64(0));
    s.append(500, 1); // forces the sort path, which copies values
    const [, p] = s.range(0, 2000);
    view.setFloat64(0, p!.v);
    expect([view.getUint32(0), view.getUint32(4)]).toEqual([0x7ff00000, 2]);
  });

  it('answers whether a range holds a sample', () => {
    const s = make();
    for (const t of [1000, 2000, 9000]) s.append(t, 1);
    expect(s.hasSampleIn(2000, 2000)).toBe(true);
    expect(s.hasSampleIn(2001, 8999)).toBe(false);
    expect(s.hasSampleIn(0, 999)).toBe(false);
    expect(s.hasSampleIn(8000, 20_000)).toBe(true);
  });

  it('drops samples older than a cutoff, whole chunks and within the first', () => {
    const s = make();
    const n = CHUNK_SAMPLES * 2 + 10;
    for (let i = 0; i < n; i++) s.append(i * 1000, i);
    expect(s.dropBefore(CHUNK_SAMPLES * 1000 + 3000)).toBe(CHUNK_SAMPLES + 3);
    expect(s.size).toBe(n - CHUNK_SAMPLES - 3);
    expect(s.minT).toBe(CHUNK_SAMPLES * 1000 + 3000);
    expect(s.range(0, 1e9)[0]).toEqual({ t: (CHUNK_SAMPLES + 3) * 1000, v: CHUNK_SAMPLES + 3 });
    expect(s.dropBefore(1e9)).toBe(n - CHUNK_SAMPLES - 3);
    expect(s.size).toBe(0);
    expect(s.range(0, 1e12)).toEqual([]);
  });
});
