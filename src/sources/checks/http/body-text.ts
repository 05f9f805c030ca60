import zlib from 'node:zlib';
import type { IncomingHttpHeaders } from 'node:http';

/** Charset named by Content-Type, when TextDecoder knows it; otherwise UTF-8 (what browsers assume for most modern pages). */
export function bodyCharset(headers: IncomingHttpHeaders): string {
  const m = /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(headers['content-type'] ?? '');
  if (!m) return 'utf-8';
  try {
    return new TextDecoder(m[1]).encoding;
  } catch {
    return 'utf-8';
  }
}

/** The body as text for assertions; invalid bytes become U+FFFD instead of failing the check. */
export function decodeBody(body: Buffer, headers: IncomingHttpHeaders): string {
  return new TextDecoder(bodyCharset(headers), { fatal: false }).decode(body);
}

export interface DecodedContent {
  body: Buffer;
  /** The decompressed body was cut at the limit (a small gzip can expand enormously). */
  truncated: boolean;
  /** Set when the body claims an encoding it is not in. */
  error?: string;
}

/**
 * Undoes Content-Encoding (gzip, deflate, br) so assertions see the text a browser would, with
 * the output capped at `maxBytes` so a compression bomb cannot fill memory. Node sends no
 * Accept-Encoding by default; this matters when a spec sets one.
 */
export function decodeContent(body: Buffer, headers: IncomingHttpHeaders, maxBytes: number): DecodedContent {
  const encoding = String(headers['content-encoding'] ?? '').trim().toLowerCase();
  if (encoding === '' || encoding === 'identity' || body.length === 0) return { body, truncated: false };
  const options = { maxOutputLength: maxBytes, finishFlush: zlib.constants.Z_SYNC_FLUSH };
  try {
    if (encoding === 'gzip' || encoding === 'x-gzip') return { body: zlib.gunzipSync(body, options), truncated: false };
    if (encoding === 'deflate') return { body: zlib.inflateSync(body, options), truncated: false };
    if (encoding === 'br') return { body: zlib.brotliDecompressSync(body, { maxOutputLength: maxBytes }), truncated: false };
  } catch (err) {
    if (err instanceof RangeError) return { body: Buffer.alloc(0), truncated: true };
    return { body, truncated: false, error: `body is not valid ${encoding} (${err instanceof Error ? err.message : String(err)})` };
  }
  return { body, truncated: false, error: `unsupported Content-Encoding ${JSON.stringify(encoding)}` };
}
