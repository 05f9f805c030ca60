/**
 * OTLP metrics as Kansoku reads them, independent of the wire encoding: both the protobuf and
 * the JSON decoder produce this, and the Prometheus translation works on it. Attribute values
 * are already strings (as they become label values); timestamps are milliseconds.
 */

export type Attribute = [key: string, value: string];

export type OtlpMetricKind = 'gauge' | 'sum' | 'histogram' | 'exponentialHistogram' | 'summary' | 'empty';

/** AggregationTemporality: 0 unspecified, 1 delta, 2 cumulative. */
export type Temporality = 0 | 1 | 2;

export interface OtlpPoint {
  attributes: Attribute[];
  /** time_unix_nano in ms; 0 when unset. */
  timeMs: number;
  /** DataPointFlags; bit 0 = no recorded value (becomes a stale marker). */
  flags: number;
  /** Gauge / Sum value. */
  value?: number;
  /** Histogram / Summary. */
  count?: number;
  sum?: number;
  bucketCounts?: number[];
  explicitBounds?: number[];
  quantiles?: [quantile: number, value: number][];
}

export interface OtlpMetric {
  name: string;
  description: string;
  unit: string;
  kind: OtlpMetricKind;
  monotonic: boolean;
  temporality: Temporality;
  points: OtlpPoint[];
}

export interface OtlpScope {
  name: string;
  version: string;
  attributes: Attribute[];
  metrics: OtlpMetric[];
}

export interface OtlpResourceMetrics {
  resource: Attribute[];
  scopes: OtlpScope[];
}

export interface OtlpMetricsRequest {
  resourceMetrics: OtlpResourceMetrics[];
}
