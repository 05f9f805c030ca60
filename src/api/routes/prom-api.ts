/**
 * The Prometheus HTTP API (/api/v1/query, query_range, series, labels, label values, metadata,
 * query_exemplars, status/*), so Grafana's Prometheus data source and promtool work against
 * Kansoku. Query endpoints accept GET and form-encoded POST, as Prometheus does; reading is a
 * viewer action either way. Errors use Prometheus's statuses and errorType values (bad_data
 * 400, execution 422, timeout 503, canceled 499) plus Kansoku's stable `code`.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { KansokuError, ValidationError } from '../../lib/errors.js';
import { QueryCanceledByClientError, QueryExecutionError, QueryTimeoutError } from '../../metrics/errors.js';
import type { Envelope, FormValues, PromApiService } from '../../metrics/prom-api-service.js';

const FORM_TYPE = 'application/x-www-form-urlencoded';

/** Query string and form body merged; body values come first, as Go's Request.Form orders them. */
export function formValues(req: FastifyRequest): FormValues {
  const out = new URLSearchParams();
  const body = req.body;
  if (typeof body === 'string') for (const [k, v] of new URLSearchParams(body)) out.append(k, v);
  else if (body instanceof URLSearchParams) for (const [k, v] of body) out.append(k, v);
  const q = req.url.indexOf('?');
  if (q >= 0) for (const [k, v] of new URLSearchParams(req.url.slice(q + 1))) out.append(k, v);
  return out;
}

/** Aborts when the client goes away before the answer is sent. */
function clientSignal(reply: FastifyReply): AbortSignal {
  const ac = new AbortController();
  reply.raw.once('close', () => {
    if (!reply.raw.writableEnded) ac.abort();
  });
  return ac.signal;
}

/** Sends an error in Prometheus's shape; errors that are not the API's own go to the shared handler. */
export function sendPromError(reply: FastifyReply, err: unknown): FastifyReply {
  const shape = (status: number, errorType: string, e: KansokuError) => reply.status(status).send({ status: 'error', errorType, error: e.message, code: e.code });
  if (err instanceof QueryExecutionError) return shape(422, 'execution', err);
  if (err instanceof QueryTimeoutError) return shape(503, 'timeout', err);
  if (err instanceof QueryCanceledByClientError) return shape(499, 'canceled', err);
  if (err instanceof ValidationError) return shape(400, 'bad_data', err);
  throw err;
}

type Handler = (form: FormValues, req: FastifyRequest, signal: AbortSignal) => Envelope<unknown> | Promise<Envelope<unknown>>;

export async function registerPromApiRoutes(app: FastifyInstance, api: PromApiService): Promise<void> {
  // A child scope, so the form parser is this API's and cannot clash with another module's.
  await app.register(async (scope) => {
    if (!scope.hasContentTypeParser(FORM_TYPE)) {
      scope.addContentTypeParser(FORM_TYPE, { parseAs: 'string' }, (_req, body, done) => done(null, body));
    }
    const route = (methods: ('GET' | 'POST')[], url: string, action: string, summary: string, handler: Handler) => {
      scope.route({
        method: methods,
        url,
        config: { role: 'viewer', action },
        schema: { tags: ['prometheus'], summary },
        handler: async (req, reply) => {
          try {
            const env = await handler(formValues(req), req, clientSignal(reply));
            return reply.send({ status: 'success', ...env });
          } catch (err) {
            return sendPromError(reply, err);
          }
        },
      });
    };
    const both: ('GET' | 'POST')[] = ['GET', 'POST'];
    route(both, '/api/v1/query', 'metrics.query', 'PromQL instant query (Prometheus API)', (f, _r, s) => api.query(f, s));
    route(both, '/api/v1/query_range', 'metrics.query', 'PromQL range query (Prometheus API)', (f, _r, s) => api.queryRange(f, s));
    route(both, '/api/v1/series', 'metrics.series', 'Series matching selectors (Prometheus API)', (f) => api.series(f));
    route(both, '/api/v1/labels', 'metrics.labels', 'Label names (Prometheus API)', (f) => api.labels(f));
    route(['GET'], '/api/v1/label/:name/values', 'metrics.labels', 'Values of one label (Prometheus API)', (f, r) => api.labelValues((r.params as { name: string }).name, f));
    route(['GET'], '/api/v1/metadata', 'metrics.metadata', 'Metric metadata (Prometheus API)', (f) => api.metadata(f));
    route(both, '/api/v1/query_exemplars', 'metrics.query', 'Exemplars (always empty: Kansoku does not store exemplars)', (f) => api.queryExemplars(f));
    route(['GET'], '/api/v1/status/buildinfo', 'metrics.status', 'Build information (Prometheus API)', () => api.buildInfo());
    route(['GET'], '/api/v1/status/config', 'metrics.status', 'Configuration stub (Prometheus API)', () => api.config());
    route(['GET'], '/api/v1/status/flags', 'metrics.status', 'Query settings as Prometheus flags', () => api.flags());
    route(['GET'], '/api/v1/status/runtimeinfo', 'metrics.status', 'Runtime information (Prometheus API)', () => api.runtimeInfo());
  });
}
