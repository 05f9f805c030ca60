import type { Labels } from '../core/labels.js';
import type { PromqlEngine } from '../query/promql/index.js';
import { PromqlEvalError } from '../query/promql/index.js';

/** One sample of an instant vector. */
export interface QuerySample {
  metric: Labels;
  value: number;
  /** Evaluation time (ms). */
  t: number;
}

/**
 * The port rules evaluate through (Prometheus `rules.QueryFunc`): an instant query at a time,
 * returning a vector. A scalar result becomes one sample with no labels, as in Prometheus.
 */
export type QueryFunc = (expr: string, timeMs: number, signal?: AbortSignal) => Promise<QuerySample[]>;

/** A QueryFunc over Kansoku's PromQL engine (Prometheus `EngineQueryFunc`). */
export function engineQueryFunc(engine: Pick<PromqlEngine, 'instantQuery'>): QueryFunc {
  return async (expr, timeMs, signal) => {
    const res = await engine.instantQuery(expr, timeMs, signal ? { signal } : {});
    switch (res.resultType) {
      case 'vector':
        return res.result.map((s) => ({ metric: s.metric, value: s.value, t: s.t }));
      case 'scalar':
        return [{ metric: {}, value: res.result.value, t: res.result.t }];
      default:
        throw new PromqlEvalError(`rule result is not a vector or scalar but a ${res.resultType}`);
    }
  };
}
