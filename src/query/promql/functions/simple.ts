/** Element-wise float functions; Go's math semantics where JavaScript differs. */
export const SIMPLE_FUNCTIONS: Record<string, (v: number) => number> = {
  abs: Math.abs,
  ceil: Math.ceil,
  floor: Math.floor,
  exp: Math.exp,
  sqrt: Math.sqrt,
  ln: Math.log,
  log2: Math.log2,
  log10: Math.log10,
  sin: Math.sin,
  cos: Math.cos,
  tan: Math.tan,
  asin: Math.asin,
  acos: Math.acos,
  atan: Math.atan,
  sinh: Math.sinh,
  cosh: Math.cosh,
  tanh: Math.tanh,
  asinh: Math.asinh,
  acosh: Math.acosh,
  atanh: Math.atanh,
  rad: (v) => (v * Math.PI) / 180,
  deg: (v) => (v * 180) / Math.PI,
  sgn: (v) => (v < 0 ? -1 : v > 0 ? 1 : v),
};

function utc(sec: number): Date {
  return new Date(sec * 1000);
}

/** Date functions take Unix seconds (already truncated to an integer) and read UTC fields. */
export const DATE_FUNCTIONS: Record<string, (sec: number) => number> = {
  day_of_month: (s) => utc(s).getUTCDate(),
  day_of_week: (s) => utc(s).getUTCDay(),
  day_of_year: (s) => {
    const d = utc(s);
    return Math.floor((Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()) - Date.UTC(d.getUTCFullYear(), 0, 1)) / 86_400_000) + 1;
  },
  days_in_month: (s) => {
    const d = utc(s);
    return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate();
  },
  hour: (s) => utc(s).getUTCHours(),
  minute: (s) => utc(s).getUTCMinutes(),
  month: (s) => utc(s).getUTCMonth() + 1,
  year: (s) => utc(s).getUTCFullYear(),
};
