/**
 * Statistics-style aggregation over a long range, raw samples vs rollups, on chDB.
 * `npx tsx bench/rollups.ts [--series=100] [--days=30]` (15 s interval). Raw retention is set
 * past the range so both resolutions can answer the same query.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ChdbTransport } from '../src/store/chdb/chdb-transport.js';
import { createTelemetryStore } from '../src/store/clickhouse/clickhouse-telemetry-store.js';
import { silentLogger } from '../src/lib/logger.js';
import type { AggregateSamplesQuery, SampleRow } from '../src/store/telemetry-store.js';

const arg = (name: string, dflt: number) => Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? dflt);
const SERIES = arg('series', 100);
const DAYS = arg('days', 30);
const STEP = 15_000;
const DAY = 86_400_000;

const dir = await mkdtemp(path.join(tmpdir(), 'kansoku-bench-rollups-'));
const transport = await ChdbTransport.open({ path: dir });
const store = createTelemetryStore(transport, { logger: silentLogger(), retention: { samplesMs: (DAYS + 2) * DAY }, rollupIntervalMs: 0 });
try {
  await store.migrate();
  const end = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 3_600_000;
  const start = end - DAYS * DAY;
  const labels = Array.from({ length: SERIES }, (_, i) => ({ __name__: 'bench_latency', host: `h${i}`, dc: `dc${i % 10}` }));
  let t0 = performance.now();
  let total = 0;
  // Two hours of every series per batch.
  for (let t = start; t < end; t += 2 * 3_600_000) {
    const batch: SampleRow[] = [];
    for (const l of labels) for (let x = t; x < Math.min(end, t + 2 * 3_600_000); x += STEP) batch.push({ labels: l, t: x, v: (x / STEP) % 97 });
    await store.appendSamples(batch);
    total += batch.length;
  }
  console.log(`ingest: ${total} samples in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  t0 = performance.now();
  // The first rollup read runs the job (samples were appended late, so they are rolled once).
  await store.aggregateSamples({ matchers: [{ name: '__name__', op: '=', value: 'bench_latency' }], startMs: start, endMs: start + 3_600_000, periodMs: 3_600_000, groupBy: [], resolution: '1h' });
  console.log(`rollup job (5 m + 1 h over ${DAYS} d): ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const rows = async (table: string) => (await transport.queryRows<{ n: number }>(`SELECT count() AS n FROM ${table}`))[0]!.n;
  console.log(`rows: samples ${await rows('samples')}, samples_5m ${await rows('samples_5m')}, samples_1h ${await rows('samples_1h')}`);

  const q: AggregateSamplesQuery = { matchers: [{ name: '__name__', op: '=', value: 'bench_latency' }], startMs: start, endMs: end - 1, periodMs: DAY, groupBy: ['dc'] };
  const cases: [string, Partial<AggregateSamplesQuery>][] = [
    ['raw', { resolution: 'raw' }],
    ['5m', { resolution: '5m' }],
    ['1h', { resolution: '1h' }],
    ['raw + p99', { resolution: 'raw', quantiles: [0.99] }],
    ['1h + p99 (sketch)', { resolution: '1h', quantiles: [0.99] }],
  ];
  for (const [name, over] of cases) {
    const times: number[] = [];
    let out;
    for (let i = 0; i < 5; i++) {
      const s = performance.now();
      out = await store.aggregateSamples({ ...q, ...over });
      times.push(performance.now() - s);
    }
    times.sort((a, b) => a - b);
    console.log(`${name}: p50 ${times[2]!.toFixed(0)} ms (min ${times[0]!.toFixed(0)}), ${out!.rows.length} datapoints, sum of counts ${out!.rows.reduce((n, r) => n + r.count, 0)}`);
  }
} finally {
  await store.close();
  await rm(dir, { recursive: true, force: true });
}
