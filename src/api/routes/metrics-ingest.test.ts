import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../lib/logger.js';
import { HeadTracker } from '../../metrics/ingest/head-tracker.js';
import { MetricsIngestService } from '../../metrics/ingest/ingest-service.js';
import { MetadataRegistry } from '../../metrics/metadata.js';
import { STORED_STALE_MARKER } from '../../metrics/stale-marker.js';
import { MemoryTelemetryStore } from '../../metrics/test-support/memory-telemetry-store.js';
import { compressWriteRequest, encodeWriteRequestV1, encodeWriteRequestV2, type EncodableSeries } from '../../sources/metrics/remote-write/index.js';
import { registerMetricsIngestRoutes } from './metrics-ingest.js';

const NOW = Date.UTC(2026, 10, 22, 12, 0, 0);
let app: FastifyInstance;
let store: MemoryTelemetryStore;
let metadata: MetadataRegistry;

beforeAll(async () => {
  store = new MemoryTelemetryStore();
  metadata = new MetadataRegistry();
  app = Fastify();
  await registerMetricsIngestRoutes(app, new MetricsIngestService(store, metadata, new HeadTracker(), createLogger({ level: 'silent' }), () => NOW));
  await app.ready();
});
afterAll(() => app.close());

const RW1_HEADERS = { 'content-type': 'application/x-protobuf', 'content-encoding': 'snappy', 'x-prometheus-remote-write-version': '0.1.0' };
const write = (series: EncodableSeries[], headers: Record<string, string> = RW1_HEADERS, body?: Uint8Array) =>
  app.inject({ method: 'POST', url: '/api/v1/write', headers, payload: Buffer.from(body ?? compressWriteRequest(encodeWriteRequestV1({ timeseries: series }))) });
const stored = (name: string) => [...store.series.values()].filter((s) => s.labels.__name__ === name);

describe('POST /api/v1/write', () => {
  it('stores remote-write 1.0 samples and metadata and answers 204', async () => {
    const body = compressWriteRequest(
      encodeWriteRequestV1({
        timeseries: [{ labels: [['__name__', 'rw_ok'], ['job', 'a']], samples: [{ t: NOW - 2000, v: 1 }, { t: NOW - 1000, v: 2 }, { t: NOW, v: NaN, stale: true }] }],
        metadata: [{ type: 'counter', metricFamilyName: 'rw_ok', help: 'ok things', unit: '' }],
      }),
    );
    const r = await write([], RW1_HEADERS, body);
    expect(r.statusCode).toBe(204);
    const [s] = stored('rw_ok');
    expect([...s!.points]).toEqual([[NOW - 2000, 1], [NOW - 1000, 2], [NOW, STORED_STALE_MARKER]]);
    expect(metadata.query({ metric: 'rw_ok' })).toEqual({ rw_ok: [{ type: 'counter', help: 'ok things', unit: '' }] });
  });

  it('stores the valid series of a batch and answers 400 counting what was refused and why', async () => {
    const r = await write([
      { labels: [['__name__', 'rw_mixed'], ['job', 'good']], samples: [{ t: NOW, v: 5 }] },
      { labels: [['job', 'x'], ['__name__', 'rw_mixed']], samples: [{ t: NOW, v: 1 }, { t: NOW + 1, v: 1 }] },
      { labels: [['__name__', 'rw_mixed'], ['bad-label', 'x']], samples: [{ t: NOW, v: 1 }] },
    ]);
    expect(r.statusCode).toBe(400);
    const body = r.json();
    expect(body).toMatchObject({ status: 'error', errorType: 'bad_data', code: 'KSK_METRICS_WRITE_PARTIAL', accepted: 1, rejected: 3 });
    expect(body.error).toContain('3 sample(s) in 2 series refused, 1 stored');
    expect(body.issues.map((i: { message: string }) => i.message).join('\n')).toMatch(/not sorted[\s\S]*invalid label name "bad-label"/);
    expect(stored('rw_mixed').map((s) => s.labels.job)).toEqual(['good']);
  });

  it('refuses out-of-order and conflicting duplicate samples as Prometheus does, accepting exact repeats', async () => {
    const series = (v: number, t: number): EncodableSeries[] => [{ labels: [['__name__', 'rw_order']], samples: [{ t, v }] }];
    expect((await write(series(1, NOW))).statusCode).toBe(204);
    expect((await write(series(1, NOW))).statusCode).toBe(204);
    const dup = await write(series(2, NOW));
    expect(dup.statusCode).toBe(400);
    expect(dup.json().error).toContain('duplicate sample for timestamp');
    const old = await write(series(1, NOW - 60_000));
    expect(old.json().error).toContain('out of order sample');
    expect([...stored('rw_order')[0]!.points]).toEqual([[NOW, 1]]);
  });

  it('lets a sender retry a batch the store failed to write', async () => {
    store.failNextAppend = new Error('disk full');
    const series: EncodableSeries[] = [{ labels: [['__name__', 'rw_retry']], samples: [{ t: NOW, v: 7 }] }];
    expect((await write(series)).statusCode).toBe(500);
    expect((await write(series)).statusCode).toBe(204);
    expect([...stored('rw_retry')[0]!.points]).toEqual([[NOW, 7]]);
  });

  it('refuses unreadable bodies with 400 and the reason', async () => {
    const bad = await write([], RW1_HEADERS, new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x0f, 1, 2]));
    expect(bad.statusCode).toBe(400);
    expect(bad.json().code).toBe('KSK_RW_SNAPPY_INVALID');
    const gzip = await write([{ labels: [['__name__', 'x']], samples: [{ t: NOW, v: 1 }] }], { ...RW1_HEADERS, 'content-encoding': 'gzip' });
    expect(gzip.json()).toMatchObject({ errorType: 'bad_data', code: 'KSK_RW_CONTENT_ENCODING' });
    for (const type of ['text/plain', 'application/json', 'application/octet-stream']) {
      const wrong = await write([{ labels: [['__name__', 'x']], samples: [{ t: NOW, v: 1 }] }], { ...RW1_HEADERS, 'content-type': type });
      expect(wrong.statusCode, type).toBe(400);
      expect(wrong.json(), type).toMatchObject({ code: 'KSK_RW_CONTENT_TYPE', error: expect.stringContaining('application/x-protobuf') });
    }
  });

  it('answers remote-write 2.0 with the written-count headers', async () => {
    const body = compressWriteRequest(encodeWriteRequestV2({ timeseries: [{ labels: [['__name__', 'rw2'], ['job', 'b']], samples: [{ t: NOW, v: 3 }, { t: NOW + 1000, v: 4 }] }] }));
    const r = await write([], { ...RW1_HEADERS, 'content-type': 'application/x-protobuf;proto=io.prometheus.write.v2.Request', 'x-prometheus-remote-write-version': '2.0.0' }, body);
    expect(r.statusCode).toBe(204);
    expect(r.headers['x-prometheus-remote-write-samples-written']).toBe('2');
    expect(stored('rw2')).toHaveLength(1);
  });
});

