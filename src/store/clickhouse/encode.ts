/**
 * Row encoding for inserts and decoding of result values, identical for both engines.
 * Times go in as "seconds.millis" text, which DateTime64(3) parses without any guessing about
 * units; floats go in as ClickHouse's own text for NaN and infinities.
 */

/** Epoch milliseconds (a non-negative integer) as DateTime64(3) input text. */
export function dateTime64Text(ms: number): string {
  const whole = Math.trunc(ms);
  const seconds = Math.floor(whole / 1000);
  const millis = whole - seconds * 1000;
  return `${seconds}.${millis.toString().padStart(3, '0')}`;
}

/** UTC calendar day of an epoch-millisecond instant, as Date input text. */
export function dayText(ms: number): string {
  return new Date(Math.trunc(ms)).toISOString().slice(0, 10);
}

/** A Float64 as TSV text: ClickHouse reads "nan", "inf", "-inf" and JS exponent notation. */
export function float64Text(v: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (v === Infinity) return 'inf';
  if (v === -Infinity) return '-inf';
  return String(v);
}

const F64 = new Float64Array(1);
const WORDS = new Uint32Array(F64.buffer);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const HI = LITTLE_ENDIAN ? 1 : 0;
const LO = LITTLE_ENDIAN ? 0 : 1;

/**
 * A Float64 as the two 32-bit halves of its bits, "hi<TAB>lo", for the samples table's v_hi and
 * v_lo input columns. Unlike text, the bits keep a NaN's payload (Prometheus's staleness marker
 * is a NaN with payload 2), and two small integers format faster than the shortest decimal of a
 * double (float64Text was ≈7% of in-process remote-write ingest time).
 */
export function float64BitsText(v: number): string {
  F64[0] = v;
  return `${WORDS[HI]}\t${WORDS[LO]}`;
}

/**
 * A Float64 as it comes back in JSON: a number, or (with output_format_json_quote_denormals=1)
 * the strings "nan", "inf", "-inf", "+inf".
 */
export function parseFloat64(x: unknown): number {
  if (typeof x === 'number') return x;
  if (typeof x === 'string') {
    if (x === 'nan' || x === '-nan') return NaN;
    if (x === 'inf' || x === '+inf') return Infinity;
    if (x === '-inf') return -Infinity;
    return Number(x);
  }
  return NaN;
}

/** Integer results may arrive as numbers or, when an engine quotes 64-bit integers, as strings. */
export function parseCount(x: unknown): number {
  return typeof x === 'number' ? x : Number(x ?? 0);
}

/** Rows as a JSONEachRow body. */
export function jsonEachRow(rows: readonly object[]): string {
  let out = '';
  for (const row of rows) out += JSON.stringify(row) + '\n';
  return out;
}

/** Escapes LIKE metacharacters so user text matches literally. */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}
