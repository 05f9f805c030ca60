import { gunzipSync } from 'node:zlib';
import { RemoteWriteDecodeError } from '../remote-write/errors.js';
import { decodeOtlpMetricsJson } from './decode-json.js';
import { decodeOtlpMetricsProtobuf } from './decode-protobuf.js';
import { OtlpDecodeError } from './errors.js';
import type { OtlpMetricsRequest } from './model.js';
import { translateOtlpMetrics, type OtlpTranslateOptions, type OtlpTranslation } from './translate.js';

export interface OtlpHeaders {
  'content-type'?: string | undefined;
  'content-encoding'?: string | undefined;
}

/** OTLP/HTTP sends `application/x-protobuf` or `application/json`. */
export function otlpEncodingOf(contentType: string | undefined): 'protobuf' | 'json' {
  const media = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (media === 'application/x-protobuf' || media === 'application/protobuf' || media === '') return 'protobuf';
  if (media === 'application/json') return 'json';
  throw new OtlpDecodeError('KSK_OTLP_CONTENT_TYPE', `OTLP/HTTP needs Content-Type application/x-protobuf or application/json, got ${JSON.stringify(contentType)}`);
}

/** Decodes an OTLP/HTTP metrics body (gzip or identity) into the encoding-neutral model. */
export function decodeOtlpMetrics(body: Uint8Array, headers: OtlpHeaders = {}, maxBytes = 64 * 1024 * 1024): OtlpMetricsRequest {
  const encoding = headers['content-encoding']?.trim().toLowerCase();
  let raw = body;
  if (encoding === 'gzip') {
    try {
      raw = gunzipSync(body, { maxOutputLength: maxBytes });
    } catch (err) {
      throw new OtlpDecodeError('KSK_OTLP_GZIP_INVALID', `OTLP/HTTP body is not valid gzip (or larger than ${maxBytes} bytes): ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
  } else if (encoding !== undefined && encoding !== '' && encoding !== 'identity') {
    throw new OtlpDecodeError('KSK_OTLP_CONTENT_ENCODING', `OTLP/HTTP Content-Encoding must be gzip or none, got ${JSON.stringify(headers['content-encoding'])}`);
  }
  if (otlpEncodingOf(headers['content-type']) === 'json') return decodeOtlpMetricsJson(raw);
  try {
    return decodeOtlpMetricsProtobuf(raw);
  } catch (err) {
    if (err instanceof RemoteWriteDecodeError) throw new OtlpDecodeError('KSK_OTLP_PROTOBUF_INVALID', `OTLP/HTTP metrics ${err.message}`, { cause: err });
    throw err;
  }
}

/** Decode and translate in one step: what an `/otlp/v1/metrics` handler calls. */
export function ingestOtlpMetrics(body: Uint8Array, headers: OtlpHeaders = {}, options?: OtlpTranslateOptions): OtlpTranslation {
  return translateOtlpMetrics(decodeOtlpMetrics(body, headers), options);
}
