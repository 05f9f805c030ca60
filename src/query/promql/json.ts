import type { Labels } from '../../core/labels.js';
import type { QueryResult } from './engine.js';
import { formatFloatPlain } from './format.js';

/** One sample as Prometheus's HTTP API writes it: [unix seconds, "value"]. */
export type PromJsonSample = [number, string];

export type PromJsonData =
  | { resultType: 'vector'; result: { metric: Labels; value: PromJsonSample }[] }
  | { resultType: 'matrix'; result: { metric: Labels; values: PromJsonSample[] }[] }
  | { resultType: 'scalar'; result: PromJsonSample }
  | { resultType: 'string'; result: [number, string] };

const sample = (t: number, v: number): PromJsonSample => [t / 1000, formatFloatPlain(v)];

/** Builds exactly the `data` object of Prometheus's /api/v1/query and /api/v1/query_range. */
export function toPrometheusJson(r: QueryResult): PromJsonData {
  switch (r.resultType) {
    case 'vector':
      return { resultType: 'vector', result: r.result.map((s) => ({ metric: s.metric, value: sample(s.t, s.value) })) };
    case 'matrix':
      return {
        resultType: 'matrix',
        result: r.result.map((s) => ({ metric: s.metric, values: s.values.map((p) => sample(p.t, p.v)) })),
      };
    case 'scalar':
      return { resultType: 'scalar', result: sample(r.result.t, r.result.value) };
    case 'string':
      return { resultType: 'string', result: [r.result.t / 1000, r.result.value] };
  }
}
