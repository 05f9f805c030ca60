/** Prometheus remote-write 1.0 and 2.0: decode and validate requests, encode them. */
export type { BucketSpan, DecodedWriteRequest, Label, RwExemplar, RwHistogram, RwMetadata, RwMetricType, RwRejection, RwSample, RwSeriesMetadata, RwTimeSeries } from './types.js';
export { RemoteWriteDecodeError } from './errors.js';
export { decodeRemoteWrite, decodeRemoteWriteColumns, decompressSnappy, remoteWriteVersionOf, writtenHeaders, RW1_CONTENT_TYPE, RW1_PROTO, RW2_PROTO, type DecodeOptions, type RemoteWriteHeaders, type DecodedColumns } from './request.js';
export { decodeWriteRequestV1Columns, decodeWriteRequestV2Columns, isStaleAt, toColumns, type KnownSeries, type RwColumns, type RwSeriesColumns } from './decode-columns.js';
export { decodeWriteRequestV1, decodeWriteRequestV2 } from './decode.js';
export { compressWriteRequest, encodeWriteRequestV1, encodeWriteRequestV2, type EncodableSeries } from './encode.js';
export { validateSeries } from './validate.js';
export { runRemoteWriteConformance } from './conformance.js';
