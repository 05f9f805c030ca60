/**
 * Metrics end to end on a real `kansoku server`: the remote-write requests a real Prometheus
 * 2.42 sent are written and read back through the Prometheus API, bad bodies and bad tokens
 * are refused, custom metrics are pushed and summarised, and a ScrapeTarget is scraped.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { capturedSeries, loadCapturedRemoteWrite, type CapturedSet } from '../../src/metrics/test-support/captured-remote-write.js';
import { conformanceDir } from '../../src/metrics/test-support/conformance-dir.js';
import { responseSchema, validateSchema, type Schema, type SchemaDoc } from '../../src/metrics/test-support/json-schema.js';
import { compressWriteRequest, decodeWriteRequestV1, decompressSnappy, encodeWriteRequestV1 } from '../../src/sources/metrics/remote-write/index.js';
import { startServerProcess, type ServerProc } from '../support/server-process.js';

const rw = conformanceDir('remote-write/captured-prometheus-2.42.0');
const httpApi = conformanceDir('http-api');
if ('missing' in rw) console.warn(`SKIP: remote-write e2e: ${rw.missing}`);

let s: ServerProc;
let auth: Record<string, string>;
beforeAll(async () => {
  s = await startServerProcess();
  auth = { authorization: `Bearer ${s.token()}` };
});
afterAll(async () => {
  await s?.stop('SIGTERM');
});

const api = async (p: string, init: RequestInit = {}) => {
  const r = await fetch(`${s.url}${p}`, { ...init, headers: { ...auth, ...(init.headers as Record<string, string>) } });
  return { status: r.status, body: (r.status === 204 ? null : await r.json()) as Record<string, unknown> & { data: never } };
};

describe.skipIf('missing' in rw)('remote-write from a real Prometheus 2.42, read back through the Prometheus API', () => {
  let set: CapturedSet;
  const dir = 'dir' in rw ? rw.dir : '';

  beforeAll(async () => {
    set = loadCapturedRemoteWrite(dir);
    if (set.shiftMs) console.warn(`note: the capture is old; timestamps moved by ${set.shiftMs} ms to stay inside retention`);
    for (const r of set.requests) {
      const res = await fetch(`${s.url}/api/v1/write`, { method: 'POST', headers: { ...r.headers, ...auth }, body: r.body });
      expect(res.status, `${r.name}: ${res.status === 204 ? '' : await res.text()}`).toBe(204);
    }
  });

  it('stores every series with every sample value', async () => {
    const expected = capturedSeries(dir, set.shiftMs);
    const found = await api(`/api/v1/series?match[]=${encodeURIComponent('{__name__=~".+"}')}`);
    expect((found.body.data as unknown[]).length).toBe(expected.length);
    // Every value a sender wrote comes back at its own timestamp (raw samples via a range selector).
    const jobs = await api(`/api/v1/query?query=${encodeURIComponent('{__name__=~".+"}[1m]')}&time=${(set.maxT + 1) / 1000}`);
    const got = new Map((jobs.body.data as { result: { metric: Record<string, string>; values: [number, string][] }[] }).result.map((r) => [JSON.stringify(Object.entries(r.metric).sort()), r.values]));
    let compared = 0;
    for (const e of expected) {
      const values = got.get(JSON.stringify(Object.entries(e.labels).sort()));
      expect(values, JSON.stringify(e.labels)).toBeDefined();
      expect(values!.map(([t]) => Math.round(t * 1000))).toEqual(e.samples.map((p) => p.t));
      expect(values!.map(([, v]) => Number(v))).toEqual(e.samples.map((p) => p.v));
      compared += e.samples.length;
    }
    expect(compared).toBe(set.requests.reduce((n, r) => n + r.samples, 0));
  });

  it('reports storage per table', async () => {
    const r = await api('/api/v1/metrics/storage');
    const samples = (r.body.data as { tables: { table: string; rows: number; bytesOnDisk: number }[] }).tables.find((t) => t.table === 'samples')!;
    expect(samples.rows).toBeGreaterThanOrEqual(set.requests.reduce((n, x) => n + x.samples, 0));
    expect(samples.bytesOnDisk).toBeGreaterThan(0);
  });

  it('serves the metadata the sender declared', async () => {
    const md = await api('/api/v1/metadata?metric=go_goroutines');
    expect(md.body.data).toEqual({ go_goroutines: [{ type: 'gauge', help: 'Number of goroutines that currently exist.', unit: '' }] });
  });

  it('refuses mutated bodies with 400 and keeps the valid series of a partly bad batch', async () => {
    const req = set.requests.find((r) => r.samples > 0)!;
    const post = (body: Uint8Array, headers: Record<string, string> = req.headers) => fetch(`${s.url}/api/v1/write`, { method: 'POST', headers: { ...headers, ...auth }, body });
    expect((await post(req.body.slice(0, req.body.length / 2))).status).toBe(400);
    expect((await post(req.body, { ...req.headers, 'Content-Encoding': 'gzip' })).status).toBe(400);
    const decoded = decodeWriteRequestV1(decompressSnappy(req.body));
    const t = set.maxT + 60_000;
    const good = { labels: [['__name__', 'e2e_good'], ['job', 'e2e']] as [string, string][], samples: [{ t, v: 1 }] };
    const unsorted = { labels: [['job', 'e2e'], ['__name__', 'e2e_bad']] as [string, string][], samples: [{ t, v: 1 }] };
    const noName = { labels: [['job', 'e2e']] as [string, string][], samples: [{ t, v: 1 }] };
    const r = await post(compressWriteRequest(encodeWriteRequestV1({ timeseries: [good, unsorted, noName], metadata: decoded.metadata })));
    expect(r.status).toBe(400);
    const body = (await r.json()) as { error: string; rejected: number; accepted: number };
    expect(body).toMatchObject({ rejected: 2, accepted: 1 });
    expect(body.error).toMatch(/not sorted/);
    const q = await api(`/api/v1/query?query=e2e_good&time=${t / 1000}`);
    expect((q.body.data as { result: unknown[] }).result).toHaveLength(1);
  });

  it.skipIf('missing' in httpApi)('answers in the shapes of Prometheus’s OpenAPI golden schema', async () => {
    const doc = parseYaml(readFileSync(path.join((httpApi as { dir: string }).dir, 'openapi_3.1_golden.yaml'), 'utf8')) as SchemaDoc & Record<string, unknown>;
    const t = set.maxT / 1000;
    const cases: [string, string][] = [
      ['/query', `/api/v1/query?query=${encodeURIComponent('sum by (job) (rate(prometheus_http_requests_total[1m]))')}&time=${t}`],
      ['/query_range', `/api/v1/query_range?query=up&start=${t - 30}&end=${t}&step=5`],
      ['/series', `/api/v1/series?match[]=up`],
      ['/labels', `/api/v1/labels`],
      ['/label/{name}/values', `/api/v1/label/job/values`],
      ['/metadata', `/api/v1/metadata?limit=5`],
      ['/status/buildinfo', `/api/v1/status/buildinfo`],
    ];
    for (const [p, url] of cases) {
      const r = await api(url);
      expect(r.status, url).toBe(200);
      expect(validateSchema(r.body, responseSchema(doc, p, 'get', '200') as Schema, doc), url).toEqual([]);
    }
  });
});

describe('tokens on the metrics API', () => {
  it('needs a token to read and an editor to write', async () => {
    expect((await fetch(`${s.url}/api/v1/query?query=up`)).status).toBe(401);
    const created = await api('/api/v1/tokens', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'grafana', role: 'viewer' }) });
    const viewer = { authorization: `Bearer ${(created.body as { token?: string }).token}` };
    expect((await fetch(`${s.url}/api/v1/query?query=vector(1)`, { headers: viewer })).status).toBe(200);
    expect((await fetch(`${s.url}/api/v1/query`, { method: 'POST', headers: { ...viewer, 'content-type': 'application/x-www-form-urlencoded' }, body: 'query=vector(1)' })).status).toBe(200);
    const write = await fetch(`${s.url}/api/v1/metrics`, { method: 'POST', headers: { ...viewer, 'content-type': 'application/json' }, body: JSON.stringify({ namespace: 'N', metrics: [{ name: 'm', value: 1 }] }) });
    expect(write.status).toBe(403);
  });
});

describe('custom metrics and statistics', () => {
  it('pushes CloudWatch-style datums, queries them with PromQL and as statistics', async () => {
    const now = Math.floor(Date.now() / 1000);
    const push = await api('/api/v1/metrics', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        namespace: 'Shop/Checkout',
        metrics: [
          { name: 'Latency', unit: 'Milliseconds', dimensions: { region: 'eu' }, value: 120, timestamp: now - 20 },
          { name: 'Latency', unit: 'Milliseconds', dimensions: { region: 'eu' }, statisticValues: { sum: 300, min: 50, max: 150, sampleCount: 3 }, timestamp: now - 10 },
          { name: 'Latency', unit: 'Milliseconds', dimensions: { region: 'us' }, value: 80, timestamp: now - 10 },
        ],
      }),
    });
    expect(push.body).toEqual({ status: 'success', data: { datums: 3, samples: 7 } });
    const q = await api(`/api/v1/query?query=${encodeURIComponent('Shop_Checkout_Latency_count{region="eu"}')}&time=${now}`);
    expect((q.body.data as { result: { value: [number, string] }[] }).result[0]!.value[1]).toBe('3');
    const stats = await api(`/api/v1/metrics/statistics?namespace=Shop/Checkout&name=Latency&statistics=SampleCount,Sum,Maximum,Average&period=3600&groupBy=region&start=${now - 7200}&end=${now + 1}`);
    const results = (stats.body.data as { results: { dimensions: Record<string, string>; datapoints: Record<string, unknown>[] }[] }).results;
    const sumOf = (region: string) => results.find((r) => r.dimensions.region === region)!.datapoints.reduce((n, d) => n + (d.sum as number), 0);
    expect(sumOf('eu')).toBe(420);
    expect(sumOf('us')).toBe(80);
    const bad = await api('/api/v1/metrics/statistics?namespace=Shop&statistics=Sum');
    expect(bad).toMatchObject({ status: 400, body: { errorType: 'bad_data', issues: [{ path: 'name', message: 'is required' }] } });
  });
});

describe('scraping a ScrapeTarget', () => {
  let target: Server;
  let healthy = true;
  beforeAll(async () => {
    target = createServer((req, res) => {
      if (!healthy) {
        res.writeHead(500).end('down');
        return;
      }
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      res.end('# HELP e2e_jobs_total Jobs run.\n# TYPE e2e_jobs_total counter\ne2e_jobs_total{queue="a",job="inner"} 42\n');
    });
    await new Promise<void>((r) => target.listen(0, '127.0.0.1', () => r()));
  });
  afterAll(() => new Promise<void>((r) => target.close(() => r())));

  it('stores the target’s samples with up and scrape_* series, and marks them stale when the target fails', async () => {
    const port = (target.address() as { port: number }).port;
    const doc = `apiVersion: kansoku/v1\nkind: ScrapeTarget\nmetadata: {name: e2e-target}\nspec:\n  url: http://127.0.0.1:${port}\n  interval: 1s\n  timeout: 500ms\n  labels: {env: test}\n`;
    const created = await fetch(`${s.url}/api/v1/objects`, { method: 'POST', headers: { ...auth, 'content-type': 'application/yaml' }, body: doc });
    expect(created.status, await created.text()).toBe(201);
    const instant = async (query: string) => ((await api(`/api/v1/query?query=${encodeURIComponent(query)}`)).body.data as { result: { metric: Record<string, string>; value: [number, string] }[] }).result;
    const waitFor = async (query: string, ok: (r: Awaited<ReturnType<typeof instant>>) => boolean) => {
      for (let i = 0; i < 100; i++) {
        const r = await instant(query);
        if (ok(r)) return r;
        await new Promise((res) => setTimeout(res, 200));
      }
      throw new Error(`timed out waiting for ${query}: ${JSON.stringify(await instant(query))}`);
    };
    const up = await waitFor('up{job="e2e-target"}', (r) => r.length === 1);
    expect(up[0]!.metric).toEqual({ __name__: 'up', job: 'e2e-target', instance: `127.0.0.1:${port}`, env: 'test' });
    expect(up[0]!.value[1]).toBe('1');
    const jobs = await instant('e2e_jobs_total');
    // honorLabels false: the target's own "job" label is kept as exported_job, as Prometheus does.
    expect(jobs[0]!.metric).toEqual({ __name__: 'e2e_jobs_total', queue: 'a', exported_job: 'inner', job: 'e2e-target', instance: `127.0.0.1:${port}`, env: 'test' });
    expect((await instant('scrape_samples_scraped{job="e2e-target"}'))[0]!.value[1]).toBe('1');
    healthy = false;
    await waitFor('up{job="e2e-target"}', (r) => r[0]?.value[1] === '0');
    expect(await instant('e2e_jobs_total')).toEqual([]);
    const md = await api('/api/v1/metadata?metric=e2e_jobs_total');
    expect(md.body.data).toEqual({ e2e_jobs_total: [{ type: 'counter', help: 'Jobs run.', unit: '' }] });
  });
});
