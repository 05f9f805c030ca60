import { describe, expect, it } from 'vitest';
import { STALE_NAN, isStaleNaN } from '../../query/promql/index.js';
import { decodeSampleRows } from './sample-rows.js';

/** RowBinary rows as chDB sends them: series_id UInt64, t Int64 (ms), v Float64, little-endian. */
function rows(...rs: [bigint, number, number][]): Uint8Array {
  // Offset by 4 bytes inside a larger buffer: the decoder must not assume alignment.
  const buf = new Uint8Array(rs.length * 24 + 4).subarray(4);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  rs.forEach(([id, t, v], i) => {
    view.setBigUint64(i * 24, id, true);
    view.setBigInt64(i * 24 + 8, BigInt(t), true);
    view.setFloat64(i * 24 + 16, v, true);
  });
  return buf;
}

const BIG = 18_000_000_000_000_000_001n;
const T = Date.UTC(2026, 10, 23);

describe('decodeSampleRows', () => {
  it('gives each series its columns in time order when parts arrive in any order', () => {
    // Two parts (later time first), each sorted by (series_id, t), and a 64-bit id.
    const d = decodeSampleRows(rows([1n, T + 3000, 3], [BIG, T + 3000, 30], [1n, T + 1000, 1], [1n, T + 2000, 2], [BIG, T + 1000, 10]));
    expect([...d.bySeries.keys()]).toEqual(['1', BIG.toString()]);
    expect(Array.from(d.bySeries.get('1')!.t)).toEqual([T + 1000, T + 2000, T + 3000]);
    expect(Array.from(d.bySeries.get('1')!.v)).toEqual([1, 2, 3]);
    expect(Array.from(d.bySeries.get(BIG.toString())!.t)).toEqual([T + 1000, T + 3000]);
    expect(Array.from(d.bySeries.get(BIG.toString())!.v)).toEqual([10, 30]);
    expect(d.duplicated).toEqual([]);
  });

  it('sorts overlapping parts and reports a timestamp written twice', () => {
    const d = decodeSampleRows(rows([7n, T + 1000, 1], [7n, T + 3000, 3], [8n, T, 0], [7n, T + 2000, 2], [7n, T + 3000, 33]));
    expect(Array.from(d.bySeries.get('7')!.t)).toEqual([T + 1000, T + 2000, T + 3000, T + 3000]);
    expect(d.duplicated).toEqual(['7']);
    const again = decodeSampleRows(rows([5n, T, 1], [5n, T, 2]));
    expect(again.duplicated).toEqual(['5']);
  });

  it('keeps negative timestamps and the stale NaN payload', () => {
    const d = decodeSampleRows(rows([1n, -5000, 1], [1n, T, STALE_NAN], [1n, T + 1, Number.NaN]));
    const c = d.bySeries.get('1')!;
    expect(Array.from(c.t)).toEqual([-5000, T, T + 1]);
    expect(isStaleNaN(c.v[1]!)).toBe(true);
    expect(Number.isNaN(c.v[2]!) && !isStaleNaN(c.v[2]!)).toBe(true);
  });

  it('decodes nothing to nothing and refuses a torn row', () => {
    expect(decodeSampleRows(new Uint8Array(0)).bySeries.size).toBe(0);
    expect(() => decodeSampleRows(new Uint8Array(25))).toThrow(/not a whole number of 24-byte rows/);
  });
});
