import { describe, expect, it } from 'vitest';
import { KansokuError, StoreError, ValidationError } from '../../lib/errors.js';
import { silentLogger } from '../../lib/logger.js';
import { createTelemetryStore } from './clickhouse-telemetry-store.js';
import { RecordingTransport } from './recording-transport.js';
import { retentionFromConfig } from './retention.js';
import { MIGRATIONS, TABLES } from './schema.js';
import { clickHouseErrorName, toStoreError } from './store-errors.js';

const logger = silentLogger();
const NOW = 1_800_000_000_000;
const DAY = 86_400_000;

function storeOn(transport: RecordingTransport, retention?: Parameters<typeof createTelemetryStore>[1]['retention']) {
  return createTelemetryStore(transport, { logger, retention, now: () => NOW });
}

describe('appendSamples', () => {
  it('writes one series row per series and day, once per process, and samples as TSV', async () => {
    const t = new RecordingTransport();
    const store = storeOn(t);
    const labels = { __name__: 'up', job: 'api' };
    await store.appendSamples([
      { labels, t: NOW - 1000, v: 1 },
      { labels: { job: 'api', __name__: 'up' }, t: NOW - 500, v: NaN },
      { labels, t: NOW - DAY, v: -Infinity },
    ]);
    await store.appendSamples([{ labels, t: NOW, v: 2 }]);
    const series = t.inserts(TABLES.series);
    expect(series).toHaveLength(1);
    const rows = series[0]!.body!.trim().split('\n').map((l) => JSON.parse(l) as { series_id: string; day: string; labels: object; metric: string });
    expect(rows.map((r) => r.day).sort()).toEqual(['2027-01-14', '2027-01-15']);
    expect(rows[0]).toMatchObject({ metric: 'up', labels: { __name__: 'up', job: 'api' } });
    expect(new Set(rows.map((r) => r.series_id)).size).toBe(1);
    const samples = t.inserts(TABLES.samples);
    expect(samples).toHaveLength(2);
    expect(samples[0]!.format).toBe('TSV');
    expect(samples[0]!.columns).toEqual(['series_id', 't', 'v_hi', 'v_lo']);
    const id = rows[0]!.series_id;
    // Values as the two 32-bit halves of their bits: 1 = 0x3ff00000_00000000, NaN = 0x7ff80000_0, -Infinity = 0xfff00000_0.
    expect(samples[0]!.body).toBe(`${id}\t1799999999.000\t${0x3ff00000}\t0\n${id}\t1799999999.500\t${0x7ff80000}\t0\n${id}\t1799913600.000\t${0xfff00000}\t0\n`);
  });

  it('inserts the series row before the samples that refer to it', async () => {
    const t = new RecordingTransport();
    await storeOn(t).appendSamples([{ labels: { __name__: 'x' }, t: NOW, v: 1 }]);
    expect(t.calls.map((c) => c.table)).toEqual([TABLES.series, TABLES.samples]);
  });

  it('drops samples older than the retention window without a write', async () => {
    const t = new RecordingTransport();
    await storeOn(t, { samplesMs: DAY }).appendSamples([{ labels: { __name__: 'x' }, t: NOW - 2 * DAY, v: 1 }]);
    expect(t.calls).toEqual([]);
  });

  it('rejects the whole batch on one bad sample and writes nothing', async () => {
    const t = new RecordingTransport();
    const err = await storeOn(t)
      .appendSamples([
        { labels: { __name__: 'x' }, t: NOW, v: 1 },
        { labels: { __name__: '' }, t: NOW, v: 1 },
        { labels: { __name__: 'x' }, t: NaN, v: 1 },
      ])
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).issues.map((i) => i.path)).toEqual(['samples[1].labels.__name__', 'samples[2].t']);
    expect((err as Error).message).toMatch(/nothing stored/);
    expect(t.calls).toEqual([]);
  });
});

