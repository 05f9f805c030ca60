/**
 * The failure kinds of the metrics capability. Prometheus clients read `errorType`, so each
 * kind maps to the status and errorType Prometheus's own API uses for it (bad_data 400,
 * execution 422, timeout 503, canceled 499); the HTTP edge does the mapping.
 */
import { KansokuError, ValidationError, type FieldIssue } from '../lib/errors.js';

/** A request parameter Prometheus would refuse with `bad_data` (400). */
export class PromBadDataError extends ValidationError {
  constructor(message: string, issues: FieldIssue[] = [], code = 'KSK_PROM_BAD_DATA') {
    super(code, message, issues);
  }
}

/** `invalid parameter "name": reason`, as Prometheus words it. */
export function invalidParam(name: string, reason: string): PromBadDataError {
  return new PromBadDataError(`invalid parameter ${JSON.stringify(name)}: ${reason}`, [{ path: name, message: reason }], 'KSK_PROM_INVALID_PARAM');
}

/** A query that parsed but failed while evaluating (Prometheus: 422, errorType "execution"). */
export class QueryExecutionError extends KansokuError {
  override readonly kind = 'validation' as const;
}

/** The query ran past its timeout (Prometheus: 503, errorType "timeout"). */
export class QueryTimeoutError extends KansokuError {
  override readonly kind = 'unavailable' as const;
}

/** The client went away before the query finished (Prometheus: 499, errorType "canceled"). */
export class QueryCanceledByClientError extends KansokuError {
  override readonly kind = 'unavailable' as const;
}

/** Some series or samples of a write were refused while the rest were stored (400, as Prometheus). */
export class PartialWriteError extends ValidationError {
  constructor(
    message: string,
    readonly accepted: number,
    readonly rejected: number,
    issues: FieldIssue[],
  ) {
    super('KSK_METRICS_WRITE_PARTIAL', message, issues);
  }
}
