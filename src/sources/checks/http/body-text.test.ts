import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { bodyCharset, decodeBody, decodeContent } from './body-text.js';

describe('body decoding', () => {
  it('decodes the charset the server names, UTF-8 otherwise', () => {
    expect(bodyCharset({ 'content-type': 'text/html; charset="Shift_JIS"' })).toBe('shift_jis');
    expect(bodyCharset({ 'content-type': 'text/html; charset=nonsense' })).toBe('utf-8');
    expect(decodeBody(Buffer.from([0x83, 0x65, 0x83, 0x58, 0x83, 0x67]), { 'content-type': 'text/plain; charset=shift_jis' })).toBe('テスト');
    expect(decodeBody(Buffer.from([0x61, 0xff, 0x62]), {})).toBe('a\ufffdb');
  });

  it('undoes gzip, deflate and br', () => {
    const text = Buffer.from('Add to cart '.repeat(100));
    expect(decodeContent(zlib.gzipSync(text), { 'content-encoding': 'gzip' }, 1 << 20).body.equals(text)).toBe(true);
    expect(decodeContent(zlib.deflateSync(text), { 'content-encoding': 'deflate' }, 1 << 20).body.equals(text)).toBe(true);
    expect(decodeContent(zlib.brotliCompressSync(text), { 'content-encoding': 'br' }, 1 << 20).body.equals(text)).toBe(true);
    expect(decodeContent(text, {}, 1 << 20)).toEqual({ body: text, truncated: false });
  });

  it('caps a compression bomb at the limit', () => {
    const bomb = zlib.gzipSync(Buffer.alloc(8 << 20));
    expect(bomb.length).toBeLessThan(64 * 1024);
    expect(decodeContent(bomb, { 'content-encoding': 'gzip' }, 1 << 20)).toMatchObject({ truncated: true });
  });

  it('reports a body that is not in its declared encoding', () => {
    expect(decodeContent(Buffer.from('plain'), { 'content-encoding': 'gzip' }, 1 << 20).error).toMatch(/^body is not valid gzip \(/);
    expect(decodeContent(Buffer.from('x'), { 'content-encoding': 'zstd' }, 1 << 20).error).toBe('unsupported Content-Encoding "zstd"');
  });
});