/** A Native block's 8-byte columns as unsigned 64-bit values (the test's own reading of the format). */
function decodeNative(block: Uint8Array): { rows: number; columns: { name: string; type: string; values: bigint[] }[] } {
  const view = new DataView(block.buffer, block.byteOffset, block.byteLength);
  let at = 0;
  const varint = () => {
    let n = 0;
    for (let shift = 1; ; shift *= 128) {
      const b = block[at++]!;
      n += (b & 0x7f) * shift;
      if (b < 0x80) return n;
    }
  };
  const text = () => {
    const len = varint();
    at += len;
    return Buffer.from(block.subarray(at - len, at)).toString('utf8');
  };
  const count = varint();
  const rows = varint();
  const columns = [];
  for (let c = 0; c < count; c++) {
    const name = text();
    const type = text();
    const values = Array.from({ length: rows }, (_, i) => view.getBigUint64(at + i * 8, true));
    at += rows * 8;
    columns.push({ name, type, values });
  }
  expect(at).toBe(block.length);
  return { rows, columns };
}

describe('appendSeriesColumns', () => {
  const f64Bits = (v: number) => {
    const view = new DataView(new ArrayBuffer(8));
    view.setFloat64(0, v, true);
    return view.getBigUint64(0, true);
  };

  it('writes the series rows, then the samples as one Native block with the ids, times and value bits as they are', async () => {
    const t = new RecordingTransport();
    const store = storeOn(t, { samplesMs: 2 * DAY });
    const up = { __name__: 'up', job: 'api' };
    const other = { __name__: 'other' };
    const vs = new Float64Array(4);
    const bits = new Uint32Array(vs.buffer);
    // The staleness marker 0x7ff00000_00000002 set as bits: a double literal could be quieted.
    bits[0] = 2;
    bits[1] = 0x7ff00000;
    vs[1] = 3.5; // dropped: older than the retention
    vs[2] = -0;
    vs[3] = Infinity;
    await store.appendSeriesColumns!([
      { labels: up, t: Float64Array.of(NOW - 1000, NOW - 3 * DAY, NOW - DAY, NOW), v: vs },
      { labels: other, t: Float64Array.of(NOW - 500), v: Float64Array.of(7) },
      // A second part of the first series: one series row per day all the same.
      { labels: up, t: Float64Array.of(NOW - 999), v: Float64Array.of(1) },
    ]);
    expect(t.calls.map((c) => c.table)).toEqual([TABLES.series, TABLES.samples, TABLES.rollupDirty]);
    const series = t.inserts(TABLES.series)[0]!.body!.trim().split('\n').map((l) => JSON.parse(l) as { series_id: string; day: string; metric: string; labels: object });
    expect(series.map((r) => [r.metric, r.day])).toEqual([
      ['up', '2027-01-15'],
      ['up', '2027-01-14'],
      ['other', '2027-01-15'],
    ]);
    const upId = BigInt(series[0]!.series_id);
    const otherId = BigInt(series[2]!.series_id);
    const samples = t.inserts(TABLES.samples);
    expect(samples).toHaveLength(1);
    expect(samples[0]).toMatchObject({ format: 'Native', columns: ['series_id', 't', 'v'] });
    const block = decodeNative(samples[0]!.bytes!);
    expect(block.columns.map((c) => [c.name, c.type])).toEqual([
      ['series_id', 'UInt64'],
      ['t', "DateTime64(3, 'UTC')"],
      ['v', 'Float64'],
    ]);
    expect(block.columns[0]!.values).toEqual([upId, upId, upId, otherId, upId]);
    expect(block.columns[1]!.values).toEqual([NOW - 1000, NOW - DAY, NOW, NOW - 500, NOW - 999].map(BigInt));
    expect(block.columns[2]!.values.map((v) => v.toString(16))).toEqual(['7ff0000000000002', '8000000000000000', '7ff0000000000000', f64Bits(7).toString(16), f64Bits(1).toString(16)]);
    // The same series ids as appendSamples writes.
    const rows = new RecordingTransport();
    await storeOn(rows).appendSamples([{ labels: up, t: NOW, v: 1 }]);
    expect(rows.inserts(TABLES.samples)[0]!.body!.split('\t')[0]).toBe(String(upId));
    // The sample a day old lies in a window that may be rolled up already: marked after the samples.
    const dirty = t.inserts(TABLES.rollupDirty)[0]!.body!.trim().split('\n').map((l) => (JSON.parse(l) as { win: number }).win * 1000);
    expect(dirty).toEqual([NOW - DAY - ((NOW - DAY) % 300_000)]);
  });

  it('writes a series row once per series and day per process, across both append forms', async () => {
    const t = new RecordingTransport();
    const store = storeOn(t);
    await store.appendSamples([{ labels: { __name__: 'up' }, t: NOW - 1000, v: 1 }]);
    await store.appendSeriesColumns!([{ labels: { __name__: 'up' }, t: Float64Array.of(NOW), v: Float64Array.of(2) }]);
    expect(t.inserts(TABLES.series)).toHaveLength(1);
    expect(t.inserts(TABLES.samples).map((c) => c.format)).toEqual(['TSV', 'Native']);
  });

  it('writes the series row of a frozen labels object once per day, whichever day comes first', async () => {
    const t = new RecordingTransport();
    const store = storeOn(t);
    const labels = Object.freeze({ __name__: 'up', job: 'frozen' });
    const one = Float64Array.of(1);
    await store.appendSeriesColumns!([{ labels, t: Float64Array.of(NOW), v: one }]);
    await store.appendSeriesColumns!([{ labels, t: Float64Array.of(NOW - DAY, NOW - 1), v: Float64Array.of(1, 2) }]);
    await store.appendSeriesColumns!([{ labels, t: Float64Array.of(NOW - DAY + 1), v: one }, { labels, t: Float64Array.of(NOW - 2), v: one }]);
    await store.appendSeriesColumns!([{ labels: { ...labels }, t: Float64Array.of(NOW - 3), v: one }]);
    const days = t.inserts(TABLES.series).map((c) => c.body!.trim().split('\n').map((l) => (JSON.parse(l) as { day: string }).day));
    expect(days).toEqual([['2027-01-15'], ['2027-01-14']]);
    expect(t.inserts(TABLES.samples)).toHaveLength(4);
  });

  it('writes nothing when every sample is older than the retention, or there are none', async () => {
    const t = new RecordingTransport();
    const store = storeOn(t, { samplesMs: DAY });
    await store.appendSeriesColumns!([{ labels: { __name__: 'x' }, t: Float64Array.of(NOW - 2 * DAY), v: Float64Array.of(1) }]);
    await store.appendSeriesColumns!([{ labels: { __name__: 'x' }, t: new Float64Array(0), v: new Float64Array(0) }]);
    await store.appendSeriesColumns!([]);
    expect(t.calls).toEqual([]);
  });

  it('rejects the whole batch on one bad series and writes nothing', async () => {
    const t = new RecordingTransport();
    const err = await storeOn(t)
      .appendSeriesColumns!([
        { labels: { __name__: 'x' }, t: Float64Array.of(NOW), v: Float64Array.of(1) },
        { labels: { __name__: 'x', i: '2' }, t: Float64Array.of(NOW, 1.5), v: Float64Array.of(1, 2) },
      ])
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).issues.map((i) => i.path)).toEqual(['series[1].t[1]']);
    expect(t.calls).toEqual([]);
  });
});

