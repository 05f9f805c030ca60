import { ValidationError } from '../../../lib/errors.js';
import type { ExpositionFormat } from './types.js';

/**
 * A scrape body that does not follow its format. The whole body is rejected (OpenMetrics:
 * "partial or invalid expositions MUST be considered erroneous in their entirety"), and the
 * message names the line so the owner of the target can fix the exporter.
 */
export class ExpositionParseError extends ValidationError {
  constructor(
    readonly format: ExpositionFormat,
    /** 1-based line number in the body. */
    readonly line: number,
    /** What the parser expected, e.g. `a value after the metric name`. */
    readonly expected: string,
    /** The offending text, shortened. */
    readonly found: string,
  ) {
    const what = format === 'openmetrics' ? 'OpenMetrics' : 'Prometheus text format';
    super(
      format === 'openmetrics' ? 'KSK_EXPO_OPENMETRICS_INVALID' : 'KSK_EXPO_TEXT_INVALID',
      `${what} line ${line}: expected ${expected}${found === '' ? '' : `, found ${JSON.stringify(shorten(found))}`}`,
      [{ path: `line ${line}`, message: `expected ${expected}` }],
    );
  }
}

function shorten(s: string): string {
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}
