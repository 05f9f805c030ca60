/** Decoded remote-write requests (RW 1.0 `prometheus.WriteRequest`, RW 2.0 `io.prometheus.write.v2.Request`). */

export type Label = [name: string, value: string];

export interface RwSample {
  /** Milliseconds since the Unix epoch. */
  t: number;
  v: number;
  /** The sample is Prometheus' stale marker (NaN with bits 0x7ff0000000000002). */
  stale?: true;
  /** RW 2.0 only: the start (created) timestamp in ms, when the sender gave one. */
  start?: number;
}

export interface RwExemplar {
  labels: Label[];
  value: number;
  t: number;
}

export interface BucketSpan {
  offset: number;
  length: number;
}

/** A native histogram as sent; counts are integers unless the sender used float counts. */
export interface RwHistogram {
  t: number;
  count: number;
  /** True when the histogram used the float variants of count/zero_count/buckets. */
  float: boolean;
  sum: number;
  schema: number;
  zeroThreshold: number;
  zeroCount: number;
  negativeSpans: BucketSpan[];
  negativeDeltas: number[];
  negativeCounts: number[];
  positiveSpans: BucketSpan[];
  positiveDeltas: number[];
  positiveCounts: number[];
  resetHint: 'unknown' | 'yes' | 'no' | 'gauge';
  customValues: number[];
  startTimestamp?: number;
}

export interface RwTimeSeries {
  /** Labels in wire order (after validation: sorted, unique, no empty values). */
  labels: Label[];
  samples: RwSample[];
  exemplars: RwExemplar[];
  histograms: RwHistogram[];
  /** RW 2.0 only: the series' metadata. */
  metadata?: RwSeriesMetadata;
}

export type RwMetricType = 'unknown' | 'counter' | 'gauge' | 'histogram' | 'gaugehistogram' | 'summary' | 'info' | 'stateset';

export const RW_METRIC_TYPES: readonly RwMetricType[] = ['unknown', 'counter', 'gauge', 'histogram', 'gaugehistogram', 'summary', 'info', 'stateset'];

export interface RwMetadata {
  type: RwMetricType;
  metricFamilyName: string;
  help: string;
  unit: string;
}

export interface RwSeriesMetadata {
  type: RwMetricType;
  help: string;
  unit: string;
}

export interface RwRejection {
  /** Index of the series in the request. */
  index: number;
  labels: Label[];
  reason: string;
}

export interface DecodedWriteRequest {
  version: '1.0' | '2.0';
  /** Series that passed validation. */
  timeseries: RwTimeSeries[];
  /** RW 1.0 metadata entries (RW 2.0 carries metadata per series). */
  metadata: RwMetadata[];
  /** Series dropped by validation, with the reason; the request as a whole still succeeds. */
  rejected: RwRejection[];
}
