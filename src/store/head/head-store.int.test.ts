/**
 * The WAL-and-head decorator over chDB: the shared telemetry store contract, then what the
 * head adds (reads joined across the head window, read-after-write for rows still queued).
 * vitest runs this file in its own process, so it owns chDB's one data directory.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../lib/logger.js';
import { ChdbTransport } from '../chdb/chdb-transport.js';
import { createTelemetryStore } from '../clickhouse/clickhouse-telemetry-store.js';
import { runTelemetryStoreContract } from '../contract/telemetry-store.contract.js';
import type { SampleRow } from '../telemetry-store.js';
import { openHeadStore } from './head-store.js';

const root = await mkdtemp(path.join(tmpdir(), 'kansoku-head-'));
const logger = silentLogger();

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

runTelemetryStoreContract('WAL + head over chDB', async (options) => {
  const transport = await ChdbTransport.open({ path: path.join(root, 'telemetry') });
  try {
    const inner = createTelemetryStore(transport, { logger, retention: options?.retention });
    // A long flush interval: reads must be right while rows are still queued for chDB.
    return await openHeadStore(inner, { dir: path.join(root, 'wal'), logger, retention: options?.retention, flushIntervalMs: 60_000 });
  } catch (err) {
    await transport.close();
    throw err;
  }
});

describe('WAL + head over chDB, across the head window', () => {
  it('joins the older part from chDB and the newer part from the head, flushing queued old rows first', async () => {
    const transport = await ChdbTransport.open({ path: path.join(root, 'telemetry') });
    const inner = createTelemetryStore(transport, { logger });
    await inner.migrate();
    // A 10-minute window (the head starts at its start aligned down to the hour: 10–70 min
    // back); nothing is flushed on its own during the test.
    const store = await openHeadStore(inner, { dir: path.join(root, 'wal-window'), logger, windowMs: 10 * 60_000, flushIntervalMs: 600_000, flushRows: 1e9, coveredFromMs: 0 });
    try {
      const name = `kt_window_${Date.now()}`;
      const now = Math.floor(Date.now() / 1000) * 1000;
      const rows: SampleRow[] = [];
      for (let i = 0; i < 120; i++) rows.push({ labels: { __name__: name, job: 'a' }, t: now - 119 * 60_000 + i * 60_000, v: i });
      rows.push({ labels: { __name__: name, job: 'old-only' }, t: now - 100 * 60_000, v: 100 });
      rows.push({ labels: { __name__: name, job: 'new-only' }, t: now - 60_000, v: 200 });
      await store.appendSamples(rows);

      // Nothing has reached chDB yet: the old half can only be right if the read flushes it.
      expect(await inner.selectSeries({ matchers: [{ name: '__name__', op: '=', value: name }], startMs: now - 2 * HOUR, endMs: now })).toEqual([]);

      const q = { matchers: [{ name: '__name__', op: '=' as const, value: name }], startMs: now - 2 * HOUR, endMs: now };
      const series = await store.selectSeries(q);
      expect(series.map((s) => s.labels.job)).toEqual(['a', 'new-only', 'old-only']);
      expect(series[0]!.samples.map((p) => p.v)).toEqual(Array.from({ length: 120 }, (_, i) => i));
      expect(series[0]!.samples.map((p) => p.t)).toEqual(rows.slice(0, 120).map((r) => r.t));
      // Again, with older whole hours from the block cache; then a late sample flushed into one shows.
      expect(await store.selectSeries(q)).toEqual(series);
      await store.appendSamples([{ labels: { __name__: name, job: 'old-only' }, t: now - 100 * 60_000 + 1000, v: 101 }]);
      expect((await store.selectSeries(q)).find((s) => s.labels.job === 'old-only')!.samples.map((p) => p.v)).toEqual([100, 101]);
      // The store answers label queries per day of samples, so only the head's part is exact.
      expect(await store.labelValues('job', { matchers: [{ name: '__name__', op: '=', value: name }], startMs: now - 2 * HOUR, endMs: now - 80 * 60_000 })).toEqual(expect.arrayContaining(['a', 'old-only']));
      expect(await store.labelValues('job', { matchers: [{ name: '__name__', op: '=', value: name }], startMs: now - 5 * 60_000, endMs: now })).toEqual(['a', 'new-only']);
      const limited = await store.selectSeries({ ...q, limit: 2 });
      expect(limited.map((s) => s.labels.job)).toEqual(['a', 'new-only']);
    } finally {
      await store.close();
    }
  });
});

const HOUR = 3_600_000;
