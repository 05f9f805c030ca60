/**
 * One block of ClickHouse's Native format, the engine's own columnar layout: the column bytes
 * are the values as the engine keeps them, so nothing is formatted as text on the way in and a
 * Float64 keeps all 64 bits (a NaN's payload too). Layout (the format, not the TCP protocol, so
 * no block info and no serialization flags):
 *
 *   varint(columns) varint(rows), then per column: string name, string type, rows × value,
 *
 * strings as varint(byte length) + UTF-8 bytes, fixed-width values little-endian.
 * Only fixed-width 8-byte columns are written here (UInt64, Int64, DateTime64, Float64).
 */
import type { NativeColumn } from './transport.js';

/** A column's values: `rows` 8-byte values in host byte order (a Float64Array, BigUint64Array, … view). */
export interface NativeColumnData extends NativeColumn {
  data: ArrayBufferView;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
/** Word order of an 8-byte integer seen as two Uint32 words in host byte order. */
export const LO_WORD = LITTLE_ENDIAN ? 0 : 1;
export const HI_WORD = LITTLE_ENDIAN ? 1 : 0;
const TWO_32 = 4_294_967_296;

const utf8 = new TextEncoder();

function varintLength(n: number): number {
  let len = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 0x80);
    len++;
  }
  return len;
}

function writeVarint(out: Uint8Array, at: number, n: number): number {
  while (n >= 0x80) {
    out[at++] = (n % 0x80) | 0x80;
    n = Math.floor(n / 0x80);
  }
  out[at++] = n;
  return at;
}

/** The block's bytes. Each column's `data` holds at least `rows` values; only those are written. */
export function encodeNativeBlock(rows: number, columns: readonly NativeColumnData[]): Uint8Array {
  const texts = columns.map((c) => [utf8.encode(c.name), utf8.encode(c.type)] as const);
  let size = varintLength(columns.length) + varintLength(rows);
  for (const [name, type] of texts) size += varintLength(name.length) + name.length + varintLength(type.length) + type.length + rows * 8;
  const out = new Uint8Array(size);
  let at = writeVarint(out, 0, columns.length);
  at = writeVarint(out, at, rows);
  for (let c = 0; c < columns.length; c++) {
    const [name, type] = texts[c]!;
    at = writeVarint(out, at, name.length);
    out.set(name, at);
    at += name.length;
    at = writeVarint(out, at, type.length);
    out.set(type, at);
    at += type.length;
    const { data } = columns[c]!;
    if (data.byteLength < rows * 8) throw new Error(`native block: column ${columns[c]!.name} holds ${data.byteLength / 8} values, ${rows} needed`);
    out.set(new Uint8Array(data.buffer, data.byteOffset, rows * 8), at);
    if (!LITTLE_ENDIAN) for (let i = at; i < at + rows * 8; i += 8) out.subarray(i, i + 8).reverse();
    at += rows * 8;
  }
  return out;
}

/**
 * Stores a non-negative integer below 2^53 (an epoch-ms timestamp) as an Int64 into two Uint32
 * words of `words` at value index `i`: no BigInt per value.
 */
export function setInt64Words(words: Uint32Array, i: number, x: number): void {
  words[2 * i + LO_WORD] = x >>> 0;
  words[2 * i + HI_WORD] = (x / TWO_32) >>> 0;
}
