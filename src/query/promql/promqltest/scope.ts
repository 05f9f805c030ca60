/** promqltest files the engine is held to (stable PromQL over float samples). */
export const IN_SCOPE_FILES = [
  'aggregators.test',
  'at_modifier.test',
  'collision.test',
  'functions.test',
  'histograms.test',
  'literals.test',
  'name_label_dropping.test',
  'operators.test',
  'range_queries.test',
  'selectors.test',
  'staleness.test',
  'subquery.test',
  'trig_functions.test',
] as const;

/** Files left out, with the reason; they still run in the CLI report for information. */
export const OUT_OF_SCOPE_FILES: Record<string, string> = {
  'native_histograms.test': 'native (exponential and custom-bucket) histograms are not supported',
  'info.test': 'info() is experimental upstream and needs target-info metadata joins',
  'duration_expression.test': 'duration arithmetic `[5m+1m]` is experimental (promql-duration-expr)',
  'extended_vectors.test': 'anchored/smoothed range selectors are experimental (promql-extended-range-selectors)',
  'fill-modifier.test': 'fill()/fill_left()/fill_right() binop modifiers are experimental',
  'type_and_unit.test': '__type__/__unit__ labels are experimental (type-and-unit-labels)',
  'limit.test': 'limitk/limit_ratio are implemented, but 36 of 37 cases read native histograms; the remaining one checks limit_ratio sampling statistically against upstream\'s hash',
  'start_timestamps.test': 'start timestamps need the `@st` load syntax and storage support',
};

/** Minimum share of eval cases (excluding skipped native-histogram cases) that must pass per in-scope file. */
export const REQUIRED_PASS_RATE = 0.9;