describe('POST /api/v1/metrics and GET /api/v1/metrics/statistics', () => {
  it('stores a push and answers statistics over it', async () => {
    const push = await app.inject({
      method: 'POST',
      url: '/api/v1/metrics',
      payload: { namespace: 'Shop/Checkout', metrics: [{ name: 'Latency', unit: 'Milliseconds', dimensions: { region: 'eu' }, values: [100, 300], counts: [3, 1], timestamp: (NOW - 30_000) / 1000 }] },
    });
    expect(push.json()).toEqual({ status: 'success', data: { datums: 1, samples: 5 } });
    const r = await app.inject({ method: 'GET', url: `/api/v1/metrics/statistics?namespace=Shop/Checkout&name=Latency&period=60&statistics=Sum,SampleCount,Average,p99&dimensions=region=eu&start=${(NOW - 60_000) / 1000}&end=${NOW / 1000}` });
    expect(r.json()).toEqual({
      status: 'success',
      data: {
        namespace: 'Shop/Checkout',
        name: 'Latency',
        metric: 'Shop_Checkout_Latency',
        period: 60,
        unit: 'Milliseconds',
        results: [{ dimensions: {}, datapoints: [{ timestamp: new Date(NOW - 60_000).toISOString(), sum: 600, sampleCount: 4, average: 150, extendedStatistics: { p99: 150 }, unit: 'Milliseconds' }] }],
      },
    });
  });

  it('answers 400 naming the field for bad input', async () => {
    const push = await app.inject({ method: 'POST', url: '/api/v1/metrics', payload: { namespace: 'N', metrics: [{ name: 'm', value: 'high' }] } });
    expect(push.statusCode).toBe(400);
    expect(push.json().issues[0].path).toBe('metrics.0.value');
    const stats = await app.inject({ method: 'GET', url: '/api/v1/metrics/statistics?namespace=N&name=m&statistics=Mean' });
    expect(stats.statusCode).toBe(400);
    expect(stats.json().issues[0].path).toBe('statistics');
  });
});

describe('POST /api/v1/otlp/v1/metrics', () => {
  const otlpJson = (metrics: unknown[]) => ({
    resourceMetrics: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'otlp-shop' } }] }, scopeMetrics: [{ scope: { name: 'test' }, metrics }] }],
  });

  it('stores OTLP JSON gauges as samples with the service as job', async () => {
    const body = otlpJson([{ name: 'queue.depth', unit: '1', gauge: { dataPoints: [{ asDouble: 3, timeUnixNano: String(BigInt(NOW) * 1_000_000n), attributes: [{ key: 'queue', value: { stringValue: 'a' } }] }] } }]);
    const r = await app.inject({ method: 'POST', url: '/api/v1/otlp/v1/metrics', headers: { 'content-type': 'application/json' }, payload: JSON.stringify(body) });
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json()).toEqual({});
    const found = [...store.series.values()].filter((s) => s.labels.job === 'otlp-shop' && s.labels.queue === 'a');
    expect(found).toHaveLength(1);
    expect([...found[0]!.points]).toEqual([[NOW, 3]]);
  });

  it('answers 400 for a body it cannot decode', async () => {
    const r = await app.inject({ method: 'POST', url: '/api/v1/otlp/v1/metrics', headers: { 'content-type': 'application/json' }, payload: '{"resourceMetrics": 5' });
    expect(r.statusCode).toBe(400);
    expect(r.json().code).toMatch(/^KSK_OTLP_/);
  });

  it('encodes partial success as OTLP protobuf', async () => {
    const { partialSuccessProtobuf } = await import('./metrics-ingest.js');
    // field 1 (7 bytes) { field 1 varint 300, field 2 "ab" }
    expect([...partialSuccessProtobuf(300, 'ab')]).toEqual([0x0a, 7, 0x08, 0xac, 0x02, 0x12, 2, 0x61, 0x62]);
  });
});

describe('GET /api/v1/metrics/storage', () => {
  it('reports the store’s usage per table', async () => {
    const r = await app.inject({ method: 'GET', url: '/api/v1/metrics/storage' });
    expect(r.json()).toEqual({ status: 'success', data: { tables: [], backlogRows: 0 } });
  });
});
