/**
 * One error type per failure kind, each with a stable code (KSK_<AREA>_<WHAT>, never reused) and
 * a message a user can act on. Only the HTTP edge (src/api/error-handler.ts) and the CLI map a
 * kind to a status or an exit code; domain code never does.
 */
export type ErrorKind =
  | 'validation'
  | 'not_found'
  | 'conflict'
  | 'unauthenticated'
  | 'forbidden'
  | 'unavailable'
  | 'config'
  | 'internal';

export interface FieldIssue {
  /** Which document of a multi-document input, e.g. "checks.yaml#2 (Check/shop-top)". */
  document?: string;
  /** Dotted path of the field, e.g. "spec.interval". */
  path: string;
  message: string;
}

export class KansokuError extends Error {
  readonly kind: ErrorKind = 'internal';
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class ValidationError extends KansokuError {
  override readonly kind = 'validation' as const;
  constructor(
    code: string,
    message: string,
    readonly issues: FieldIssue[] = [],
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
  }
}

export class NotFoundError extends KansokuError {
  override readonly kind = 'not_found' as const;
}

export class ConflictError extends KansokuError {
  override readonly kind = 'conflict' as const;
}

export class AuthError extends KansokuError {
  override readonly kind = 'unauthenticated' as const;
}

export class ForbiddenError extends KansokuError {
  override readonly kind = 'forbidden' as const;
}

export class ConfigError extends KansokuError {
  override readonly kind = 'config' as const;
}

/** A store or peer that cannot be reached; retrying later may help. */
export class UnavailableError extends KansokuError {
  override readonly kind = 'unavailable' as const;
}

/** A store query failed; keeps the statement for the log, never for the user. */
export class StoreError extends KansokuError {
  override readonly kind = 'internal' as const;
  constructor(
    code: string,
    message: string,
    readonly statement?: string,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
  }
}

export function isKansokuError(err: unknown): err is KansokuError {
  return err instanceof KansokuError;
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
