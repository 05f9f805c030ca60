import { scanOpenMetrics, type OpenMetricsMode } from './openmetrics-parser.js';
import { scanTextFormat } from './text-parser.js';
import type { Exemplar, ExpositionFormat, FlatSample, LabelSet, MetricFamily, ParsedExposition, SampleSink } from './types.js';

function labelObject(names: readonly string[], values: readonly string[], count: number): LabelSet {
  const labels: LabelSet = {};
  for (let k = 0; k < count; k++) labels[names[k]!] = values[k]!;
  return labels;
}

const familySink: SampleSink = {
  sample(family, name, names, values, count, value, timestampMs, exemplar) {
    const sample: MetricFamily['samples'][number] = { name, labels: labelObject(names, values, count), value };
    if (timestampMs !== undefined) sample.timestamp = timestampMs;
    if (exemplar !== undefined) sample.exemplar = exemplar;
    family.samples.push(sample);
  },
};

export interface ParseOptions {
  /** OpenMetrics only: `strict` (default) or `compatible`, see OpenMetricsMode. */
  mode?: OpenMetricsMode;
}

function scan(body: string | Uint8Array, format: ExpositionFormat, sink: SampleSink, options: ParseOptions | undefined): MetricFamily[] {
  return format === 'openmetrics' ? scanOpenMetrics(body, sink, options?.mode) : scanTextFormat(body, sink);
}

/** Parses a scrape body into metric families. Throws ExpositionParseError naming the line. */
export function parseExposition(body: string | Uint8Array, format: ExpositionFormat, options?: ParseOptions): ParsedExposition {
  return { families: scan(body, format, familySink, options) };
}

export function parseOpenMetrics(body: string | Uint8Array, options?: ParseOptions): ParsedExposition {
  return parseExposition(body, 'openmetrics', options);
}

export function parseTextFormat(body: string | Uint8Array): ParsedExposition {
  return parseExposition(body, 'text');
}

/**
 * Parses straight to storage-ready samples (labels incl. `__name__`, labels with empty
 * values dropped as Prometheus does), without building the
 * per-family sample objects: the path a scrape loop uses. Exemplars are handed to
 * `onExemplar` when given, else dropped (the spec lets ingestors discard them).
 */
export function parseExpositionSamples(
  body: string | Uint8Array,
  format: ExpositionFormat,
  options?: ParseOptions & { onExemplar?: (sample: FlatSample, exemplar: Exemplar) => void },
): FlatSample[] {
  const onExemplar = options?.onExemplar;
  const out: FlatSample[] = [];
  const sink: SampleSink = {
    sample(_family, name, names, values, count, value, timestampMs, exemplar) {
      const labels: LabelSet = { __name__: name };
      // An empty value means "no such label" (OpenMetrics: treat as not present; Prometheus drops it).
      for (let k = 0; k < count; k++) if (values[k] !== '') labels[names[k]!] = values[k]!;
      const s: FlatSample = timestampMs === undefined ? { labels, value } : { labels, value, timestampMs };
      out.push(s);
      if (exemplar !== undefined && onExemplar !== undefined) onExemplar(s, exemplar);
    },
  };
  scan(body, format, sink, options);
  return out;
}

/** Flattens parsed families into storage-ready samples (labels incl. `__name__`, empty values dropped). */
export function flattenFamilies(parsed: ParsedExposition): FlatSample[] {
  const out: FlatSample[] = [];
  for (const f of parsed.families) {
    for (const s of f.samples) {
      const labels: LabelSet = { __name__: s.name };
      for (const k in s.labels) if (s.labels[k] !== '') labels[k] = s.labels[k]!;
      out.push(s.timestamp === undefined ? { labels, value: s.value } : { labels, value: s.value, timestampMs: s.timestamp });
    }
  }
  return out;
}

/** Counts samples without materialising any: the cheapest validation of a body. */
export function validateExposition(body: string | Uint8Array, format: ExpositionFormat, options?: ParseOptions): { families: number; samples: number } {
  let samples = 0;
  const families = scan(body, format, { sample: () => void samples++ }, options);
  return { families: families.length, samples };
}
