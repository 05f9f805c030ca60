/** OTLP/HTTP metrics (protobuf and JSON) → Prometheus-style samples. */
export type { Attribute, OtlpMetric, OtlpMetricKind, OtlpMetricsRequest, OtlpPoint, OtlpResourceMetrics, OtlpScope } from './model.js';
export { OtlpDecodeError } from './errors.js';
export { decodeOtlpMetricsProtobuf } from './decode-protobuf.js';
export { decodeOtlpMetricsJson } from './decode-json.js';
export { translateOtlpMetrics, type OtlpFamilyMetadata, type OtlpSample, type OtlpTranslateOptions, type OtlpTranslation } from './translate.js';
export { prometheusLabelName, prometheusMetricName, prometheusUnit } from './naming.js';
export { decodeOtlpMetrics, ingestOtlpMetrics, otlpEncodingOf, type OtlpHeaders } from './request.js';
