import { describe, expect, it } from 'vitest';
import { compileGlob, formatBytes, globToRegExp, parseByteSize } from './index.js';

describe('glob matching', () => {
  it.each([
    ['*.xml', ['a.xml', '.hidden.xml', 'x/y/a.xml'], ['a.xml.tmp', 'a.json']],
    ['msg-??.eml', ['msg-01.eml'], ['msg-1.eml', 'msg-001.eml']],
    ['[ab]*.log', ['a1.log', 'b.log'], ['c.log']],
    ['[!ab]*.log', ['c.log'], ['a.log']],
    ['*.{xml,json}', ['a.xml', 'b.json'], ['c.txt']],
    ['out/*.xml', ['out/a.xml'], ['a.xml', 'out/sub/a.xml']],
    ['**/*.xml', ['a.xml', 'out/a.xml', 'out/sub/a.xml'], ['a.json']],
    ['out/**', ['out/a', 'out/b/c'], ['in/a']],
    ['a\\*b', ['a*b'], ['axb']],
    ['a+b(1).txt', ['a+b(1).txt'], ['aab1.txt']],
  ])('%s', (pattern, yes, no) => {
    const g = compileGlob(pattern);
    for (const p of yes) expect(g.matches(p), p).toBe(true);
    for (const p of no) expect(g.matches(p), p).toBe(false);
  });

  it('* and ? never cross a folder boundary', () => {
    expect(globToRegExp('a*').test('ab/c')).toBe(false);
    expect(globToRegExp('a?c').test('a/c')).toBe(false);
  });

  it('refuses an unclosed brace', () => {
    expect(() => globToRegExp('*.{xml')).toThrow(/unclosed "\{"/);
  });
});

describe('byte sizes', () => {
  it.each([
    ['1024', 1024],
    ['500KB', 500_000],
    ['10MiB', 10 * 1024 * 1024],
    ['1.5GB', 1_500_000_000],
    ['2 tib', 2 * 1024 ** 4],
  ])('%s = %i bytes', (text, n) => expect(parseByteSize(text)).toBe(n));
  it('rejects other units', () => {
    expect(parseByteSize('10 apples')).toBeUndefined();
    expect(parseByteSize('-1')).toBeUndefined();
  });
  it('formats bytes for people', () => {
    expect([formatBytes(12), formatBytes(2048), formatBytes(5 * 1024 ** 3)]).toEqual(['12 B', '2.0 KiB', '5.0 GiB']);
  });
});
