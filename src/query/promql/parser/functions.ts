import type { ValueType } from './ast.js';

export interface FunctionSignature {
  name: string;
  argTypes: ValueType[];
  /** 0: exact; n > 0: up to n optional trailing args of the last type; -1: unlimited. */
  variadic: number;
  returnType: ValueType;
}

const sig = (name: string, argTypes: ValueType[], returnType: ValueType = 'vector', variadic = 0): FunctionSignature => ({
  name,
  argTypes,
  variadic,
  returnType,
});

const V: ValueType = 'vector';
const M: ValueType = 'matrix';
const S: ValueType = 'scalar';
const STR: ValueType = 'string';

const simpleVector = [
  'abs', 'acos', 'acosh', 'asin', 'asinh', 'atan', 'atanh', 'ceil', 'cos', 'cosh', 'deg', 'exp', 'floor',
  'ln', 'log10', 'log2', 'rad', 'sgn', 'sin', 'sinh', 'sqrt', 'tan', 'tanh', 'sort', 'sort_desc', 'timestamp',
  'absent', 'histogram_avg', 'histogram_count', 'histogram_sum', 'histogram_stddev', 'histogram_stdvar',
];
const rangeFns = [
  'absent_over_time', 'avg_over_time', 'changes', 'count_over_time', 'delta', 'deriv', 'first_over_time',
  'idelta', 'increase', 'irate', 'last_over_time', 'mad_over_time', 'max_over_time', 'min_over_time',
  'present_over_time', 'rate', 'resets', 'stddev_over_time', 'stdvar_over_time', 'sum_over_time',
  'ts_of_first_over_time', 'ts_of_last_over_time', 'ts_of_max_over_time', 'ts_of_min_over_time',
];
const dateFns = ['days_in_month', 'day_of_month', 'day_of_week', 'day_of_year', 'hour', 'minute', 'month', 'year'];

/** The PromQL function library (native-histogram-only functions are declared so they parse). */
export const FUNCTIONS: ReadonlyMap<string, FunctionSignature> = new Map(
  [
    ...simpleVector.map((n) => sig(n, [V])),
    ...rangeFns.map((n) => sig(n, [M])),
    ...dateFns.map((n) => sig(n, [V], V, 1)),
    sig('clamp', [V, S, S]),
    sig('clamp_max', [V, S]),
    sig('clamp_min', [V, S]),
    sig('round', [V, S], V, 1),
    sig('scalar', [V], S),
    sig('vector', [S]),
    sig('time', [], S),
    sig('start', [], S),
    sig('end', [], S),
    sig('range', [], S),
    sig('step', [], S),
    sig('pi', [], S),
    sig('predict_linear', [M, S]),
    sig('quantile_over_time', [S, M]),
    sig('double_exponential_smoothing', [M, S, S]),
    sig('histogram_quantile', [S, V]),
    sig('histogram_fraction', [S, S, V]),
    sig('histogram_quantiles', [V, STR, S, S], V, 9),
    sig('label_replace', [V, STR, STR, STR, STR]),
    sig('label_join', [V, STR, STR, STR], V, -1),
    sig('sort_by_label', [V, STR], V, -1),
    sig('sort_by_label_desc', [V, STR], V, -1),
    sig('max_of', [S, S], S),
    sig('min_of', [S, S], S),
  ].map((s) => [s.name, s] as const),
);