describe('reads', () => {
  it('clamps the start of a read to the retention window and skips the query when nothing is left', async () => {
    const t = new RecordingTransport();
    const store = storeOn(t, { samplesMs: DAY });
    expect(await store.selectSeries({ matchers: [], startMs: NOW - 10 * DAY, endMs: NOW - 3 * DAY })).toEqual([]);
    expect(t.calls).toEqual([]);
    await store.selectSeries({ matchers: [], startMs: NOW - 10 * DAY, endMs: NOW });
    expect(Object.values(t.calls[0]!.params!)).toContain(NOW - DAY);
  });

  it('turns RowBinary sample rows into label-sorted series, re-reading with FINAL only series with a repeated timestamp', async () => {
    const row = (id: bigint, t: number, v: number) => {
      const b = Buffer.alloc(24);
      b.writeBigUInt64LE(id, 0);
      b.writeBigInt64LE(BigInt(t), 8);
      b.writeDoubleLE(v, 16);
      return b;
    };
    const big = 18446744073709551615n;
    const t = new RecordingTransport(
      'chdb',
      () => [
        { id: '2', series_labels: { __name__: 'm', job: 'b' } },
        { id: big.toString(), series_labels: { __name__: 'm', job: 'a' } },
        { id: '3', series_labels: { __name__: 'm', job: 'c' } },
      ],
      0,
      (sql) =>
        /FINAL/.test(sql)
          ? row(3n, NOW, 9)
          : Buffer.concat([row(2n, NOW + 1, Infinity), row(big, NOW, 1.5), row(3n, NOW, 1), row(2n, NOW, NaN), row(3n, NOW, 2)]),
    );
    const out = await storeOn(t).selectSeries({ matchers: [], startMs: NOW - 1000, endMs: NOW + 1000 });
    expect(out).toEqual([
      { labels: { __name__: 'm', job: 'a' }, samples: [{ t: NOW, v: 1.5 }] },
      { labels: { __name__: 'm', job: 'b' }, samples: [{ t: NOW, v: NaN }, { t: NOW + 1, v: Infinity }] },
      { labels: { __name__: 'm', job: 'c' }, samples: [{ t: NOW, v: 9 }] },
    ]);
    const reads = t.calls.filter((c) => c.kind === 'query');
    expect(reads).toHaveLength(3);
    expect(reads[2]!.sql).toMatch(/FINAL/);
    expect(Object.values(reads[2]!.params!)).toContainEqual([3n]);
  });

  it('skips the sample read when no series matches', async () => {
    const t = new RecordingTransport();
    expect(await storeOn(t).selectSeries({ matchers: [], startMs: NOW - 1000, endMs: NOW })).toEqual([]);
    expect(t.calls).toHaveLength(1);
  });

  it('computes availability from per-status counts, quoted or not', async () => {
    const t = new RecordingTransport('clickhouse', () => [
      { status: 'ok', runs: '3' },
      { status: 'critical', runs: 1 },
    ]);
    expect(await storeOn(t).availability({ check: 'c', startMs: NOW - 1000, endMs: NOW })).toEqual({ runs: 4, ok: 3, ratio: 0.75, byStatus: { ok: 3, critical: 1 } });
  });

  it('lists every data table in usage, with zeros for tables without parts', async () => {
    const t = new RecordingTransport('chdb', () => [{ table: 'samples', rows: 10, bytes: '2048' }]);
    expect(await storeOn(t).usage()).toEqual([
      { table: 'series', rows: 0, bytesOnDisk: 0 },
      { table: 'samples', rows: 10, bytesOnDisk: 2048 },
      { table: 'check_results', rows: 0, bytesOnDisk: 0 },
      { table: 'log_events', rows: 0, bytesOnDisk: 0 },
      { table: 'samples_5m', rows: 0, bytesOnDisk: 0 },
      { table: 'samples_1h', rows: 0, bytesOnDisk: 0 },
    ]);
  });
});

