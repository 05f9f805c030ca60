import { readFileSync } from 'node:fs';
import path from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MetadataRegistry } from '../../metrics/metadata.js';
import { PromApiService } from '../../metrics/prom-api-service.js';
import { conformanceDir } from '../../metrics/test-support/conformance-dir.js';
import { responseSchema, validateSchema, type Schema, type SchemaDoc } from '../../metrics/test-support/json-schema.js';
import { MemoryTelemetryStore } from '../../metrics/test-support/memory-telemetry-store.js';
import { STALE_NAN } from '../../query/promql/index.js';
import { toStoredValue } from '../../metrics/stale-marker.js';
import { registerPromApiRoutes } from './prom-api.js';

const T0 = 1_767_361_020_000; // 2026-01-02T13:37:00Z
let app: FastifyInstance;

beforeAll(async () => {
  const store = new MemoryTelemetryStore();
  const rows = [];
  for (let i = 0; i <= 20; i++) {
    const t = T0 + i * 15_000;
    rows.push({ labels: { __name__: 'http_requests_total', job: 'api', code: '200' }, t, v: i * 30 });
    rows.push({ labels: { __name__: 'http_requests_total', job: 'api', code: '500' }, t, v: i * 3 });
    rows.push({ labels: { __name__: 'up', job: 'api', instance: 'a:9100' }, t, v: 1 });
  }
  // A series that ended: its stale marker hides it from instant queries afterwards.
  rows.push({ labels: { __name__: 'up', job: 'api', instance: 'b:9100' }, t: T0, v: 1 });
  rows.push({ labels: { __name__: 'up', job: 'api', instance: 'b:9100' }, t: T0 + 15_000, v: toStoredValue(STALE_NAN) });
  await store.appendSamples(rows);
  const metadata = new MetadataRegistry();
  metadata.record('http_requests_total', { type: 'counter', help: 'Requests.', unit: '' });
  app = Fastify();
  await registerPromApiRoutes(app, new PromApiService(store, metadata, { now: () => T0 + 300_000 }));
  await app.ready();
});
afterAll(() => app.close());

const get = async (url: string) => {
  const r = await app.inject({ method: 'GET', url });
  return { status: r.statusCode, body: r.json() as Record<string, unknown> & { data: never; error?: string; errorType?: string } };
};
const q = encodeURIComponent;

describe('Prometheus API: queries', () => {
  it('answers an instant query with a vector in Prometheus JSON', async () => {
    const r = await get(`/api/v1/query?query=${q('sum by (code) (http_requests_total)')}&time=${(T0 + 300_000) / 1000}`);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      status: 'success',
      data: {
        resultType: 'vector',
        result: [
          { metric: { code: '200' }, value: [(T0 + 300_000) / 1000, '600'] },
          { metric: { code: '500' }, value: [(T0 + 300_000) / 1000, '60'] },
        ],
      },
    });
  });

  it('honours stale markers read back from storage', async () => {
    const r = await get(`/api/v1/query?query=up&time=${(T0 + 60_000) / 1000}`);
    expect((r.body.data as { result: { metric: { instance: string } }[] }).result.map((s) => s.metric.instance)).toEqual(['a:9100']);
  });

  it('accepts form-encoded POST, as Grafana sends it', async () => {
    const r = await app.inject({
      method: 'POST',
      url: '/api/v1/query_range',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `query=${q('up{instance="a:9100"}')}&start=2026-01-02T13:37:00Z&end=${(T0 + 30_000) / 1000}&step=15s`,
    });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({
      status: 'success',
      data: { resultType: 'matrix', result: [{ metric: { __name__: 'up', instance: 'a:9100', job: 'api' }, values: [[T0 / 1000, '1'], [T0 / 1000 + 15, '1'], [T0 / 1000 + 30, '1']] }] },
    });
  });

  it('uses Prometheus error types and statuses', async () => {
    const parse = await get(`/api/v1/query?query=${q('sum(')}`);
    expect(parse.status).toBe(400);
    expect(parse.body).toMatchObject({ status: 'error', errorType: 'bad_data', error: expect.stringMatching(/^invalid parameter "query": .*parse error/) });

    const exec = await get(`/api/v1/query?query=${q('http_requests_total + on(job) up')}&time=${(T0 + 30_000) / 1000}`);
    expect(exec.status).toBe(422);
    expect(exec.body.errorType).toBe('execution');

    const range = await get(`/api/v1/query_range?query=up&start=${T0 / 1000}&end=${T0 / 1000 - 1}&step=15`);
    expect(range).toMatchObject({ status: 400, body: { errorType: 'bad_data', error: 'invalid parameter "end": end timestamp must not be before start time' } });
    const step = await get(`/api/v1/query_range?query=up&start=${T0 / 1000}&end=${T0 / 1000 + 86_400}&step=1`);
    expect(step.body.error).toBe('exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)');
    const noStep = await get(`/api/v1/query_range?query=up&start=${T0 / 1000}&end=${T0 / 1000}`);
    expect(noStep.body.error).toBe('invalid parameter "step": cannot parse "" to a valid duration');
    const matrixType = await get(`/api/v1/query_range?query=${q('up[5m]')}&start=${T0 / 1000}&end=${T0 / 1000}&step=15`);
    expect(matrixType).toMatchObject({ status: 400, body: { errorType: 'bad_data' } });
  });
});

