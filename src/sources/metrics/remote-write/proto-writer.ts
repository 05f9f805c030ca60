/*
 * A small protobuf writer for the remote-write encoder (tests, benchmarks, forwarding).
 * Nested messages are written into the same buffer after a reserved 5-byte length slot
 * that is patched and compacted when the message ends, so encoding allocates per request,
 * not per field.
 */

const TWO_32 = 4294967296;
const utf8 = new TextEncoder();

export class ProtoWriter {
  private buf = new Uint8Array(1024);
  private view = new DataView(this.buf.buffer);
  private pos = 0;
  private readonly stack: number[] = [];

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  private byte(b: number): void {
    this.buf[this.pos++] = b;
  }

  varint(n: number): void {
    this.ensure(10);
    if (n < 0) {
      // Two's complement int64 as 10 bytes.
      const lo = (n % TWO_32) >>> 0;
      const hi = Math.floor(n / TWO_32) >>> 0;
      this.varint64(lo, hi);
      return;
    }
    while (n >= 0x80) {
      this.byte((n % 0x80) | 0x80);
      n = Math.floor(n / 0x80);
    }
    this.byte(n);
  }

  private varint64(lo: number, hi: number): void {
    while (hi !== 0 || lo >= 0x80) {
      this.byte((lo & 0x7f) | 0x80);
      lo = ((lo >>> 7) | (hi << 25)) >>> 0;
      hi >>>= 7;
    }
    this.byte(lo);
  }

  tag(field: number, wireType: number): void {
    this.varint((field << 3) | wireType);
  }

  double(v: number): void {
    this.ensure(8);
    this.view.setFloat64(this.pos, v, true);
    this.pos += 8;
  }

  /** Writes raw 64-bit words (used for the stale-marker NaN, whose payload must survive). */
  fixed64Words(lo: number, hi: number): void {
    this.ensure(8);
    this.view.setUint32(this.pos, lo, true);
    this.view.setUint32(this.pos + 4, hi, true);
    this.pos += 8;
  }

  sint64(n: number): void {
    this.varint(n >= 0 ? n * 2 : -n * 2 - 1);
  }

  sint32(n: number): void {
    this.varint(((n << 1) ^ (n >> 31)) >>> 0);
  }

  string(s: string): void {
    const bytes = utf8.encode(s);
    this.varint(bytes.length);
    this.ensure(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  /** Starts a length-delimited nested message for `field`. */
  fork(field: number): void {
    this.tag(field, 2);
    this.ensure(5);
    this.stack.push(this.pos);
    this.pos += 5;
  }

  /** Ends the innermost nested message: writes its length and closes the reserved gap. */
  join(): void {
    const slot = this.stack.pop()!;
    const start = slot + 5;
    const len = this.pos - start;
    let lenBytes = 1;
    for (let n = len; n >= 0x80; n = Math.floor(n / 0x80)) lenBytes++;
    const end = this.pos;
    this.pos = slot;
    this.varint(len);
    if (lenBytes < 5) this.buf.copyWithin(slot + lenBytes, start, end);
    this.pos = slot + lenBytes + len;
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }
}
