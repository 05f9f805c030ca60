/*
 * OTLP → Prometheus names, following the OpenTelemetry "Prometheus and OpenMetrics
 * compatibility" spec as Prometheus implements it (otlptranslator, strategy
 * UnderscoreEscapingWithSuffixes): invalid characters become `_`, unit words are appended
 * (`s` → `_seconds`, `By/s` → `_bytes_per_second`), monotonic sums end in `_total` and
 * gauges of unit "1" in `_ratio`.
 */

const UNITS: Record<string, string> = {
  d: 'days', h: 'hours', min: 'minutes', s: 'seconds', ms: 'milliseconds', us: 'microseconds', ns: 'nanoseconds',
  By: 'bytes', KiBy: 'kibibytes', MiBy: 'mebibytes', GiBy: 'gibibytes', TiBy: 'tibibytes',
  KBy: 'kilobytes', MBy: 'megabytes', GBy: 'gigabytes', TBy: 'terabytes',
  m: 'meters', V: 'volts', A: 'amperes', J: 'joules', W: 'watts', g: 'grams',
  Cel: 'celsius', Hz: 'hertz', '1': '', '%': 'percent',
};

const PER_UNITS: Record<string, string> = { s: 'second', m: 'minute', h: 'hour', d: 'day', w: 'week', mo: 'month', y: 'year' };

export type NamingType = 'gauge' | 'counter' | 'nonmonotonic' | 'histogram' | 'summary';

const isMetricChar = (c: string): boolean => /[a-zA-Z0-9:]/.test(c);

/** Splits on every character outside [a-zA-Z0-9:], dropping empty tokens (so `__` collapses). */
function tokens(s: string, keepUnderscore: boolean): string[] {
  const out: string[] = [];
  let cur = '';
  for (const ch of s) {
    if (isMetricChar(ch) || (keepUnderscore && ch === '_')) cur += ch;
    else if (cur !== '') {
      out.push(cur);
      cur = '';
    }
  }
  if (cur !== '') out.push(cur);
  return out;
}

function cleanUnit(u: string): string {
  return u
    .replace(/[^a-zA-Z0-9:]/g, '_')
    .replace(/__+/g, '_')
    .replace(/^_/, '');
}

/** The main and per-unit words of a UCUM unit; `{annotations}` contribute nothing. */
export function unitSuffixes(unit: string): [main: string, per: string] {
  const slash = unit.indexOf('/');
  const mainRaw = (slash < 0 ? unit : unit.slice(0, slash)).trim();
  const perRaw = slash < 0 ? '' : unit.slice(slash + 1).trim();
  const main = mainRaw !== '' && !/[{}]/.test(mainRaw) ? (UNITS[mainRaw] ?? mainRaw) : '';
  const perWord = perRaw !== '' && !/[{}]/.test(perRaw) ? (PER_UNITS[perRaw] ?? perRaw) : '';
  return [main, perWord === '' ? '' : `per_${perWord}`];
}

/** The unit as Prometheus metadata carries it, e.g. `By/s` → `bytes_per_second`. */
export function prometheusUnit(unit: string): string {
  const [main, per] = unitSuffixes(unit).map(cleanUnit) as [string, string];
  const u = main !== '' && per !== '' ? `${main}_${per}` : main !== '' ? main : per;
  return u.replace(/^_/, '').replace(/_$/, '');
}

export function prometheusMetricName(name: string, unit: string, type: NamingType, addSuffixes = true): string {
  let out: string;
  if (!addSuffixes) {
    out = tokens(name, true).join('_');
  } else {
    let parts = tokens(name, false);
    let [main, per] = unitSuffixes(unit).map(cleanUnit) as [string, string];
    if (parts.includes(main)) main = '';
    if (per === 'per_') per = '';
    else {
      per = per.replace(/_$/, '');
      if (parts.includes(per)) per = '';
    }
    if (per !== '') main = main.replace(/_$/, '');
    if (main !== '') parts.push(main);
    if (per !== '') parts.push(per);
    if (type === 'counter') parts = [...parts.filter((t) => t !== 'total'), 'total'];
    if (unit === '1' && type === 'gauge') parts = [...parts.filter((t) => t !== 'ratio'), 'ratio'];
    out = parts.join('_');
  }
  if (/^[0-9]/.test(out)) out = `_${out}`;
  return out;
}

/**
 * An attribute key as a label name: every run of characters outside [a-zA-Z0-9] (underscores
 * included) becomes one `_`, a name wrapped in `__…__` keeps its wrapping, a leading digit gets
 * `key_`. Returns undefined for keys that end up as underscores only.
 */
export function prometheusLabelName(key: string): string | undefined {
  if (key === '') return undefined;
  const reserved = key.length >= 4 && key.startsWith('__') && key.endsWith('__');
  let out = (reserved ? key.slice(2, -2) : key).replace(/[^a-zA-Z0-9]+/g, '_');
  if (reserved) out = `__${out}__`;
  if (/^[0-9]/.test(out)) out = `key_${out}`;
  return /^_*$/.test(out) ? undefined : out;
}

/** `le` and `quantile` values as Go's FormatFloat(v, 'f', -1, 64) writes them (no exponent). */
export function formatBound(v: number): string {
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  if (Number.isNaN(v)) return 'NaN';
  const s = String(v);
  const e = s.indexOf('e');
  if (e < 0) return s;
  // Shift the decimal point of the shortest round-trip digits instead of asking toFixed,
  // which would print the binary expansion (0.0000000999…).
  const neg = s.startsWith('-');
  const mantissa = s.slice(neg ? 1 : 0, e);
  const exp = Number(s.slice(e + 1));
  const dot = mantissa.indexOf('.');
  const digits = mantissa.replace('.', '');
  const point = (dot < 0 ? mantissa.length : dot) + exp;
  let out: string;
  if (point <= 0) out = `0.${'0'.repeat(-point)}${digits}`;
  else if (point >= digits.length) out = digits + '0'.repeat(point - digits.length);
  else out = `${digits.slice(0, point)}.${digits.slice(point)}`;
  return neg ? `-${out}` : out;
}
