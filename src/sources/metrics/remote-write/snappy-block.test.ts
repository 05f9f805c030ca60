import { compress, uncompress } from 'snappyjs';
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../../lib/prng.js';
import { SnappyFormatError, uncompressSnappyBlock } from './snappy-block.js';

const MAX = 64 * 1024 * 1024;

/** Inputs that give every element kind snappyjs emits: short and long literals, short and long copies, overlapping runs. */
function samples(): Uint8Array[] {
  const rand = mulberry32(7);
  const random = (n: number) => Uint8Array.from({ length: n }, () => Math.floor(rand() * 256));
  const labels = new TextEncoder().encode(
    Array.from({ length: 3000 }, (_, i) => `\n\b__name__\u0012\u001chttp_request_duration_seconds\n\binstance\u0012host-${i % 97}:9100`).join(''),
  );
  const mixed = new Uint8Array(300_000);
  for (let i = 0; i < mixed.length; i += 1000) mixed.set(i % 3000 === 0 ? random(1000) : labels.subarray(i % 50_000, (i % 50_000) + 1000), i);
  return [new Uint8Array(0), Uint8Array.of(42), random(59), random(61), random(70_000), new Uint8Array(100_000).fill(7), labels, mixed];
}

describe('uncompressSnappyBlock (against snappyjs)', () => {
  it('gives back exactly what snappyjs compressed, with and without the reused buffer', () => {
    // Buffer.equals, not toEqual: a deep comparison of 300 KB takes seconds.
    const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a.buffer, a.byteOffset, a.length).equals(b);
    for (const input of samples()) {
      const block = compress(input);
      expect(same(uncompressSnappyBlock(block, MAX), input), `${input.length} bytes`).toBe(true);
      expect(same(uncompressSnappyBlock(block, MAX, true), input), `${input.length} bytes, reused buffer`).toBe(true);
      expect(same(uncompress(block), input), `${input.length} bytes by snappyjs`).toBe(true);
    }
  });

  it('reads copies with a 4-byte offset and literals with a 3-byte length, which snappyjs does not write', () => {
    // preamble 70,004 (varint), literal of 70,000 bytes (tag 62 → 3 length bytes), then a copy-4 of 4 bytes from offset 70,000.
    const lit = Uint8Array.from({ length: 70_000 }, (_, i) => i % 251);
    const block = Uint8Array.from([0xf4, 0xa2, 0x04, (62 << 2) | 0, 69_999 & 0xff, (69_999 >> 8) & 0xff, 69_999 >> 16, ...lit, ((4 - 1) << 2) | 3, 0x70, 0x11, 0x01, 0x00]);
    const out = uncompressSnappyBlock(block, MAX);
    expect(out.length).toBe(70_004);
    expect([...out.subarray(70_000)]).toEqual([0, 1, 2, 3]);
  });

  it('lets the next reusing call overwrite a reused result, and never a caller-owned one', () => {
    const a = uncompressSnappyBlock(compress(new Uint8Array(10).fill(1)), MAX, true);
    const owned = uncompressSnappyBlock(compress(new Uint8Array(10).fill(1)), MAX);
    uncompressSnappyBlock(compress(new Uint8Array(10).fill(2)), MAX, true);
    expect(a[0]).toBe(2);
    expect(owned[0]).toBe(1);
  });

  it('refuses broken blocks with a reason, never reading or writing out of bounds', () => {
    const good = compress(new TextEncoder().encode('abcdabcdabcdabcdabcdabcdabcd'.repeat(20)));
    const cases: [Uint8Array, RegExp][] = [
      [new Uint8Array(0), /truncated length preamble/],
      [Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0x01), /exceeds 32 bits/],
      [good.subarray(0, good.length - 1), /holds \d+ bytes, not the 560|runs past the end|truncated/],
      [Uint8Array.of(4, (3 << 2) | 0, 1, 2), /runs past the end of the input/], // 4-byte literal with 2 bytes given
      [Uint8Array.of(2, (3 << 2) | 0, 1, 2, 3, 4), /writes past the declared length 2/],
      [Uint8Array.of(8, (0 << 2) | 1, 0), /refers to offset 0 with only 0 bytes written/],
      [Uint8Array.of(8, 0, 9, (0 << 2) | 1, 5), /refers to offset 5 with only 1 bytes written/],
      [Uint8Array.of(8, 0, 9, (0 << 2) | 2, 1), /truncated copy/],
      [Uint8Array.of(5, 0, 9), /holds 1 bytes, not the 5/],
      [Uint8Array.of(0xf0, 0x01, 0xf0), /truncated literal length/],
    ];
    for (const [block, reason] of cases) {
      let err: unknown;
      try {
        uncompressSnappyBlock(block, MAX);
      } catch (e) {
        err = e;
      }
      expect(err, `block ${[...block].join(',')}`).toBeInstanceOf(SnappyFormatError);
      expect((err as Error).message).toMatch(reason);
    }
    expect(() => uncompressSnappyBlock(good, 100)).toThrow('the uncompressed length 560 is too big: at most 100 bytes are allowed');
  });
});
