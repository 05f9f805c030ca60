/**
 * Metric ingestion and CloudWatch-style statistics:
 * - POST /api/v1/write: Prometheus remote-write 1.0 (and 2.0), snappy protobuf; 204 when all
 *   was stored, 400 naming what was refused (the rest is stored) so senders do not retry.
 * - POST /api/v1/otlp/v1/metrics: OTLP/HTTP metrics (protobuf or JSON), Prometheus's path.
 * - POST /api/v1/metrics: JSON push of custom metrics (namespace + datums).
 * - GET /api/v1/metrics/storage: rows and bytes per telemetry table.
 * - GET /api/v1/metrics/statistics: Sum / Average / Minimum / Maximum / SampleCount / pNN per period.
 * Writes are editor actions; every request carries its own bearer token.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { ValidationError } from '../../lib/errors.js';
import type { FastLane, LaneReply } from '../http/fast-lane.js';
import { PartialWriteError } from '../../metrics/errors.js';
import type { MetricsIngestService } from '../../metrics/ingest/ingest-service.js';
import { RemoteWriteDecodeError } from '../../sources/metrics/remote-write/index.js';
import { OtlpDecodeError } from '../../sources/metrics/otlp/index.js';

const PROTOBUF = 'application/x-protobuf';

function badData(err: ValidationError, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const body: Record<string, unknown> = { status: 'error', errorType: 'bad_data', error: err.message, code: err.code, ...extra };
  if (err.issues.length) body.issues = err.issues;
  return body;
}

function sendBadData(reply: FastifyReply, err: ValidationError, extra: Record<string, unknown> = {}): FastifyReply {
  return reply.status(400).send(badData(err, extra));
}

/**
 * POST /api/v1/write as a handler of the body and headers, shared by the Fastify route and the
 * fast lane past Fastify (src/api/http/fast-lane.ts) that serves it when it can.
 */
function remoteWriteLane(ingest: MetricsIngestService): FastLane {
  return {
    method: 'POST',
    url: '/api/v1/write',
    action: 'metrics.write',
    role: 'editor',
    async handle(body, h): Promise<LaneReply> {
      const headers = {
        'content-encoding': h['content-encoding'],
        'content-type': h['content-type'],
        'x-prometheus-remote-write-version': h['x-prometheus-remote-write-version'] as string | undefined,
      };
      try {
        const out = await ingest.remoteWrite(body, headers);
        if (out.version !== '2.0') return { status: 204 };
        return {
          status: 204,
          headers: {
            'X-Prometheus-Remote-Write-Samples-Written': String(out.samplesWritten + out.samplesRepeated),
            'X-Prometheus-Remote-Write-Histograms-Written': '0',
            'X-Prometheus-Remote-Write-Exemplars-Written': '0',
          },
        };
      } catch (err) {
        if (err instanceof PartialWriteError) {
          return { status: 400, headers: { 'X-Prometheus-Remote-Write-Samples-Written': String(err.accepted) }, body: badData(err, { accepted: err.accepted, rejected: err.rejected }) };
        }
        if (err instanceof RemoteWriteDecodeError) return { status: 400, body: badData(err) };
        throw err;
      }
    },
  };
}