describe('migrate', () => {
  it('applies unrecorded migrations, records them, and leaves recorded ones alone', async () => {
    const fresh = new RecordingTransport('chdb', (sql) => (sql.includes('engine_full') ? [] : []));
    await storeOn(fresh).migrate();
    const commands = fresh.calls.filter((c) => c.kind === 'command');
    expect(commands[0]!.sql).toMatch(/CREATE TABLE IF NOT EXISTS kansoku_migrations/);
    expect(commands.filter((c) => /CREATE TABLE IF NOT EXISTS (series|samples|check_results|log_events) /.test(c.sql))).toHaveLength(4);
    expect(commands.at(-1)!.params).toEqual({ version: MIGRATIONS.at(-1)!.version, name: MIGRATIONS.at(-1)!.name });
    expect(commands.filter((c) => /ALTER TABLE samples ADD COLUMN IF NOT EXISTS v_(hi|lo) UInt32 EPHEMERAL/.test(c.sql))).toHaveLength(2);

    const recorded = MIGRATIONS.map((m) => ({ version: m.version }));
    const done = new RecordingTransport('chdb', (sql) => (sql.includes(TABLES.migrations) ? recorded : []));
    await storeOn(done).migrate();
    expect(done.calls.filter((c) => c.kind === 'command').map((c) => c.sql)).toEqual([expect.stringMatching(/kansoku_migrations/)]);
  });

  it('alters a TTL only when the configured retention differs from the table', async () => {
    const engineFull = (s: number) => `ReplacingMergeTree ORDER BY (series_id, t) TTL toDateTime(t) + toIntervalSecond(${s}) SETTINGS index_granularity = 8192`;
    const t = new RecordingTransport('chdb', (sql) =>
      sql.includes('engine_full')
        ? [
            { name: 'samples', engine_full: engineFull(15 * 86_400) },
            { name: 'log_events', engine_full: engineFull(30 * 86_400).replace('(t)', '(time)') },
          ]
        : MIGRATIONS.map((m) => ({ version: m.version })),
    );
    await storeOn(t, retentionFromConfig({ samples: '2d' })).migrate();
    const alters = t.calls.filter((c) => c.sql.startsWith('ALTER'));
    expect(alters.map((c) => c.sql)).toEqual(['ALTER TABLE samples MODIFY TTL toDateTime(t) + toIntervalSecond(172800)']);
  });
});

