/**
 * In-process remote-write ingest: the bench's captured payloads (bench/metrics.ts) fed through
 * MetricsIngestService over the WAL-and-head store (inner store in memory, no HTTP), to measure
 * and profile the per-sample cost of decode → validate → out-of-order check → batcher → head +
 * WAL. `npx tsx bench/metrics-ingest-inproc.ts [--series=N --hours=H] [--rounds=R]`; run with
 * `node --cpu-prof --import tsx` for a profile.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { silentLogger } from '../src/lib/logger.js';
import { HeadTracker } from '../src/metrics/ingest/head-tracker.js';
import { MetricsIngestService } from '../src/metrics/ingest/ingest-service.js';
import { MetadataRegistry } from '../src/metrics/metadata.js';
import { MemoryTelemetryStore } from '../src/metrics/test-support/memory-telemetry-store.js';
import { openHeadStore } from '../src/store/head/head-store.js';
import { buildPayloads } from './metrics.js';

function arg(name: string, dflt: number): number {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  return a ? Number(a.slice(name.length + 3)) : dflt;
}

const headers = { 'content-type': 'application/x-protobuf', 'content-encoding': 'snappy' };
const rounds = arg('rounds', 2);
for (let round = 0; round < rounds; round++) {
  const end = Date.now() + round * 86_400_000;
  const { shards, samples } = buildPayloads({ series: arg('series', 1000), hours: arg('hours', 6) }, end);
  const dir = mkdtempSync(path.join(tmpdir(), 'ksk-ingest-bench-'));
  // An inner store that drops rows: the flusher's encoding is not what is measured here.
  const inner = new MemoryTelemetryStore();
  inner.appendSamples = () => Promise.resolve();
  const store = await openHeadStore(inner, { dir, logger: silentLogger(), coveredFromMs: 0, now: () => end });
  const ingest = new MetricsIngestService(store, new MetadataRegistry(), new HeadTracker(), silentLogger());
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  await Promise.all(
    shards.map(async (reqs) => {
      for (const body of reqs) await ingest.remoteWrite(body, headers);
    }),
  );
  const s = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  console.log(`round ${round}: ${samples} samples in ${s.toFixed(2)} s = ${Math.round(samples / s / 1000)}k samples/s (cpu ${((cpu.user + cpu.system) / 1e6).toFixed(2)} s, ${Math.round((samples / (cpu.user + cpu.system)) * 1000)}k samples/cpu-s)`);
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}
