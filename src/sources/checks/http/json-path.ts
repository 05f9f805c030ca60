/**
 * A small, documented JSONPath subset for assertions on JSON bodies. One path names at most one
 * value, so "equals" and comparisons stay unambiguous:
 *
 *   $                 the whole document
 *   $.status          member "status" (letters, digits, _, $ and -)
 *   $["odd key"]      member by quoted name ('…' or "…", backslash escapes \\ \' \")
 *   $.items[0]        array element; negative indexes count from the end ($.items[-1] is the last)
 *   $.items[0].id     any chain of the above
 *
 * Wildcards, filters and recursive descent are deliberately not supported.
 */

export type JsonPathSegment = { kind: 'member'; name: string } | { kind: 'index'; index: number };

const IDENT = /^[A-Za-z0-9_$-]+/;

/** Parses `path`; returns the segments or an error message that says where it went wrong. */
export function parseJsonPath(path: string): { segments: JsonPathSegment[] } | { error: string } {
  if (!path.startsWith('$')) return { error: `JSON path must start with "$", e.g. "$.status" (got ${JSON.stringify(path)})` };
  const segments: JsonPathSegment[] = [];
  let i = 1;
  while (i < path.length) {
    const c = path[i];
    if (c === '.') {
      const m = IDENT.exec(path.slice(i + 1));
      if (!m) return { error: `expected a member name after "." at position ${i + 1} of ${JSON.stringify(path)}` };
      segments.push({ kind: 'member', name: m[0] });
      i += 1 + m[0].length;
    } else if (c === '[') {
      const rest = path.slice(i + 1);
      const idx = /^(-?\d+)\]/.exec(rest);
      if (idx) {
        segments.push({ kind: 'index', index: Number(idx[1]) });
        i += 1 + idx[0].length;
        continue;
      }
      const quoteChar = rest[0];
      if (quoteChar !== '"' && quoteChar !== "'") {
        return { error: `expected an index like [0] or a quoted name like ["key"] at position ${i} of ${JSON.stringify(path)} (no wildcards or filters)` };
      }
      let name = '';
      let j = 1;
      for (; j < rest.length && rest[j] !== quoteChar; j++) {
        if (rest[j] === '\\' && j + 1 < rest.length) j++;
        name += rest[j];
      }
      if (rest[j] !== quoteChar || rest[j + 1] !== ']') {
        return { error: `unterminated quoted name at position ${i} of ${JSON.stringify(path)}` };
      }
      segments.push({ kind: 'member', name });
      i += 1 + j + 2;
    } else {
      return {
        error: `unexpected ${JSON.stringify(c)} at position ${i} of ${JSON.stringify(path)}; supported: $.name, $["name"], $[0] (no wildcards or filters)`,
      };
    }
  }
  return { segments };
}

/** Canonical text of a path, used in messages: $.items[0]["odd key"]. */
export function formatJsonPath(segments: readonly JsonPathSegment[]): string {
  let out = '$';
  for (const s of segments) {
    if (s.kind === 'index') out += `[${s.index}]`;
    else out += /^[A-Za-z_$][A-Za-z0-9_$-]*$/.test(s.name) ? `.${s.name}` : `[${JSON.stringify(s.name)}]`;
  }
  return out;
}

export type JsonPathResult = { found: true; value: unknown } | { found: false; missing: string };

/** Follows `segments` into `doc`; when a step is absent, says which prefix was the last one found. */
export function evaluateJsonPath(doc: unknown, segments: readonly JsonPathSegment[]): JsonPathResult {
  let value: unknown = doc;
  for (let k = 0; k < segments.length; k++) {
    const s = segments[k]!;
    if (s.kind === 'index') {
      if (!Array.isArray(value)) return { found: false, missing: formatJsonPath(segments.slice(0, k + 1)) };
      const at = s.index < 0 ? value.length + s.index : s.index;
      if (at < 0 || at >= value.length) return { found: false, missing: formatJsonPath(segments.slice(0, k + 1)) };
      value = value[at];
    } else {
      if (value === null || typeof value !== 'object' || Array.isArray(value) || !Object.hasOwn(value, s.name)) {
        return { found: false, missing: formatJsonPath(segments.slice(0, k + 1)) };
      }
      value = (value as Record<string, unknown>)[s.name];
    }
  }
  return { found: true, value };
}

/** Deep equality of JSON values (objects compared by keys, not key order). */
export function jsonEquals(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => jsonEquals(x, b[i]));
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => Object.hasOwn(b, k) && jsonEquals((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}