export async function registerMetricsIngestRoutes(app: FastifyInstance, ingest: MetricsIngestService): Promise<void> {
  await app.register(async (scope) => {
    if (!scope.hasContentTypeParser(PROTOBUF)) {
      scope.addContentTypeParser(PROTOBUF, { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
    }

    // Any media type reaches the handler as bytes, so a wrong Content-Type gets the
    // remote-write decoder's own explanation instead of a generic 415.
    await scope.register(async (rw) => {
      rw.removeContentTypeParser(['application/json', 'text/plain']);
      rw.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
      const lane = remoteWriteLane(ingest);
      // Served past Fastify when the app has the lane (createApiServer); tests that mount these routes on a bare Fastify use the route alone.
      if (rw.hasDecorator('fastLane')) rw.fastLane(lane);
      rw.post('/api/v1/write', { config: { action: lane.action, quietLog: true }, schema: { tags: ['metrics'], summary: 'Prometheus remote-write receiver (1.0 and 2.0, snappy protobuf)' } }, async (req, reply) => {
        if (!Buffer.isBuffer(req.body)) {
          return sendBadData(reply, new ValidationError('KSK_RW_BODY_MISSING', `remote-write needs a snappy-compressed ${PROTOBUF} body; the request had none`));
        }
        const out = await lane.handle(req.body, req.headers);
        return reply.status(out.status).headers(out.headers ?? {}).send(out.body);
      });
    });

    // OTLP JSON must reach the decoder as bytes, so this route has its own JSON parser.
    await scope.register(async (otlp) => {
      otlp.removeContentTypeParser('application/json');
      otlp.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
      otlp.post('/api/v1/otlp/v1/metrics', { config: { action: 'metrics.write', quietLog: true }, schema: { tags: ['metrics'], summary: 'OTLP/HTTP metrics receiver (protobuf or JSON)' } }, async (req, reply) => {
        if (!Buffer.isBuffer(req.body)) {
          return sendBadData(reply, new ValidationError('KSK_OTLP_CONTENT_TYPE', 'OTLP/HTTP needs Content-Type application/x-protobuf or application/json and a body'));
        }
        const json = (req.headers['content-type'] ?? '').toLowerCase().startsWith('application/json');
        try {
          const out = await ingest.otlp(req.body, { 'content-type': req.headers['content-type'], 'content-encoding': req.headers['content-encoding'] });
          // ExportMetricsServiceResponse; partial_success only when something was not stored.
          if (json) return reply.type('application/json').send(out.rejected ? { partialSuccess: { rejectedDataPoints: String(out.rejected), errorMessage: out.reason ?? '' } } : {});
          return reply.type('application/x-protobuf').send(out.rejected ? Buffer.from(partialSuccessProtobuf(out.rejected, out.reason ?? '')) : Buffer.alloc(0));
        } catch (err) {
          if (err instanceof OtlpDecodeError) return sendBadData(reply, err);
          throw err;
        }
      });
    });

    scope.post('/api/v1/metrics', { config: { action: 'metrics.push' }, schema: { tags: ['metrics'], summary: 'Push custom metrics (CloudWatch PutMetricData style JSON)' } }, async (req, reply) => {
      try {
        const out = await ingest.pushCustomMetrics(req.body);
        return reply.send({ status: 'success', data: out });
      } catch (err) {
        if (err instanceof ValidationError) return sendBadData(reply, err);
        throw err;
      }
    });

    scope.get('/api/v1/metrics/storage', { config: { action: 'metrics.storage' }, schema: { tags: ['metrics'], summary: 'Rows and bytes on disk per telemetry table' } }, async (_req, reply) => {
      return reply.send({ status: 'success', data: await ingest.storage() });
    });

    scope.get('/api/v1/metrics/statistics', { config: { action: 'metrics.statistics' }, schema: { tags: ['metrics'], summary: 'Statistics per period over pushed metrics (CloudWatch GetMetricStatistics style)' } }, async (req, reply) => {
      try {
        const data = await ingest.statistics(req.query as Record<string, string | undefined>);
        return reply.send({ status: 'success', data });
      } catch (err) {
        if (err instanceof ValidationError) return sendBadData(reply, err);
        throw err;
      }
    });
  });
}

/** ExportMetricsServiceResponse{partial_success(1): {rejected_data_points(1): int64, error_message(2): string}}. */
export function partialSuccessProtobuf(rejected: number, message: string): Uint8Array {
  const varint = (n: number): number[] => {
    const out: number[] = [];
    let v = BigInt(n);
    do {
      let b = Number(v & 0x7fn);
      v >>= 7n;
      if (v > 0n) b |= 0x80;
      out.push(b);
    } while (v > 0n);
    return out;
  };
  const text = [...Buffer.from(message, 'utf8')];
  const inner = [0x08, ...varint(rejected), ...(text.length ? [0x12, ...varint(text.length), ...text] : [])];
  return Uint8Array.from([0x0a, ...varint(inner.length), ...inner]);
}
