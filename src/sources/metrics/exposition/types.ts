/**
 * The parsed shape of a scrape body (Prometheus text 0.0.4 or OpenMetrics 1.0 text). Both
 * formats produce the same shape so the scrape pipeline does not care which one a target spoke.
 */

/** OpenMetrics vocabulary; the text format's `untyped` is reported as `unknown`. */
export type MetricType =
  | 'counter'
  | 'gauge'
  | 'histogram'
  | 'gaugehistogram'
  | 'summary'
  | 'info'
  | 'stateset'
  | 'unknown';

export type ExpositionFormat = 'openmetrics' | 'text';

export type LabelSet = Record<string, string>;

export interface Exemplar {
  labels: LabelSet;
  value: number;
  /** Milliseconds since the Unix epoch (OpenMetrics seconds are converted). */
  timestamp?: number;
}

export interface FamilySample {
  /** The sample's own metric name, e.g. `http_requests_total` in family `http_requests`. */
  name: string;
  /** The sample's labels without `__name__`. */
  labels: LabelSet;
  value: number;
  /** Milliseconds since the Unix epoch (OpenMetrics seconds are converted). */
  timestamp?: number;
  exemplar?: Exemplar;
}

export interface MetricFamily {
  name: string;
  type: MetricType;
  /** Empty when the exposition gave no HELP (the spec treats both the same). */
  help: string;
  /** Empty when the exposition gave no UNIT. */
  unit: string;
  samples: FamilySample[];
}

export interface ParsedExposition {
  families: MetricFamily[];
}

/** One sample ready for storage: `labels` includes `__name__` and no empty values. */
export interface FlatSample {
  labels: LabelSet;
  value: number;
  timestampMs?: number;
}

/**
 * What a scanner hands each sample to. `labelNames`/`labelValues` are reused between calls
 * (only the first `labelCount` entries are valid), so a sink that keeps them must copy.
 * This lets the flat path skip the per-family objects and the OpenMetrics validator skip
 * building label objects it would throw away.
 */
export interface SampleSink {
  sample(
    family: MetricFamily,
    name: string,
    labelNames: readonly string[],
    labelValues: readonly string[],
    labelCount: number,
    value: number,
    timestampMs: number | undefined,
    exemplar: Exemplar | undefined,
  ): void;
}
