/**
 * Number readers working on a slice [start, end) of the body, so the hot path reads the
 * common small integers without cutting a substring. Each returns `undefined` for text that
 * is not a number in its grammar (NaN is a valid result, so it cannot double as the error).
 */

const C_0 = 48;
const C_9 = 57;
const C_PLUS = 43;
const C_MINUS = 45;
const C_DOT = 46;

function isDigit(c: number): boolean {
  return c >= C_0 && c <= C_9;
}

/**
 * OpenMetrics `realnumber`: [sign] digits [. digits] [e [sign] digits], or [sign] . digits [...].
 * Leading zeros are allowed; hex, binary, octal, underscores and whitespace are not.
 */
export function readRealNumber(s: string, start: number, end: number): number | undefined {
  let i = start;
  let c = s.charCodeAt(i);
  let neg = false;
  if (c === C_PLUS || c === C_MINUS) {
    neg = c === C_MINUS;
    c = s.charCodeAt(++i);
  }
  const intStart = i;
  let acc = 0;
  while (i < end && isDigit(c)) {
    acc = acc * 10 + (c - C_0);
    c = s.charCodeAt(++i);
  }
  const intDigits = i - intStart;
  if (i === end) {
    if (intDigits === 0) return undefined;
    // Up to 15 digits the accumulated value is exact; beyond that let the engine round.
    if (intDigits <= 15) return neg ? -acc : acc;
    return Number(s.slice(start, end));
  }
  let fracDigits = 0;
  if (c === C_DOT) {
    c = s.charCodeAt(++i);
    const fracStart = i;
    while (i < end && isDigit(c)) {
      acc = acc * 10 + (c - C_0);
      c = s.charCodeAt(++i);
    }
    fracDigits = i - fracStart;
  }
  if (intDigits === 0 && fracDigits === 0) return undefined;
  let exp = 0;
  if (i < end && (c === 101 || c === 69)) {
    c = s.charCodeAt(++i);
    let expNeg = false;
    if (c === C_PLUS || c === C_MINUS) {
      expNeg = c === C_MINUS;
      c = s.charCodeAt(++i);
    }
    const expStart = i;
    while (i < end && isDigit(c)) {
      if (exp < 100000) exp = exp * 10 + (c - C_0);
      c = s.charCodeAt(++i);
    }
    if (i === expStart) return undefined;
    if (expNeg) exp = -exp;
  }
  if (i !== end) return undefined;
  // Clinger's fast path: an exact integer mantissa (< 2^53) scaled by an exact power of ten
  // (<= 1e22) is correctly rounded by one IEEE multiplication or division.
  const scale = exp - fracDigits;
  if (intDigits + fracDigits <= 15 && scale >= -22 && scale <= 22) {
    const v = scale < 0 ? acc / POW10[-scale]! : acc * POW10[scale]!;
    return neg ? -v : v;
  }
  return Number(s.slice(start, end));
}

const POW10: readonly number[] = Array.from({ length: 23 }, (_, k) => Number(`1e${k}`));

/** Case-insensitive comparison of s[start, end) with a lower-case ASCII word. */
function equalsLower(s: string, start: number, end: number, word: string): boolean {
  if (end - start !== word.length) return false;
  for (let k = 0; k < word.length; k++) {
    if ((s.charCodeAt(start + k) | 0x20) !== word.charCodeAt(k)) return false;
  }
  return true;
}

/** Signed infinity spelled `inf` or `infinity` in any case, or `nan` in any case; else undefined. */
function readSpecial(s: string, start: number, end: number, allowSignedNaN: boolean): number | undefined {
  let i = start;
  const c = s.charCodeAt(i);
  let sign = 1;
  let signed = false;
  if (c === C_PLUS || c === C_MINUS) {
    sign = c === C_MINUS ? -1 : 1;
    signed = true;
    i++;
  }
  if (equalsLower(s, i, end, 'inf') || equalsLower(s, i, end, 'infinity')) return sign * Infinity;
  if ((!signed || allowSignedNaN) && equalsLower(s, i, end, 'nan')) return NaN;
  return undefined;
}

/** OpenMetrics `number`: a realnumber, [sign] inf/infinity or nan (case-insensitive). */
export function readOpenMetricsNumber(s: string, start: number, end: number): number | undefined {
  const c = s.charCodeAt(start);
  if (isDigit(c) || c === C_DOT) return readRealNumber(s, start, end);
  const r = readRealNumber(s, start, end);
  return r !== undefined ? r : readSpecial(s, start, end, false);
}

/**
 * A sample value as Go's strconv.ParseFloat reads it, which is what Prometheus uses for the
 * text format: decimal floats, inf/infinity/nan in any case. Hex floats are not accepted
 * (no known exporter writes them).
 */
export function readGoFloat(s: string, start: number, end: number): number | undefined {
  return readOpenMetricsNumber(s, start, end);
}

/** A text-format timestamp: an optionally signed decimal int64 of milliseconds. */
export function readInt64Ms(s: string, start: number, end: number): number | undefined {
  let i = start;
  let c = s.charCodeAt(i);
  let neg = false;
  if (c === C_PLUS || c === C_MINUS) {
    neg = c === C_MINUS;
    i++;
  }
  if (i === end || end - i > 19) return undefined;
  let acc = 0;
  for (; i < end; i++) {
    c = s.charCodeAt(i);
    if (!isDigit(c)) return undefined;
    acc = acc * 10 + (c - C_0);
  }
  if (acc > 2 ** 63) return undefined; // beyond int64
  return neg ? -acc : acc;
}

/**
 * OpenMetrics requires `le` and `quantile` values to be real numbers or exactly `+Inf`/`-Inf`
 * (spellings like `+INF` or `inf` are legal values elsewhere but not "canonical numbers").
 */
export function readCanonicalLabelNumber(v: string): number | undefined {
  if (v === '+Inf') return Infinity;
  if (v === '-Inf') return -Infinity;
  return readRealNumber(v, 0, v.length);
}
