import { describe, expect, it } from 'vitest';
import { encodeNativeBlock, setInt64Words } from './native-block.js';
import { SAMPLE_NATIVE_COLUMNS } from './schema.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

function samplesBlock(ids: bigint[], ts: number[], vs: Float64Array): Uint8Array {
  const words = new Uint32Array(2 * ts.length);
  ts.forEach((t, i) => setInt64Words(words, i, t));
  return encodeNativeBlock(ts.length, [
    { ...SAMPLE_NATIVE_COLUMNS[0]!, data: BigUint64Array.from(ids) },
    { ...SAMPLE_NATIVE_COLUMNS[1]!, data: words },
    { ...SAMPLE_NATIVE_COLUMNS[2]!, data: vs },
  ]);
}

describe('encodeNativeBlock', () => {
  it('writes the bytes chDB itself writes for the same row', () => {
    // chDB 3.4: SELECT toUInt64(1) AS series_id, fromUnixTimestamp64Milli(toInt64(1700000000123), 'UTC') AS t, 1.5 AS v FORMAT Native
    const engine =
      '0301097365726965735f69640655496e74363401000000000000000174144461746554696d65363428332c202755544327297b68e5cf8b010000017607466c6f61743634000000000000f83f';
    expect(hex(samplesBlock([1n], [1700000000123], Float64Array.of(1.5)))).toBe(engine);
  });

  it('writes the row count as a multi-byte varint and only the first `rows` values', () => {
    const rows = 300;
    const block = encodeNativeBlock(rows, [{ name: 'x', type: 'UInt64', data: new BigUint64Array(rows + 5).fill(7n) }]);
    // 300 = 0b10_0101100: low 7 bits with the continuation bit, then 2.
    expect([...block.subarray(0, 3)]).toEqual([1, 0xac, 0x02]);
    // Header, "x" and "UInt64" as length-prefixed strings, then the values.
    expect(block.length).toBe(3 + 2 + 7 + rows * 8);
    expect(new DataView(block.buffer).getBigUint64(block.length - 8, true)).toBe(7n);
  });

  it('keeps every bit of a value, a NaN payload and -0 included, and 64-bit ids and times', () => {
    const vs = new Float64Array(3);
    const bits = new Uint32Array(vs.buffer);
    // Little-endian words: Prometheus's staleness marker 0x7ff00000_00000002, then -0.
    bits[0] = 2;
    bits[1] = 0x7ff00000;
    bits[3] = 0x80000000;
    vs[2] = -Infinity;
    const block = samplesBlock([2n ** 64n - 1n, 0n, 42n], [0, 2 ** 53 - 1, 1_800_000_000_000], vs);
    const view = new DataView(block.buffer);
    const dataAt = (column: number) => {
      // Header: 2 bytes, then per column name + type strings and 3 × 8 bytes.
      let at = 2;
      for (let c = 0; ; c++) {
        at += 1 + SAMPLE_NATIVE_COLUMNS[c]!.name.length + 1 + SAMPLE_NATIVE_COLUMNS[c]!.type.length;
        if (c === column) return at;
        at += 24;
      }
    };
    const u64 = (column: number, i: number) => view.getBigUint64(dataAt(column) + i * 8, true);
    expect([0, 1, 2].map((i) => u64(0, i))).toEqual([2n ** 64n - 1n, 0n, 42n]);
    expect([0, 1, 2].map((i) => u64(1, i))).toEqual([0n, 2n ** 53n - 1n, 1_800_000_000_000n]);
    expect([0, 1, 2].map((i) => u64(2, i).toString(16))).toEqual(['7ff0000000000002', '8000000000000000', 'fff0000000000000']);
  });

  it('refuses a column shorter than the row count', () => {
    expect(() => encodeNativeBlock(2, [{ name: 'x', type: 'Float64', data: new Float64Array(1) }])).toThrow(/column x holds 1 values, 2 needed/);
  });
});
