export { PromqlEngine, type EngineOptions, type QueryOptions, type QueryResult, type InstantSample, type RangeSeriesResult } from './engine.js';
export { toPrometheusJson, type PromJsonData, type PromJsonSample } from './json.js';
export { parseExpr, parseDuration } from './parser/parser.js';
export type * from './parser/ast.js';
export { PromqlParseError, PromqlEvalError, TooManySamplesError, QueryCanceledError } from './errors.js';
export { ColumnarSeries, MemorySeriesSource, STALE_NAN, isStaleNaN, type SeriesSource, type SeriesData, type SamplePoint, type SampleColumns } from './storage.js';
