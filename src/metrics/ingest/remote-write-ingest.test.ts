import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../lib/logger.js';
import { compressWriteRequest, encodeWriteRequestV1, type EncodableSeries } from '../../sources/metrics/remote-write/index.js';
import { openHeadStore } from '../../store/head/head-store.js';
import type { TelemetryStore } from '../../store/telemetry-store.js';
import { PartialWriteError } from '../errors.js';
import { MetadataRegistry } from '../metadata.js';
import { STORED_STALE_MARKER } from '../stale-marker.js';
import { MemoryTelemetryStore } from '../test-support/memory-telemetry-store.js';
import { HeadTracker } from './head-tracker.js';
import { MetricsIngestService } from './ingest-service.js';

const NOW = Date.UTC(2026, 10, 23, 12);
const HEADERS = { 'content-type': 'application/x-protobuf', 'content-encoding': 'snappy' };
const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0)) await c();
});

/** Remote-write through the columnar path into the WAL-and-head store (inner store in memory). */
async function setup(): Promise<{ ingest: MetricsIngestService; store: TelemetryStore; inner: MemoryTelemetryStore }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'ksk-rw-ingest-'));
  const inner = new MemoryTelemetryStore();
  const store = await openHeadStore(inner, { dir, logger: silentLogger(), now: () => NOW, flushIntervalMs: 3_600_000, flushRows: 1e9 });
  cleanup.push(async () => {
    await store.close().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });
  return { ingest: new MetricsIngestService(store, new MetadataRegistry(), new HeadTracker(), silentLogger(), () => NOW), store, inner };
}

const body = (timeseries: EncodableSeries[]) => compressWriteRequest(encodeWriteRequestV1({ timeseries }));

describe('remote-write into the WAL-and-head store (columns end to end)', () => {
  it('stores exactly the accepted samples of each series, refusing out-of-order and duplicate ones in between', async () => {
    const { ingest, store, inner } = await setup();
    await ingest.remoteWrite(body([{ labels: [['__name__', 'rw_c'], ['job', 'a']], samples: [{ t: NOW - 10_000, v: 1 }] }]), HEADERS);
    const err = await ingest
      .remoteWrite(
        body([
          {
            labels: [['__name__', 'rw_c'], ['job', 'a']],
            samples: [
              { t: NOW - 20_000, v: 0 }, // older than the newest: out of order
              { t: NOW - 10_000, v: 1 }, // exact repeat: accepted, stored once
              { t: NOW - 9_000, v: 2 },
              { t: NOW - 9_000, v: 3 }, // same time, other value: duplicate
              { t: NOW - 8_000, v: NaN, stale: true },
              { t: NOW - 7_000, v: 4 },
            ],
          },
          { labels: [['__name__', 'rw_c'], ['job', 'b']], samples: [{ t: NOW - 5_000, v: 7 }] },
        ]),
        HEADERS,
      )
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PartialWriteError);
    expect(err).toMatchObject({ accepted: 5, rejected: 2 });
    expect((err as Error).message).toMatch(/first: out of order sample at \d+ for rw_c\{job="a"\}/);
    expect((err as PartialWriteError).issues[0]!.message).toBe(`out of order sample at ${NOW - 20_000} (2 samples)`);
    await store.close();
    const byJob = Object.fromEntries([...inner.series.values()].map((s) => [s.labels.job, [...s.points].map(([t, v]) => [t - NOW, v])]));
    expect(byJob).toEqual({
      a: [[-10_000, 1], [-9_000, 2], [-8_000, STORED_STALE_MARKER], [-7_000, 4]],
      b: [[-5_000, 7]],
    });
  });

  it('lets the sender retry a batch the store could not take, judging it afresh', async () => {
    const { store, inner } = await setup();
    let failures = 1;
    const flaky = {
      appendSamples: (rows: Parameters<TelemetryStore['appendSamples']>[0]) => store.appendSamples(rows),
      appendSeriesColumns: (series: Parameters<Required<TelemetryStore>['appendSeriesColumns']>[0]) =>
        failures-- > 0 ? Promise.reject(new Error('disk full')) : store.appendSeriesColumns!(series),
    } as unknown as TelemetryStore;
    const ingest = new MetricsIngestService(flaky, new MetadataRegistry(), new HeadTracker(), silentLogger(), () => NOW);
    const req = body([{ labels: [['__name__', 'rw_retry']], samples: [{ t: NOW - 1000, v: 1 }, { t: NOW, v: 2 }] }]);
    await expect(ingest.remoteWrite(req, HEADERS)).rejects.toThrow('disk full');
    await expect(ingest.remoteWrite(req, HEADERS)).resolves.toMatchObject({ samplesWritten: 2 });
    // Sent again after it was stored: the older sample is now out of order, as in Prometheus.
    await expect(ingest.remoteWrite(req, HEADERS)).rejects.toMatchObject({ accepted: 1, rejected: 1 });
    await store.close();
    expect([...[...inner.series.values()][0]!.points]).toEqual([[NOW - 1000, 1], [NOW, 2]]);
  });

  it('judges a retried series afresh even where the decoder would have predicted it from the series before it', async () => {
    const { store, inner } = await setup();
    let failNext = false;
    const flaky = {
      appendSamples: (rows: Parameters<TelemetryStore['appendSamples']>[0]) => store.appendSamples(rows),
      appendSeriesColumns: (series: Parameters<Required<TelemetryStore>['appendSeriesColumns']>[0]) => {
        if (!failNext) return store.appendSeriesColumns!(series);
        failNext = false;
        return Promise.reject(new Error('disk full'));
      },
    } as unknown as TelemetryStore;
    const ingest = new MetricsIngestService(flaky, new MetadataRegistry(), new HeadTracker(), silentLogger(), () => NOW);
    const x = { labels: [['__name__', 'rw_x']] as [string, string][] };
    const a = { labels: [['__name__', 'rw_a']] as [string, string][] };
    // x then a: the decoder now expects a after x.
    await ingest.remoteWrite(body([{ ...x, samples: [{ t: NOW - 2000, v: 1 }] }, { ...a, samples: [{ t: NOW - 2000, v: 1 }] }]), HEADERS);
    failNext = true;
    await expect(ingest.remoteWrite(body([{ ...a, samples: [{ t: NOW - 1000, v: 2 }] }]), HEADERS)).rejects.toThrow('disk full');
    // a's sample at NOW - 1000 was not stored: sent again after x, it must be stored, not taken for a repeat.
    await expect(ingest.remoteWrite(body([{ ...x, samples: [{ t: NOW - 1000, v: 2 }] }, { ...a, samples: [{ t: NOW - 1000, v: 2 }] }]), HEADERS)).resolves.toMatchObject({ samplesWritten: 2, samplesRepeated: 0 });
    await store.close();
    const byName = Object.fromEntries([...inner.series.values()].map((s) => [s.labels.__name__, [...s.points].map(([t]) => t - NOW)]));
    expect(byName).toEqual({ rw_x: [-2000, -1000], rw_a: [-2000, -1000] });
  });
});
