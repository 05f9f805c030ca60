import type { LabelMatcher } from '../telemetry-store.js';
import type { SqlParams } from './params.js';

/**
 * Label matchers as SQL conditions on the `series` table, with Prometheus semantics:
 * - a missing label reads as "" (a Map subscript of a missing key gives the type's default "");
 * - regexes are fully anchored, `^(?:re)$`, and run by ClickHouse's `match()` (RE2, the same
 *   engine family Prometheus uses, so `.` also matches a newline on both);
 * - `__name__` is read from the `metric` column, the first column of the sorting key.
 * Every value is a bound parameter.
 */
export function matcherCondition(m: LabelMatcher, params: SqlParams): string | undefined {
  const column = m.name === '__name__' ? 'metric' : `labels[${params.bind(m.name, 'String')}]`;
  switch (m.op) {
    case '=':
      return `${column} = ${params.bind(m.value, 'String')}`;
    case '!=':
      return `${column} != ${params.bind(m.value, 'String')}`;
    case '=~':
      // Matches everything, including a missing label: no condition needed.
      if (m.value === '.*') return undefined;
      return `match(${column}, ${params.bind(anchorRegex(m.value), 'String')})`;
    case '!~':
      return `NOT match(${column}, ${params.bind(anchorRegex(m.value), 'String')})`;
  }
}

export function anchorRegex(re: string): string {
  return `^(?:${re})$`;
}

/** All matchers ANDed; "1" when there are none. */
export function matchersWhere(matchers: readonly LabelMatcher[], params: SqlParams): string {
  const parts = matchers.map((m) => matcherCondition(m, params)).filter((c): c is string => c !== undefined);
  return parts.length ? parts.join(' AND ') : '1';
}
