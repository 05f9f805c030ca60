/** Prometheus text 0.0.4 and OpenMetrics 1.0 scrape formats: parse, validate, write. */
export type { Exemplar, ExpositionFormat, FamilySample, FlatSample, LabelSet, MetricFamily, MetricType, ParsedExposition, SampleSink } from './types.js';
export { ExpositionParseError } from './errors.js';
export { flattenFamilies, parseExposition, parseExpositionSamples, parseOpenMetrics, parseTextFormat, validateExposition, type ParseOptions } from './parse.js';
export { scanOpenMetrics, type OpenMetricsMode } from './openmetrics-parser.js';
export { scanTextFormat } from './text-parser.js';
export { CONTENT_TYPES, SCRAPE_ACCEPT_HEADER, parseContentType } from './content-type.js';
export { formatExposition, formatValue, toOpenMetricsFamilies } from './format.js';
export { runExpositionConformance, runOpenMetricsConformance, runTextFormatConformance, type ConformanceResult } from './conformance.js';
