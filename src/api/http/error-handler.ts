import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { KansokuError, ValidationError, type ErrorKind } from '../../lib/errors.js';

/**
 * The one place where an error kind becomes an HTTP status. Bodies follow the Prometheus API's
 * error shape ({status: "error", errorType, error}) so Prometheus clients read them, plus a
 * stable `code` and, for validation errors, every field issue.
 */
const STATUS: Record<ErrorKind, number> = {
  validation: 400,
  not_found: 404,
  conflict: 409,
  unauthenticated: 401,
  forbidden: 403,
  unavailable: 503,
  config: 500,
  internal: 500,
};

const ERROR_TYPE: Record<ErrorKind, string> = {
  validation: 'bad_data',
  not_found: 'not_found',
  conflict: 'conflict',
  unauthenticated: 'unauthorized',
  forbidden: 'forbidden',
  unavailable: 'unavailable',
  config: 'internal',
  internal: 'internal',
};

export interface ErrorBody {
  status: 'error';
  errorType: string;
  error: string;
  code: string;
  issues?: { document?: string; path: string; message: string }[];
}

export function errorBody(err: KansokuError): ErrorBody {
  const body: ErrorBody = { status: 'error', errorType: ERROR_TYPE[err.kind], error: err.message, code: err.code };
  if (err instanceof ValidationError && err.issues.length) body.issues = err.issues;
  return body;
}

export function statusOf(err: unknown): number {
  if (err instanceof KansokuError) return STATUS[err.kind];
  const fe = err as FastifyError;
  if (typeof fe?.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) return fe.statusCode;
  return 500;
}

export function handleError(err: unknown, req: FastifyRequest, reply: FastifyReply): void {
  if (err instanceof KansokuError) {
    const status = STATUS[err.kind];
    if (status >= 500) req.log.error({ err }, 'request failed');
    else req.log.info({ code: err.code, status }, 'request refused');
    if (err.kind === 'unauthenticated') reply.header('www-authenticate', 'Bearer realm="kansoku"');
    void reply.status(status).send(errorBody(err));
    return;
  }
  const fe = err as FastifyError;
  if (typeof fe?.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    // Fastify's own refusals: unparsable JSON, body too large, unsupported media type.
    void reply.status(fe.statusCode).send({ status: 'error', errorType: 'bad_data', error: explainFastifyError(fe), code: `KSK_HTTP_${fe.code ?? fe.statusCode}` });
    return;
  }
  req.log.error({ err }, 'unexpected error');
  void reply.status(500).send({ status: 'error', errorType: 'internal', error: 'internal error; the server log has the details', code: 'KSK_INTERNAL' });
}

function explainFastifyError(fe: FastifyError): string {
  switch (fe.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return `unsupported Content-Type: send application/json or application/yaml`;
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return `request body too large: ${fe.message}`;
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return 'empty JSON body: expected a document';
    default:
      return fe.message.startsWith('Unexpected') || fe.message.includes('JSON') ? `malformed JSON body: ${fe.message}` : fe.message;
  }
}
