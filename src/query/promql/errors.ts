/** A query that cannot be parsed or fails type checking; `position` is a 0-based character offset. */
export class PromqlParseError extends Error {
  readonly position: number;
  readonly reason: string;
  constructor(reason: string, position: number) {
    super(`parse error at char ${position + 1}: ${reason}`);
    this.name = 'PromqlParseError';
    this.reason = reason;
    this.position = position;
  }
}

/** A query that parsed but cannot be evaluated (Prometheus answers these with 422 execution errors). */
export class PromqlEvalError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PromqlEvalError';
  }
}

/** The query would hold more samples in memory than the configured limit allows. */
export class TooManySamplesError extends PromqlEvalError {
  constructor() {
    super('query processing would load too many samples into memory in query execution');
    this.name = 'TooManySamplesError';
  }
}

/** The caller aborted the query or its timeout elapsed. */
export class QueryCanceledError extends PromqlEvalError {
  constructor(reason: string) {
    super(`query was canceled in ${reason}`);
    this.name = 'QueryCanceledError';
  }
}