describe('close', () => {
  it('waits for appends in flight before closing the transport, then refuses new work', async () => {
    const t = new RecordingTransport('chdb', () => [], 30);
    const store = storeOn(t);
    const writes = [1, 2, 3].map((i) => store.appendSamples([{ labels: { __name__: `m${i}` }, t: NOW, v: i }]));
    await store.close();
    await expect(Promise.all(writes)).resolves.toBeDefined();
    expect(t.inserts(TABLES.samples)).toHaveLength(3);
    expect(t.closed).toBe(true);
    const late = await store.labelNames({ startMs: NOW, endMs: NOW }).catch((e: unknown) => e);
    expect(late).toBeInstanceOf(KansokuError);
    expect((late as KansokuError).code).toBe('KSK_STORE_CLOSED');
  });
});

describe('engine errors', () => {
  it('names the ClickHouse error from a chDB message or a server error type', () => {
    expect(clickHouseErrorName(Object.assign(new Error('Code: 60. DB::Exception: Unknown table expression identifier \'x\'. (UNKNOWN_TABLE)'), { clickhouseCode: 60 }))).toBe('UNKNOWN_TABLE');
    expect(clickHouseErrorName(Object.assign(new Error('Authentication failed'), { code: '516', type: 'AUTHENTICATION_FAILED' }))).toBe('AUTHENTICATION_FAILED');
    expect(clickHouseErrorName(Object.assign(new Error('boom'), { clickhouseCode: 427 }))).toBe('CANNOT_COMPILE_REGEXP');
  });

  it('wraps with an actionable message and keeps the statement', () => {
    const err = toStoreError(Object.assign(new Error('Code: 516. DB::Exception: default: Authentication failed (AUTHENTICATION_FAILED)\nstack…'), {}), { engine: 'clickhouse', sql: 'SELECT 1' });
    expect(err).toBeInstanceOf(StoreError);
    expect(err.message).toMatch(/user and password in the ClickHouse URL/);
    expect(err.message).not.toMatch(/stack/);
    expect((err as StoreError).statement).toBe('SELECT 1');
  });
});

describe('retention config', () => {
  it('parses durations and fills defaults', () => {
    expect(retentionFromConfig({ samples: '2d', logEvents: '12h' })).toEqual({ samplesMs: 2 * DAY, checkResultsMs: 90 * DAY, logEventsMs: DAY / 2, rollups5mMs: 90 * DAY, rollups1hMs: 730 * DAY });
    expect(retentionFromConfig({ rollups5m: '30d', rollups1h: '1y' })).toMatchObject({ rollups5mMs: 30 * DAY, rollups1hMs: 365 * DAY });
  });

  it('refuses retentions under a minute', () => {
    expect(() => retentionFromConfig({ samples: '30s' })).toThrow(ValidationError);
    expect(() => createTelemetryStore(new RecordingTransport(), { logger, retention: { checkResultsMs: 0 } })).toThrow(/at least "1m"/);
  });
});
