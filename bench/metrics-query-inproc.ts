/**
 * In-process query path: the bench's payloads (bench/metrics.ts) ingested into the chDB store
 * behind the WAL-and-head decorator, as the server wires them, then the five dashboard queries
 * through StoreSeriesSource → PromqlEngine → Prometheus JSON, timed without HTTP. Also times
 * the store's `selectSeries` alone for each query's selector. For profiling the read path:
 * `npx tsx bench/metrics-query-inproc.ts [--series=N --hours=H] [--runs=R]`, or with
 * `node --cpu-prof --import tsx bench/metrics-query-inproc.ts` for a profile.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { silentLogger } from '../src/lib/logger.js';
import { HeadTracker } from '../src/metrics/ingest/head-tracker.js';
import { MetricsIngestService } from '../src/metrics/ingest/ingest-service.js';
import { MetadataRegistry } from '../src/metrics/metadata.js';
import { StoreSeriesSource } from '../src/metrics/store-series-source.js';
import { PromqlEngine, toPrometheusJson } from '../src/query/promql/index.js';
import { openTelemetryStore } from '../src/store/clickhouse/open-telemetry-store.js';
import { openHeadStore } from '../src/store/head/head-store.js';
import { buildPayloads } from './metrics.js';

function arg(name: string, dflt: number): number {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  return a ? Number(a.slice(name.length + 3)) : dflt;
}

const STEP_MS = 15_000;
const runs = arg('runs', 15);
const shape = { series: arg('series', 1000), hours: arg('hours', 6) };
const endMs = arg('end', Math.floor(Date.now() / STEP_MS) * STEP_MS - 60_000);
const { shards, samples } = buildPayloads(shape, endMs);
const dir = mkdtempSync(path.join(tmpdir(), 'ksk-query-bench-'));
const logger = silentLogger();
const inner = await openTelemetryStore({ engine: 'chdb', dataDir: dir }, { logger });
const store = await openHeadStore(inner, { dir: path.join(dir, 'wal'), logger });
try {
  const ingest = new MetricsIngestService(store, new MetadataRegistry(), new HeadTracker(), logger);
  const headers = { 'content-type': 'application/x-protobuf', 'content-encoding': 'snappy' };
  await Promise.all(shards.map(async (reqs) => {
    for (const body of reqs) await ingest.remoteWrite(body, headers);
  }));
  // As the bench does: wait until the flusher has written every sample to chDB.
  for (let i = 0; i < 600; i++) {
    const rows = (await inner.usage()).find((u) => u.table === 'samples')?.rows ?? 0;
    if (rows >= samples) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  console.log(`${samples} samples in; ${shape.series} series × ${shape.hours} h`);

  const engine = new PromqlEngine(new StoreSeriesSource(store), { maxSamples: 50_000_000 });
  const e = endMs;
  const queries: { name: string; q: string; start: number; matchers: { name: string; op: '=' | '=~'; value: string }[]; selStart: number }[] = [
    { name: 'rate', q: 'rate(bench_http_requests_total{instance="inst-1"}[5m])', start: e - 3_600_000, matchers: [{ name: '__name__', op: '=', value: 'bench_http_requests_total' }, { name: 'instance', op: '=', value: 'inst-1' }], selStart: e - 3_900_000 },
    { name: 'sum by', q: 'sum by (code) (rate(bench_http_requests_total[5m]))', start: e - 3_600_000, matchers: [{ name: '__name__', op: '=', value: 'bench_http_requests_total' }], selStart: e - 3_900_000 },
    { name: 'histogram_quantile', q: 'histogram_quantile(0.99, sum by (le) (rate(bench_request_duration_seconds_bucket[5m])))', start: e - 3_600_000, matchers: [{ name: '__name__', op: '=', value: 'bench_request_duration_seconds_bucket' }], selStart: e - 3_900_000 },
    { name: 'topk', q: 'topk(5, bench_memory_bytes)', start: e - 3_600_000, matchers: [{ name: '__name__', op: '=', value: 'bench_memory_bytes' }], selStart: e - 3_900_000 },
    { name: '24 h range', q: 'sum(rate(bench_cpu_seconds_total{instance=~"inst-[0-4]"}[5m]))', start: e - 86_400_000, matchers: [{ name: '__name__', op: '=', value: 'bench_cpu_seconds_total' }, { name: 'instance', op: '=~', value: 'inst-[0-4]' }], selStart: e - 86_700_000 },
  ];
  const p50 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  console.log('| query | selectSeries p50 ms | query p50 ms (engine + JSON) |');
  console.log('|---|---|---|');
  for (const q of queries) {
    const sel: number[] = [];
    const full: number[] = [];
    for (let i = 0; i < runs + 2; i++) {
      let t0 = performance.now();
      await store.selectSeries({ matchers: q.matchers, startMs: q.selStart, endMs: e });
      const s = performance.now() - t0;
      t0 = performance.now();
      const r = await engine.rangeQuery(q.q, q.start, e, STEP_MS);
      const json = JSON.stringify(toPrometheusJson(r));
      if (i === 0 && process.argv.includes('--digest')) console.log(`${q.name}: ${createHash('sha256').update(json).digest('hex').slice(0, 16)} ${json.length} bytes`);
      if (i === 0 && process.env.DUMP) writeFileSync(`${process.env.DUMP}-${q.name.replace(/\W+/g, '_')}.json`, json);
      const f = performance.now() - t0;
      if (i >= 2) {
        sel.push(s);
        full.push(f);
      }
    }
    console.log(`| ${q.name} | ${p50(sel).toFixed(1)} | ${p50(full).toFixed(1)} |`);
  }
} finally {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}
