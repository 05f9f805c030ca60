import { decodeWriteRequestV1, decodeWriteRequestV2 } from './decode.js';
import { decodeWriteRequestV1Columns, decodeWriteRequestV2Columns, type KnownSeries, type RwColumns } from './decode-columns.js';
import { RemoteWriteDecodeError } from './errors.js';
import { uncompressSnappyBlock } from './snappy-block.js';
import type { DecodedWriteRequest, Label, RwRejection } from './types.js';
import { validateSeries } from './validate.js';

export interface RemoteWriteHeaders {
  'content-encoding'?: string | undefined;
  'content-type'?: string | undefined;
  'x-prometheus-remote-write-version'?: string | undefined;
}

export interface DecodeOptions {
  /** Refuse bodies that decompress to more than this (default 64 MiB): snappy bombs. */
  maxDecompressedBytes?: number;
}

const DEFAULT_MAX = 64 * 1024 * 1024;

export const RW1_CONTENT_TYPE = 'application/x-protobuf';
export const RW2_PROTO = 'io.prometheus.write.v2.Request';
export const RW1_PROTO = 'prometheus.WriteRequest';

/**
 * Which schema a Content-Type names. RW 1.0 senders send plain `application/x-protobuf`;
 * RW 2.0 senders add `proto=io.prometheus.write.v2.Request`.
 */
export function remoteWriteVersionOf(contentType: string | undefined): '1.0' | '2.0' {
  if (contentType === undefined || contentType.trim() === '') return '1.0';
  const [media, ...params] = contentType.split(';').map((p) => p.trim());
  if (media!.toLowerCase() !== RW1_CONTENT_TYPE) {
    throw new RemoteWriteDecodeError('KSK_RW_CONTENT_TYPE', `remote-write needs Content-Type ${RW1_CONTENT_TYPE}, got ${JSON.stringify(contentType)}`);
  }
  for (const p of params) {
    const eq = p.indexOf('=');
    if (eq < 0 || p.slice(0, eq).trim().toLowerCase() !== 'proto') continue;
    const proto = p.slice(eq + 1).trim().replace(/^"|"$/g, '');
    if (proto === RW2_PROTO) return '2.0';
    if (proto === RW1_PROTO) return '1.0';
    throw new RemoteWriteDecodeError('KSK_RW_CONTENT_TYPE', `remote-write proto ${JSON.stringify(proto)} is not supported; use ${RW1_PROTO} or ${RW2_PROTO}`);
  }
  return '1.0';
}

/**
 * Snappy block-format decompression with a size guard (the framed format is not accepted).
 * `reuse`: the result may be overwritten by the next such call (see uncompressSnappyBlock).
 */
export function decompressSnappy(body: Uint8Array, maxBytes = DEFAULT_MAX, reuse = false): Uint8Array {
  try {
    return uncompressSnappyBlock(body, maxBytes, reuse);
  } catch (err) {
    throw new RemoteWriteDecodeError('KSK_RW_SNAPPY_INVALID', `remote-write body is not a valid snappy block: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}

/**
 * Decodes and validates one remote-write HTTP request body. Throws RemoteWriteDecodeError when
 * the body cannot be read (answer 400, the sender must not retry); invalid series come back in
 * `rejected` while the valid ones are kept (answer 400 with the reasons after storing those,
 * as the spec allows).
 */
export function decodeRemoteWrite(body: Uint8Array, headers: RemoteWriteHeaders = {}, options: DecodeOptions = {}): DecodedWriteRequest {
  const encoding = headers['content-encoding']?.trim().toLowerCase();
  if (encoding !== undefined && encoding !== '' && encoding !== 'snappy') {
    throw new RemoteWriteDecodeError('KSK_RW_CONTENT_ENCODING', `remote-write needs Content-Encoding: snappy, got ${JSON.stringify(headers['content-encoding'])}`);
  }
  const version = remoteWriteVersionOf(headers['content-type']);
  const raw = decompressSnappy(body, options.maxDecompressedBytes ?? DEFAULT_MAX);
  const decoded = version === '2.0' ? { ...decodeWriteRequestV2(raw), metadata: [] } : decodeWriteRequestV1(raw);
  const rejected: RwRejection[] = [];
  const timeseries = decoded.timeseries.filter((ts, index) => {
    const reason = validateSeries(ts);
    if (reason === undefined) return true;
    rejected.push({ index, labels: ts.labels, reason });
    return false;
  });
  return { version, timeseries, metadata: decoded.metadata, rejected };
}

export interface DecodedColumns extends RwColumns {
  version: '1.0' | '2.0';
  /** Series dropped by validation, with the reason and how many samples and histograms they carried. */
  rejected: { index: number; labels: Label[]; reason: string; samples: number }[];
}

/**
 * decodeRemoteWrite's checks and validation, decoding into columns (decode-columns.ts): the
 * ingest path's form. `series` holds only the valid series; their rows stay where they are.
 * `known` (see decodeWriteRequestV1Columns) must return only series that passed validation.
 */
export function decodeRemoteWriteColumns(body: Uint8Array, headers: RemoteWriteHeaders = {}, options: DecodeOptions = {}, known?: (key: string) => KnownSeries | undefined): DecodedColumns {
  const encoding = headers['content-encoding']?.trim().toLowerCase();
  if (encoding !== undefined && encoding !== '' && encoding !== 'snappy') {
    throw new RemoteWriteDecodeError('KSK_RW_CONTENT_ENCODING', `remote-write needs Content-Encoding: snappy, got ${JSON.stringify(headers['content-encoding'])}`);
  }
  const version = remoteWriteVersionOf(headers['content-type']);
  // The RW 1.0 column decoder copies what it keeps out of the bytes, so they can go into the reused buffer.
  const raw = decompressSnappy(body, options.maxDecompressedBytes ?? DEFAULT_MAX, version === '1.0');
  const cols = version === '2.0' ? decodeWriteRequestV2Columns(raw) : decodeWriteRequestV1Columns(raw, known);
  const rejected: DecodedColumns['rejected'] = [];
  let bad = false;
  for (let i = 0; i < cols.series.length; i++) {
    const s = cols.series[i]!;
    if (s.known !== undefined) continue; // validated when it was first seen
    const labels = s.labels;
    const reason = validateSeries(s);
    if (s.labels !== labels) s.key = undefined; // empty-valued labels were dropped: the wire bytes no longer name it
    if (reason === undefined) continue;
    rejected.push({ index: i, labels: s.labels, reason, samples: s.end - s.start + s.histograms });
    bad = true;
  }
  const refused = new Set(rejected.map((r) => r.index));
  const series = bad ? cols.series.filter((_, i) => !refused.has(i)) : cols.series;
  return { version, series, t: cols.t, v: cols.v, metadata: cols.metadata, rejected };
}

/**
 * The RW 2.0 `X-Prometheus-Remote-Write-{Samples,Histograms,Exemplars}-Written` response
 * headers for what was accepted (the valid series); the HTTP edge sends them after storing.
 */
export function writtenHeaders(decoded: DecodedWriteRequest): Record<string, string> {
  let samples = 0;
  let histograms = 0;
  let exemplars = 0;
  for (const ts of decoded.timeseries) {
    samples += ts.samples.length;
    histograms += ts.histograms.length;
    exemplars += ts.exemplars.length;
  }
  return {
    'X-Prometheus-Remote-Write-Samples-Written': String(samples),
    'X-Prometheus-Remote-Write-Histograms-Written': String(histograms),
    'X-Prometheus-Remote-Write-Exemplars-Written': String(exemplars),
  };
}
