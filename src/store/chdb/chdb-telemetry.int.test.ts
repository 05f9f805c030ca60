/**
 * The telemetry store on chDB: the shared contract, plus what only an embedded engine can show
 * (TTL really deleting rows, retention changes reaching the DDL, one directory per process,
 * insert rate). vitest runs this file in its own process, so it owns chDB's one data directory.
 */
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../lib/logger.js';
import { createTelemetryStore } from '../clickhouse/clickhouse-telemetry-store.js';
import { openTelemetryStore } from '../clickhouse/open-telemetry-store.js';
import { dateTime64Text } from '../clickhouse/encode.js';
import { encodeNativeBlock, setInt64Words } from '../clickhouse/native-block.js';
import { MIGRATIONS, SAMPLE_NATIVE_COLUMNS, TABLES } from '../clickhouse/schema.js';
import { runTelemetryStoreContract } from '../contract/telemetry-store.contract.js';
import type { SampleRow } from '../telemetry-store.js';
import { ChdbTransport, chdbFirstOpenStats } from './chdb-transport.js';

const root = await mkdtemp(path.join(tmpdir(), 'kansoku-chdb-'));
const dataDir = path.join(root, 'telemetry');
const logger = silentLogger();

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

runTelemetryStoreContract('chDB', async (options) => {
  const transport = await ChdbTransport.open({ path: dataDir });
  try {
    return createTelemetryStore(transport, { logger, retention: options?.retention });
  } catch (err) {
    await transport.close();
    throw err;
  }
});

describe('openTelemetryStore on chDB', () => {
  it('opens <dataDir>/telemetry, migrates it and serves the port', async () => {
    const store = await openTelemetryStore({ engine: 'chdb', dataDir: root }, { logger });
    try {
      expect(store.engine).toBe('chdb');
      const t = Math.floor(Date.now() / 1000) * 1000 - 60_000;
      await store.appendSamples([{ labels: { __name__: 'kt_open_probe', via: 'opener' }, t, v: 3 }]);
      expect(await store.labelValues('via', { matchers: [{ name: '__name__', op: '=', value: 'kt_open_probe' }], startMs: t, endMs: t })).toEqual(['opener']);
    } finally {
      await store.close();
    }
  });
});