describe('Prometheus API: metadata endpoints', () => {
  it('lists series, label names and values, metadata', async () => {
    const s = await get(`/api/v1/series?${q('match[]')}=${q('http_requests_total{code="500"}')}&${q('match[]')}=${q('up{instance="a:9100"}')}`);
    expect(s.body.data).toEqual([
      { __name__: 'http_requests_total', code: '500', job: 'api' },
      { __name__: 'up', instance: 'a:9100', job: 'api' },
    ]);
    expect((await get('/api/v1/labels')).body.data).toEqual(['__name__', 'code', 'instance', 'job']);
    expect((await get(`/api/v1/labels?${q('match[]')}=up`)).body.data).toEqual(['__name__', 'instance', 'job']);
    expect((await get('/api/v1/label/__name__/values')).body.data).toEqual(['http_requests_total', 'up']);
    expect((await get(`/api/v1/label/instance/values?${q('match[]')}=up&limit=1`)).body).toEqual({ status: 'success', data: ['a:9100'], warnings: ['results truncated due to limit'] });
    expect((await get('/api/v1/metadata')).body.data).toEqual({ http_requests_total: [{ type: 'counter', help: 'Requests.', unit: '' }] });
    expect(await get('/api/v1/series')).toMatchObject({ status: 400, body: { errorType: 'bad_data', error: 'no match[] parameter provided' } });
    expect((await get('/api/v1/label/bad-name/values')).status).toBe(400);
  });
});

describe('responses conform to Prometheus’s OpenAPI golden schema', () => {
  const found = conformanceDir('http-api');
  it.skipIf('missing' in found)(`every endpoint (${'missing' in found ? found.missing : 'openapi_3.1_golden.yaml'})`, async () => {
    const doc = parseYaml(readFileSync(path.join((found as { dir: string }).dir, 'openapi_3.1_golden.yaml'), 'utf8')) as SchemaDoc & Record<string, unknown>;
    const cases: [string, string, 'get', '200' | 'default'][] = [
      ['/query', `/api/v1/query?query=${q('rate(http_requests_total[1m])')}&time=${(T0 + 60_000) / 1000}`, 'get', '200'],
      ['/query', `/api/v1/query?query=${q('scalar(vector(1))')}`, 'get', '200'],
      // Not checked: a string result. Prometheus answers [<unix seconds number>, "text"] (as
      // Kansoku does) while the generated golden schema declares both items strings.
      ['/query', `/api/v1/query?query=${q('up[1m]')}&time=${(T0 + 60_000) / 1000}`, 'get', '200'],
      ['/query', `/api/v1/query?query=${q('sum(')}`, 'get', 'default'],
      ['/query_range', `/api/v1/query_range?query=up&start=${T0 / 1000}&end=${T0 / 1000 + 60}&step=15`, 'get', '200'],
      ['/query_range', `/api/v1/query_range?query=up&start=x`, 'get', 'default'],
      ['/series', `/api/v1/series?${q('match[]')}=up`, 'get', '200'],
      ['/labels', '/api/v1/labels', 'get', '200'],
      ['/label/{name}/values', '/api/v1/label/job/values', 'get', '200'],
      ['/metadata', '/api/v1/metadata', 'get', '200'],
      ['/query_exemplars', `/api/v1/query_exemplars?query=up&start=${T0 / 1000}&end=${T0 / 1000 + 60}`, 'get', '200'],
      ['/status/buildinfo', '/api/v1/status/buildinfo', 'get', '200'],
      ['/status/config', '/api/v1/status/config', 'get', '200'],
      ['/status/flags', '/api/v1/status/flags', 'get', '200'],
      ['/status/runtimeinfo', '/api/v1/status/runtimeinfo', 'get', '200'],
    ];
    for (const [p, url, method, status] of cases) {
      const r = await get(url);
      expect(r.status >= 400, url).toBe(status === 'default');
      // Kansoku adds a stable `code` to every error (documented); nothing else may differ.
      const problems = validateSchema(r.body, responseSchema(doc, p, method, status) as Schema, doc, '$', { extraProperties: status === 'default' ? ['code'] : [] });
      expect(problems, `${url}: ${JSON.stringify(r.body).slice(0, 300)}`).toEqual([]);
    }
  });
});
