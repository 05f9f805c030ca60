/** Character classes and small helpers shared by both scrape-format scanners. */

export const C_TAB = 9;
export const C_LF = 10;
export const C_SPACE = 32;
export const C_QUOTE = 34;
export const C_HASH = 35;
export const C_COMMA = 44;
export const C_EQ = 61;
export const C_BACKSLASH = 92;
export const C_LBRACE = 123;
export const C_RBRACE = 125;

/** [a-zA-Z_:] */
export function isMetricNameStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c === 58;
}

/** [a-zA-Z0-9_:] */
export function isMetricNameChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 58;
}

/** [a-zA-Z_] */
export function isLabelNameStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95;
}

/** [a-zA-Z0-9_] */
export function isLabelNameChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95;
}

/** End (exclusive) of the metric name starting at `i`, or `i` when there is none. */
export function scanMetricName(s: string, i: number, end: number): number {
  if (i >= end || !isMetricNameStart(s.charCodeAt(i))) return i;
  i++;
  while (i < end && isMetricNameChar(s.charCodeAt(i))) i++;
  return i;
}

/** End (exclusive) of the label name starting at `i`, or `i` when there is none. */
export function scanLabelName(s: string, i: number, end: number): number {
  if (i >= end || !isLabelNameStart(s.charCodeAt(i))) return i;
  i++;
  while (i < end && isLabelNameChar(s.charCodeAt(i))) i++;
  return i;
}

/** Index of the next space or `end`. */
export function scanToSpace(s: string, i: number, end: number): number {
  while (i < end && s.charCodeAt(i) !== C_SPACE) i++;
  return i;
}

/** Number of Unicode code points in a string (surrogate pairs count once). */
export function codePointLength(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xdc00 || c > 0xdfff) n++;
  }
  return n;
}

function escapeForKey(v: string): string {
  return /[\\"\n]/.test(v) ? v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n') : v;
}

/**
 * Canonical text of a label set without `skip`: names sorted, `name="escaped value"` joined
 * by commas. It equals the raw exposition text of a sorted, escape-free label set, so a
 * scanner may use a slice of the body instead when it knows the labels are in that form.
 */
export function labelKey(names: readonly string[], values: readonly string[], count: number, skip: string | undefined): string {
  const order: number[] = [];
  for (let i = 0; i < count; i++) {
    if (names[i] === skip) continue;
    const n = names[i]!;
    let j = order.length;
    while (j > 0 && names[order[j - 1]!]! > n) {
      order[j] = order[j - 1]!;
      j--;
    }
    order[j] = i;
  }
  let key = '';
  for (const i of order) key += `${key === '' ? '' : ','}${names[i]}="${escapeForKey(values[i]!)}"`;
  return key;
}

/** Index of a duplicated label name among the first `count`, or -1. */
export function findDuplicateLabel(names: readonly string[], count: number): number {
  if (count < 2) return -1;
  if (count <= 16) {
    for (let i = 1; i < count; i++) {
      const n = names[i];
      for (let j = 0; j < i; j++) if (names[j] === n) return i;
    }
    return -1;
  }
  const seen = new Set<string>();
  for (let i = 0; i < count; i++) {
    if (seen.has(names[i]!)) return i;
    seen.add(names[i]!);
  }
  return -1;
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Decodes a body as strict UTF-8 (both formats require it); a string passes through. */
export function decodeBody(body: string | Uint8Array): string | undefined {
  if (typeof body === 'string') return body;
  try {
    return utf8.decode(body);
  } catch {
    return undefined;
  }
}

/**
 * Returns `prev` when s[start, end) spells it, else a new slice. Consecutive samples repeat
 * their metric and label names, so this saves most name allocations and lets later lookups
 * compare identical strings.
 */
export function sliceReusing(s: string, start: number, end: number, prev: string | undefined): string {
  if (prev !== undefined && prev.length === end - start && s.startsWith(prev, start)) return prev;
  return s.slice(start, end);
}