describe('chDB engine specifics', () => {
  let transport: ChdbTransport;

  beforeAll(async () => {
    transport = await ChdbTransport.open({ path: dataDir });
    await createTelemetryStore(transport, { logger }).migrate();
  });
  afterAll(async () => {
    await transport?.close();
  });

  it('records each migration once in kansoku_migrations', async () => {
    const store = createTelemetryStore(transport, { logger });
    await store.migrate();
    await store.migrate();
    const rows = await transport.queryRows<{ version: number; n: number }>(`SELECT version, count() AS n FROM ${TABLES.migrations} FINAL GROUP BY version ORDER BY version`);
    expect(rows).toEqual(MIGRATIONS.map((m) => ({ version: m.version, n: 1 })));
  });

  it('deletes rows past the TTL when parts merge', async () => {
    const old = Date.now() - 20 * 86_400_000;
    const fresh = Date.now() - 60_000;
    // Straight into the table: the store itself never writes data older than the retention.
    await transport.insertRaw(TABLES.samples, `424242\t${dateTime64Text(old)}\t1\n424242\t${dateTime64Text(fresh)}\t2\n`, 'TSV', ['series_id', 't', 'v']);
    await transport.command(`OPTIMIZE TABLE ${TABLES.samples} FINAL`);
    const rows = await transport.queryRows<{ v: number }>(`SELECT v FROM ${TABLES.samples} WHERE series_id = 424242`);
    expect(rows).toEqual([{ v: 2 }]);
  });

  it('changes table TTLs when the configured retention changes, and only then', async () => {
    const ttl = async () =>
      Object.fromEntries(
        (await transport.queryRows<{ name: string; engine_full: string }>(`SELECT name, engine_full FROM system.tables WHERE database = currentDatabase()`)).map((r) => [
          r.name,
          /toIntervalSecond\((\d+)\)/.exec(r.engine_full)?.[1],
        ]),
      );
    // The series table outlives the longest rollup (2 years by default) by a day.
    expect(await ttl()).toMatchObject({ samples: String(15 * 86_400), series: String(731 * 86_400), check_results: String(90 * 86_400), log_events: String(30 * 86_400), samples_5m: String(90 * 86_400), samples_1h: String(730 * 86_400) });
    await createTelemetryStore(transport, { logger, retention: { samplesMs: 2 * 86_400_000, logEventsMs: 7 * 86_400_000, rollups1hMs: 30 * 86_400_000 } }).migrate();
    expect(await ttl()).toMatchObject({ samples: String(2 * 86_400), series: String(91 * 86_400), check_results: String(90 * 86_400), log_events: String(7 * 86_400), samples_1h: String(30 * 86_400), rollup_dirty: String(2 * 86_400) });
    await createTelemetryStore(transport, { logger }).migrate();
    expect(await ttl()).toMatchObject({ samples: String(15 * 86_400), log_events: String(30 * 86_400), samples_1h: String(730 * 86_400) });
  });

  it('uses the codecs and indexes the design asks for', async () => {
    const cols = await transport.queryRows<{ table: string; name: string; compression_codec: string }>(
      `SELECT table, name, compression_codec FROM system.columns WHERE database = currentDatabase() AND table = 'samples' ORDER BY name`,
    );
    expect(cols.find((c) => c.name === 't')!.compression_codec).toMatch(/DoubleDelta/);
    expect(cols.find((c) => c.name === 'v')!.compression_codec).toMatch(/Gorilla/);
    const idx = await transport.queryRows<{ table: string; type: string }>(`SELECT table, type FROM system.data_skipping_indices WHERE database = currentDatabase() ORDER BY table`);
    expect(idx).toEqual(expect.arrayContaining([{ table: 'log_events', type: 'ngrambf_v1' }, { table: 'series', type: 'bloom_filter' }]));
  });

  it('refuses a second data directory in the same process with an actionable error', async () => {
    const err = await ChdbTransport.open({ path: path.join(root, 'other') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/one data directory per process/);
  });

  it('wraps engine errors in StoreError keeping the statement', async () => {
    const err = await transport.queryRows('SELECT * FROM no_such_table').catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'KSK_STORE_QUERY_FAILED', statement: 'SELECT * FROM no_such_table' });
    expect((err as Error).message).toMatch(/migrations/);
  });

  it('inserts a Native block bit for bit through a file it deletes afterwards, also when the insert fails', async () => {
    const table = 'kt_native_probe';
    await transport.command(`CREATE TABLE ${table} (series_id UInt64, t DateTime64(3, 'UTC'), v Float64) ENGINE = MergeTree ORDER BY (series_id, t)`);
    const rows = 300;
    const ids = new BigUint64Array(rows);
    const words = new Uint32Array(2 * rows);
    const vs = new Float64Array(rows);
    const vWords = new Uint32Array(vs.buffer);
    for (let i = 0; i < rows; i++) {
      ids[i] = i === 0 ? 2n ** 64n - 1n : BigInt(i);
      setInt64Words(words, i, 1_700_000_000_000 + i * 15_000);
      vs[i] = i / 3;
    }
    // Row 1: the staleness marker, set as bits (little-endian words).
    vWords[2] = 2;
    vWords[3] = 0x7ff00000;
    const block = encodeNativeBlock(rows, [
      { ...SAMPLE_NATIVE_COLUMNS[0]!, data: ids },
      { ...SAMPLE_NATIVE_COLUMNS[1]!, data: words },
      { ...SAMPLE_NATIVE_COLUMNS[2]!, data: vs },
    ]);
    await transport.insertNative(table, SAMPLE_NATIVE_COLUMNS, block);
    const back = await transport.queryRows<{ id: string; ms: number; bits: string }>(
      `SELECT toString(series_id) AS id, toUnixTimestamp64Milli(t) AS ms, leftPad(hex(reinterpretAsUInt64(v)), 16, '0') AS bits FROM ${table} ORDER BY t`,
    );
    expect(back).toHaveLength(rows);
    expect(back[0]).toEqual({ id: '18446744073709551615', ms: 1_700_000_000_000, bits: '0000000000000000' });
    expect(back[1]).toEqual({ id: '1', ms: 1_700_000_015_000, bits: '7FF0000000000002' });
    const expectBits = (v: number) => Buffer.from(Float64Array.of(v).buffer).reverse().toString('hex').toUpperCase();
    for (let i = 2; i < rows; i++) expect(back[i]).toEqual({ id: String(i), ms: 1_700_000_000_000 + i * 15_000, bits: expectBits(i / 3) });
    const err = await transport.insertNative('no_such_table', SAMPLE_NATIVE_COLUMNS, block).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'KSK_STORE_QUERY_FAILED' });
    expect(await readdir(path.join(dataDir, 'kansoku-ingest'))).toEqual([]);
  });

  it('stores 100k samples in batches and reports the insert rate', async () => {
    const store = createTelemetryStore(transport, { logger });
    const start = Math.floor((Date.now() - 3_600_000) / 1000) * 1000;
    const seriesCount = 100;
    const perSeries = 1000;
    const batches: SampleRow[][] = [];
    for (let b = 0; b < 10; b++) {
      const batch: SampleRow[] = [];
      for (let s = 0; s < seriesCount; s++) {
        const labels = { __name__: 'kt_bench_cpu', host: `h${s}`, mode: 'user' };
        for (let i = b * (perSeries / 10); i < (b + 1) * (perSeries / 10); i++) batch.push({ labels, t: start + i * 1000, v: Math.sin(i) * 100 });
      }
      batches.push(batch);
    }
    const t0 = performance.now();
    for (const batch of batches) await store.appendSamples(batch);
    const seconds = (performance.now() - t0) / 1000;
    const total = seriesCount * perSeries;
    console.log(`chDB insert: ${total} samples in ${seconds.toFixed(2)} s = ${Math.round(total / seconds)} samples/s (10 batches of 10k, 100 series)`);
    const rows = await transport.queryRows<{ n: number }>(
      `SELECT count() AS n FROM ${TABLES.samples} FINAL WHERE series_id IN (SELECT series_id FROM ${TABLES.series} WHERE metric = 'kt_bench_cpu')`,
    );
    expect(rows).toEqual([{ n: total }]);
    const read = await store.selectSeries({ matchers: [{ name: '__name__', op: '=', value: 'kt_bench_cpu' }, { name: 'host', op: '=~', value: 'h1.' }], startMs: start, endMs: start + perSeries * 1000 });
    expect(read).toHaveLength(10);
    expect(read[0]!.samples).toHaveLength(perSeries);
    const status = await import('node:fs/promises').then((fs) => fs.readFile('/proc/self/status', 'utf8')).catch(() => '');
    const rss = (k: string) => /\d+/.exec(status.split('\n').find((l) => l.startsWith(k)) ?? '')?.[0];
    const first = chdbFirstOpenStats()!;
    console.log(`chDB first open: import ${Math.round(first.importMs)} ms, session ${Math.round(first.openMs)} ms; now RssAnon ${rss('RssAnon')} kB, RssFile ${rss('RssFile')} kB`);
  });
});

describe('chDB block files', () => {
  it('deletes block files an earlier process left behind when it opens', async () => {
    const ingest = path.join(dataDir, 'kansoku-ingest');
    await writeFile(path.join(ingest, 'a1b2c3d4e5f6-17.native'), 'left by a crash');
    const transport = await ChdbTransport.open({ path: dataDir });
    try {
      expect(await readdir(ingest)).toEqual([]);
    } finally {
      await transport.close();
    }
  });
});
