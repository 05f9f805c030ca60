/**
 * Number formatting as Go's fmt prints it, because Prometheus templates render `$value` and the
 * humanize functions with Go verbs (`%v`, `%.4g`) and users compare messages with what
 * Prometheus sent before. Integers of the template language are JS bigints (Go ints); floats
 * are numbers (Go float64).
 */

function splitDigits(v: number, precision?: number): { digits: string; exp: number } {
  // toExponential gives the shortest round-trip digits without an argument, as Go's -1 precision.
  const s = precision === undefined ? Math.abs(v).toExponential() : Math.abs(v).toExponential(Math.max(0, precision - 1));
  const [mant, e] = s.split('e') as [string, string];
  let digits = mant.replace('.', '');
  if (precision !== undefined) digits = digits.replace(/0+$/, '') || '0';
  return { digits, exp: Number(e) };
}

function special(v: number, plus = true): string | undefined {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return plus ? '+Inf' : 'Inf';
  if (v === -Infinity) return '-Inf';
  return undefined;
}

function expString(exp: number): string {
  const sign = exp < 0 ? '-' : '+';
  const a = Math.abs(exp);
  return `e${sign}${a < 10 ? '0' : ''}${a}`;
}

/** Go's %g with an optional precision (`%.4g`), shortest digits without one; no padding. */
export function formatGoG(v: number, precision?: number): string {
  const sp = special(v);
  if (sp) return sp;
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  const sign = v < 0 ? '-' : '';
  const { digits, exp } = splitDigits(v, precision === 0 ? 1 : precision);
  const nd = digits.length;
  const dp = exp + 1;
  // Go (strconv 'g'): the exponent threshold is the precision, shrunk to the digit count when the
  // value is integral; shortest formatting (%v) always decides with 6, hence Sprint(1e6) = "1e+06".
  let eprec = precision === undefined ? 6 : Math.max(1, precision);
  if (precision !== undefined && eprec > nd && nd >= dp) eprec = nd;
  if (exp < -4 || exp >= eprec) {
    const mant = nd > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    return `${sign}${mant}${expString(exp)}`;
  }
  if (dp <= 0) return `${sign}0.${'0'.repeat(-dp)}${digits}`;
  if (dp >= nd) return `${sign}${digits}${'0'.repeat(dp - nd)}`;
  return `${sign}${digits.slice(0, dp)}.${digits.slice(dp)}`;
}

/** `fmt.Sprint(float64)`: %v, which is %g with shortest digits; exponent form from 1e6 up or below 1e-4. */
export function formatGoFloat(v: number): string {
  return formatGoG(v);
}

/** Go's %e with a precision (default 6). */
export function formatGoE(v: number, precision = 6): string {
  const sp = special(v);
  if (sp) return sp;
  const s = v.toExponential(precision);
  const [mant, e] = s.split('e') as [string, string];
  return `${mant}${expString(Number(e))}`;
}

/** Go's %f with a precision (default 6). */
export function formatGoF(v: number, precision = 6): string {
  const sp = special(v);
  if (sp) return sp;
  return v.toFixed(Math.min(100, precision));
}
