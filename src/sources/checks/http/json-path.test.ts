import { describe, expect, it } from 'vitest';
import { evaluateJsonPath, formatJsonPath, jsonEquals, parseJsonPath, type JsonPathSegment } from './json-path.js';

function segments(path: string): JsonPathSegment[] {
  const r = parseJsonPath(path);
  if ('error' in r) throw new Error(r.error);
  return r.segments;
}

const doc = {
  status: 'ok',
  'odd key': { "it's": 1 },
  items: [{ id: 17, tags: ['a', 'b'] }, { id: 18, name: null }],
  'x-version': '1.4',
};

describe('JSON path subset', () => {
  it('parses members, quoted names and indexes', () => {
    expect(segments('$')).toEqual([]);
    expect(segments('$.items[0].id')).toEqual([
      { kind: 'member', name: 'items' },
      { kind: 'index', index: 0 },
      { kind: 'member', name: 'id' },
    ]);
    expect(segments(`$["odd key"]['it\\'s']`)).toEqual([
      { kind: 'member', name: 'odd key' },
      { kind: 'member', name: "it's" },
    ]);
    expect(segments('$.items[-1]')).toEqual([{ kind: 'member', name: 'items' }, { kind: 'index', index: -1 }]);
  });

  it('explains what is wrong with a path', () => {
    expect(parseJsonPath('items')).toEqual({ error: 'JSON path must start with "$", e.g. "$.status" (got "items")' });
    expect(parseJsonPath('$.')).toEqual({ error: 'expected a member name after "." at position 2 of "$."' });
    expect(parseJsonPath('$.items[*]')).toHaveProperty('error', expect.stringContaining('expected an index like [0]'));
    expect(parseJsonPath('$..id')).toHaveProperty('error', expect.stringContaining('expected a member name'));
    expect(parseJsonPath('$["open')).toHaveProperty('error', expect.stringContaining('unterminated quoted name'));
    expect(parseJsonPath('$ status')).toHaveProperty('error', expect.stringContaining('no wildcards or filters'));
  });

  it('finds values, including null and the last element', () => {
    expect(evaluateJsonPath(doc, segments('$.status'))).toEqual({ found: true, value: 'ok' });
    expect(evaluateJsonPath(doc, segments('$.items[0].tags[1]'))).toEqual({ found: true, value: 'b' });
    expect(evaluateJsonPath(doc, segments('$.items[-1].id'))).toEqual({ found: true, value: 18 });
    expect(evaluateJsonPath(doc, segments('$.items[1].name'))).toEqual({ found: true, value: null });
    expect(evaluateJsonPath(doc, segments('$["odd key"]["it\'s"]'))).toEqual({ found: true, value: 1 });
    expect(evaluateJsonPath(doc, segments('$.x-version'))).toEqual({ found: true, value: '1.4' });
    expect(evaluateJsonPath(doc, segments('$'))).toEqual({ found: true, value: doc });
  });

  it('says which step was missing', () => {
    expect(evaluateJsonPath(doc, segments('$.items[5].id'))).toEqual({ found: false, missing: '$.items[5]' });
    expect(evaluateJsonPath(doc, segments('$.status.code'))).toEqual({ found: false, missing: '$.status.code' });
    expect(evaluateJsonPath(doc, segments('$.status[0]'))).toEqual({ found: false, missing: '$.status[0]' });
    expect(evaluateJsonPath(doc, segments('$.items[-3]'))).toEqual({ found: false, missing: '$.items[-3]' });
    // Inherited properties are not members of the JSON document.
    expect(evaluateJsonPath(doc, segments('$.constructor'))).toEqual({ found: false, missing: '$.constructor' });
  });

  it('formats paths canonically', () => {
    expect(formatJsonPath(segments(`$['items'][0]["odd key"]`))).toBe('$.items[0]["odd key"]');
  });

  it('compares JSON values deeply, ignoring key order', () => {
    expect(jsonEquals({ a: [1, { b: null }], c: 'x' }, { c: 'x', a: [1, { b: null }] })).toBe(true);
    expect(jsonEquals({ a: 1 }, { a: 1, b: 2 })).toBe(false);
    expect(jsonEquals([1, 2], [2, 1])).toBe(false);
    expect(jsonEquals(1, '1')).toBe(false);
    expect(jsonEquals(null, {})).toBe(false);
    expect(jsonEquals([], {})).toBe(false);
  });
});
