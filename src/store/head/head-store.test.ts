import { appendFileSync, readdirSync, statSync, truncateSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { KansokuError } from '../../lib/errors.js';
import { silentLogger, type Logger } from '../../lib/logger.js';
import { MemoryTelemetryStore } from '../../metrics/test-support/memory-telemetry-store.js';
import type { SampleRow, SeriesSlot, TelemetryStore } from '../telemetry-store.js';
import { openHeadStore, type HeadStats, type HeadStoreOptions } from './head-store.js';
import { headTestCleanup } from './test-support/cleanup.js';

const T = Date.UTC(2026, 10, 23, 12);
const { tempDir, track } = headTestCleanup('ksk-head-');

/** Never flushes on its own: tests decide when rows reach the inner store. */
async function open(dir: string, inner: TelemetryStore, over: Partial<HeadStoreOptions> = {}): Promise<TelemetryStore> {
  const s = await openHeadStore(inner, { dir, logger: silentLogger(), now: () => T, flushIntervalMs: 3_600_000, flushRows: 1e9, ...over });
  track(s);
  return s;
}

function stats(s: TelemetryStore): HeadStats {
  return (s as unknown as { headStats(): HeadStats }).headStats();
}

function series(n: number, perSeries: number, t0 = T - 60_000): SampleRow[] {
  const rows: SampleRow[] = [];
  for (let i = 0; i < n; i++) {
    const labels = { __name__: 'kt_m', i: String(i) };
    for (let j = 0; j < perSeries; j++) rows.push({ labels, t: t0 + j * 1000, v: i * 1000 + j });
  }
  return rows;
}

const all = { matchers: [{ name: '__name__', op: '=' as const, value: 'kt_m' }], startMs: T - 3_600_000, endMs: T };

function capture(): { logger: Logger; lines: () => string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(chunk.toString());
      cb();
    },
  });
  return { logger: pino({ level: 'info' }, stream) as unknown as Logger, lines: () => lines };
}

describe('WAL + head store', () => {
  it('answers from the head before anything reaches the inner store', async () => {
    const inner = new MemoryTelemetryStore();
    const s = await open(tempDir(), inner);
    await s.appendSamples(series(3, 5));
    expect(inner.appendCalls).toBe(0);
    const got = await s.selectSeries(all);
    expect(got.map((x) => x.labels.i)).toEqual(['0', '1', '2']);
    expect(got[2]!.samples.map((p) => p.v)).toEqual([2000, 2001, 2002, 2003, 2004]);
    expect(await s.labelValues('i', all)).toEqual(['0', '1', '2']);
    expect(await s.labelNames(all)).toEqual(['__name__', 'i']);
  });

  it('replays the WAL of a process that never closed: the head and the inner store get every accepted sample', async () => {
    const dir = tempDir();
    const first = await open(dir, new MemoryTelemetryStore());
    await first.appendSamples(series(4, 10));
    await first.appendSamples(series(4, 10, T - 30_000));
    // `first` is abandoned, as a killed process would be: no close, no flush.
    const inner = new MemoryTelemetryStore();
    const second = await open(dir, inner);
    const got = await second.selectSeries(all);
    expect(got).toHaveLength(4);
    expect(got[0]!.samples).toHaveLength(20);
    await second.close();
    const stored = await inner.selectSeries(all);
    expect(stored.reduce((n, x) => n + x.samples.length, 0)).toBe(4 * 20);
  });

  it('does not write to the inner store again what a clean close already flushed', async () => {
    const dir = tempDir();
    const inner = new MemoryTelemetryStore();
    const first = await open(dir, inner);
    await first.appendSamples(series(2, 3));
    await first.close();
    expect(inner.appendCalls).toBe(1);
    const second = await open(dir, inner);
    expect((await second.selectSeries(all)).map((x) => x.samples.length)).toEqual([3, 3]);
    await second.close();
    expect(inner.appendCalls).toBe(1);
  });

  it('skips a torn last record with a warning and keeps everything before it', async () => {
    const dir = tempDir();
    const first = await open(dir, new MemoryTelemetryStore());
    await first.appendSamples(series(1, 3));
    await first.appendSamples(series(1, 3, T - 10_000));
    const [segment] = readdirSync(dir).filter((f) => /^\d+$/.test(f));
    const file = path.join(dir, segment!);
    truncateSync(file, statSync(file).size - 7);
    const log = capture();
    const second = await open(dir, new MemoryTelemetryStore(), { logger: log.logger });
    const got = await second.selectSeries(all);
    expect(got[0]!.samples.map((p) => p.t)).toEqual([T - 60_000, T - 59_000, T - 58_000]);
    expect(log.lines().join('')).toMatch(/torn or corrupt record skipped/);
    // And the log goes on: new appends, another restart, no warning this time.
    await second.appendSamples(series(1, 1, T - 5000));
    const third = await open(dir, new MemoryTelemetryStore(), { logger: log.logger });
    expect((await third.selectSeries(all))[0]!.samples).toHaveLength(4);
    expect(log.lines().join('').match(/torn or corrupt/g)).toHaveLength(1);
  });

  it('skips garbage after the last record (a partly written batch)', async () => {
    const dir = tempDir();
    const first = await open(dir, new MemoryTelemetryStore());
    await first.appendSamples(series(2, 2));
    const [segment] = readdirSync(dir).filter((f) => /^\d+$/.test(f));
    appendFileSync(path.join(dir, segment!), Buffer.from([2, 200, 0, 0, 0, 1, 2, 3, 4, 5, 6]));
    const second = await open(dir, new MemoryTelemetryStore());
    expect((await second.selectSeries(all)).map((x) => x.samples.length)).toEqual([2, 2]);
  });

  it('keeps the staleness marker bit-exact through the WAL, the head and the flush', async () => {
    const view = new DataView(new ArrayBuffer(8));
    view.setUint32(0, 0x7ff00000);
    view.setUint32(4, 2);
    const stale = view.getFloat64(0);
    const bits = (v: number) => {
      view.setFloat64(0, v);
      return `${view.getUint32(0).toString(16)}:${view.getUint32(4)}`;
    };
    const dir = tempDir();
    const first = await open(dir, new MemoryTelemetryStore());
    const rows: SampleRow[] = [];
    rows.push({ labels: { __name__: 'kt_m' }, t: T - 2000, v: 1 });
    rows.push({ labels: { __name__: 'kt_m' }, t: T - 1000, v: stale });
    await first.appendSamples(rows);
    expect((await first.selectSeries(all))[0]!.samples.map((p) => bits(p.v))).toEqual(['3ff00000:0', '7ff00000:2']);
    const inner = new MemoryTelemetryStore();
    const second = await open(dir, inner);
    expect((await second.selectSeries(all))[0]!.samples.map((p) => bits(p.v))).toEqual(['3ff00000:0', '7ff00000:2']);
    await second.close();
    expect([...inner.series.values()][0]!.points.get(T - 1000)).toSatisfy((v: number) => bits(v) === '7ff00000:2');
  });

  it('stores series appended as columns like rows: head, WAL replay and flush, NaN bits included, old samples dropped', async () => {
    const view = new DataView(new ArrayBuffer(8));
    view.setUint32(0, 0x7ff00000);
    view.setUint32(4, 2);
    const stale = view.getFloat64(0);
    const bitsOf = (v: number) => {
      view.setFloat64(0, v);
      return `${view.getUint32(0).toString(16)}:${view.getUint32(4)}`;
    };
    const frozen = Object.freeze({ __name__: 'kt_m', i: 'a' });
    const cols = (labels: Record<string, string>, t: number[], v: number[]) => ({ labels, t: Float64Array.from(t), v: Float64Array.from(v) });
    const dir = tempDir();
    const first = await open(dir, new MemoryTelemetryStore(), { retention: { samplesMs: 3_600_000 } });
    const s = first as Required<TelemetryStore>;
    // A view into a larger buffer, as remote-write passes them; one row older than retention.
    const buf = new Float64Array([0, T - 3000, T - 2000, T - 1000, 0]);
    const vals = new Float64Array([0, 1, 2, 0, 0]);
    vals[3] = stale; // not through an array literal: V8 canonicalises NaNs in double arrays
    await s.appendSeriesColumns([
      { labels: frozen, t: buf.subarray(1, 4), v: vals.subarray(1, 4) },
      cols({ __name__: 'kt_m', i: 'b' }, [T - 7_200_000, T - 500], [9, 10]),
    ]);
    // The same frozen labels again: the head recognises the series by identity.
    await s.appendSeriesColumns([cols(frozen, [T], [4])]);
    const expectStored = (got: { labels: Record<string, string>; samples: { t: number; v: number }[] }[]) => {
      expect(got.map((x) => [x.labels.i, x.samples.map((p) => p.t - T)])).toEqual([['a', [-3000, -2000, -1000, 0]], ['b', [-500]]]);
      expect(bitsOf(got[0]!.samples[2]!.v)).toBe('7ff00000:2');
    };
    expectStored(await first.selectSeries(all));
    expect(stats(first).series).toBe(2);
    const inner = new MemoryTelemetryStore();
    const second = await open(dir, inner, { retention: { samplesMs: 3_600_000 } });
    expectStored(await second.selectSeries(all));
    await second.close();
    expectStored(await inner.selectSeries(all));
  });

  it('uses a caller\'s series slot for one-sample series (bits exact from any offset) and looks the series up again once the head dropped it', async () => {
    let now = T;
    const inner = new MemoryTelemetryStore();
    const s = (await open(tempDir(), inner, { now: () => now, windowMs: 60_000, flushIntervalMs: 5, coveredFromMs: 0 })) as Required<TelemetryStore>;
    const labels: Readonly<Record<string, string>> = Object.freeze({ __name__: 'kt_slot', i: 'a' });
    const other: Readonly<Record<string, string>> = Object.freeze({ __name__: 'kt_slot', i: 'b' });
    const slot: SeriesSlot = {};
    const otherSlot: SeriesSlot = {};
    const bits = new Uint32Array([0, 0, 2, 0x7ff00000, 0, 0x3ff80000]); // 0, stale NaN, 1.5
    const vals = new Float64Array(bits.buffer);
    const one = (l: Readonly<Record<string, string>>, sl: SeriesSlot, t: number, at: number) => ({ labels: l, slot: sl, t: Float64Array.of(t), v: vals.subarray(at, at + 1) });
    await s.appendSeriesColumns([one(labels, slot, T - 2000, 1), one(other, otherSlot, T - 2000, 2)]);
    expect(Object.getOwnPropertySymbols(slot).length).toBeGreaterThan(0); // the store kept its handle there
    await s.appendSeriesColumns([one(labels, slot, T - 1000, 2), one(other, otherSlot, T - 1000, 0)]);
    const slotted = { matchers: [{ name: '__name__', op: '=' as const, value: 'kt_slot' }], startMs: T - 3_600_000, endMs: T };
    const got = await s.selectSeries(slotted);
    const view = new DataView(new ArrayBuffer(8));
    const hex = (v: number) => {
      view.setFloat64(0, v, true);
      return `${view.getUint32(4, true).toString(16)}:${view.getUint32(0, true)}`;
    };
    expect(got.map((x) => [x.labels.i, x.samples.map((p) => hex(p.v))])).toEqual([
      ['a', ['7ff00000:2', '3ff80000:0']],
      ['b', ['3ff80000:0', '0:0']],
    ]);
    // The series leaves the head; the same slot must not lead to the dropped series.
    now = T + 10 * 60_000;
    await s.appendSeriesColumns([one(other, otherSlot, now, 2)]);
    for (let i = 0; i < 200 && stats(s).series > 1; i++) await new Promise((r) => setTimeout(r, 10));
    expect(stats(s).series).toBe(1);
    await s.appendSeriesColumns([one(labels, slot, now + 1000, 2)]);
    const recent = await s.selectSeries({ ...slotted, startMs: now - 1000, endMs: now + 1000 });
    expect(recent.map((x) => [x.labels.i, x.samples.map((p) => p.t - now)])).toEqual([
      ['a', [1000]],
      ['b', [0]],
    ]);
  });

  it('rejects an invalid columnar batch whole, before the WAL', async () => {
    const s = (await open(tempDir(), new MemoryTelemetryStore())) as Required<TelemetryStore>;
    const good = { labels: { __name__: 'kt_m' }, t: Float64Array.of(T), v: Float64Array.of(1) };
    await expect(s.appendSeriesColumns([good, { labels: { __name__: 'kt_m', i: 'x' }, t: Float64Array.of(T, 1.5), v: Float64Array.of(1, 2) }])).rejects.toMatchObject({
      code: 'KSK_STORE_SAMPLE_INVALID',
      message: expect.stringMatching(/series\[1\]\.t\[1\] must be epoch milliseconds/),
    });
    await expect(s.appendSeriesColumns([{ labels: { job: 'x' }, t: Float64Array.of(T), v: Float64Array.of(1) }])).rejects.toMatchObject({ code: 'KSK_STORE_SAMPLE_INVALID' });
    await expect(s.appendSeriesColumns([{ labels: { __name__: 'kt_m' }, t: Float64Array.of(T, T + 1), v: Float64Array.of(1) }])).rejects.toMatchObject({ code: 'KSK_STORE_SAMPLE_INVALID' });
    expect(stats(s).walBytes).toBe(0);
  });

  it('makes appends wait while the backlog is full, and go on once the flusher catches up', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => (release = r));
    const inner = new MemoryTelemetryStore();
    const gated = Object.assign(Object.create(inner) as MemoryTelemetryStore, {
      appendSamples: async (rows: SampleRow[]) => {
        await gate;
        return inner.appendSamples(rows);
      },
    });
    const s = await open(tempDir(), gated, { flushRows: 10, maxBacklogRows: 15 });
    await s.appendSamples(series(1, 10));
    let done = false;
    const second = s.appendSamples(series(1, 10, T - 30_000)).then(() => (done = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(done).toBe(false);
    release();
    await second;
    expect(done).toBe(true);
  });

  it('fails an append that waited too long for room, naming the backlog', async () => {
    const inner = new MemoryTelemetryStore();
    const stuck = Object.assign(Object.create(inner) as MemoryTelemetryStore, { appendSamples: () => new Promise<void>(() => undefined) });
    const s = await openHeadStore(stuck, { dir: tempDir(), logger: silentLogger(), now: () => T, flushRows: 5, maxBacklogRows: 8, backlogWaitMs: 30 });
    await s.appendSamples(series(1, 6));
    const err = await s.appendSamples(series(1, 6, T - 30_000)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KansokuError);
    expect((err as KansokuError).code).toBe('KSK_STORE_BACKLOG_FULL');
    expect((err as Error).message).toMatch(/6 samples are waiting/);
  });

  it('rejects an invalid batch whole, before the WAL', async () => {
    const dir = tempDir();
    const s = await open(dir, new MemoryTelemetryStore());
    const bad = [{ labels: { __name__: 'kt_m' }, t: T, v: 1 }, { labels: { job: 'x' }, t: T, v: 1 }] as SampleRow[];
    await expect(s.appendSamples(bad)).rejects.toMatchObject({ code: 'KSK_STORE_SAMPLE_INVALID' });
    expect(stats(s).walBytes).toBe(0);
    expect(await s.selectSeries(all)).toEqual([]);
  });

  it('forwards a port method it does not know, after flushing the rows that call could read', async () => {
    const inner = new MemoryTelemetryStore();
    const seen: number[] = [];
    const extended = Object.assign(inner, {
      aggregateSamples: async (q: { startMs: number; endMs: number }) => {
        seen.push((await inner.selectSeries({ matchers: [], startMs: q.startMs, endMs: q.endMs })).length);
        return 'ok';
      },
    });
    const s = (await open(tempDir(), extended)) as unknown as { aggregateSamples(q: object): Promise<string>; appendSamples(r: SampleRow[]): Promise<void> };
    await s.appendSamples(series(2, 2));
    expect(await s.aggregateSamples({ startMs: T - 3_600_000, endMs: T })).toBe('ok');
    expect(seen).toEqual([2]);
  });

  it('drops samples that left the window, forgets empty series and deletes flushed old WAL segments', async () => {
    let now = T;
    const inner = new MemoryTelemetryStore();
    const s = await open(tempDir(), inner, { now: () => now, windowMs: 60_000, segmentBytes: 256, flushIntervalMs: 5, coveredFromMs: 0 });
    for (let i = 0; i < 10; i++) await s.appendSamples(series(2, 3, T - 50_000 + i * 3000));
    const before = stats(s);
    expect(before.walSegments).toBeGreaterThan(3);
    expect(before.samples).toBe(60);
    now = T + 10 * 60_000;
    await s.appendSamples([{ labels: { __name__: 'kt_other' }, t: now, v: 1 }]);
    for (let i = 0; i < 200 && (stats(s).series > 1 || stats(s).walSegments > 2); i++) await new Promise((r) => setTimeout(r, 10));
    const after = stats(s);
    expect(after.series).toBe(1);
    expect(after.samples).toBe(1);
    expect(after.walSegments).toBeLessThanOrEqual(2);
    // The old samples are still there, from the inner store.
    expect((await s.selectSeries({ ...all, startMs: T - 3_600_000, endMs: now })).map((x) => x.samples.length)).toEqual([30, 30]);
  });

  it('asks the inner store only for ranges it can hold: older than the WAL coverage, or at and after the oldest sample written through it', async () => {
    const inner = new MemoryTelemetryStore();
    let reads = 0;
    const counting = Object.assign(Object.create(inner) as MemoryTelemetryStore, {
      selectSeries: (q: Parameters<MemoryTelemetryStore['selectSeries']>[0]) => {
        reads++;
        return inner.selectSeries(q);
      },
    });
    const dir = tempDir();
    const s = await open(dir, counting, { windowMs: 60_000, coveredFromMs: 0 });
    await s.appendSamples(series(1, 3, T - 30_000));
    await s.selectSeries({ ...all, startMs: T - 86_400_000 });
    expect(reads).toBe(0);
    // Older than the head's start (the window's, aligned down to the hour: T − 1 h).
    await s.appendSamples(series(1, 1, T - 5_000_000));
    const got = await s.selectSeries({ ...all, startMs: T - 86_400_000 });
    expect(reads).toBe(1);
    expect(got[0]!.samples.map((p) => p.t)).toEqual([T - 5_000_000, T - 30_000, T - 29_000, T - 28_000]);
    await s.close();
    // The oldest sample is remembered across restarts; a WAL started over a store with older data asks always.
    const again = await open(dir, counting, { windowMs: 60_000 });
    await again.selectSeries({ ...all, startMs: T - 86_400_000, endMs: T - 5_400_000 });
    expect(reads).toBe(1);
    await again.selectSeries({ ...all, startMs: T - 86_400_000 });
    expect(reads).toBe(2);
    const upgraded = await open(tempDir(), counting, { windowMs: 60_000, coveredFromMs: T - 1000 });
    await upgraded.selectSeries({ ...all, startMs: T - 86_400_000, endMs: T - 3_600_000 });
    expect(reads).toBe(3);
  });

  it('fails to open with an actionable error when the WAL directory cannot be created', async () => {
    const file = path.join(tempDir(), 'not-a-dir');
    appendFileSync(file, 'x');
    const err = await openHeadStore(new MemoryTelemetryStore(), { dir: path.join(file, 'wal'), logger: silentLogger() }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'KSK_STORE_WAL_OPEN_FAILED' });
    expect((err as Error).message).toMatch(/write-ahead log directory .*not-a-dir/);
  });

  it('refuses calls after close with KSK_STORE_CLOSED', async () => {
    const s = await open(tempDir(), new MemoryTelemetryStore());
    await s.close();
    await expect(s.appendSamples(series(1, 1))).rejects.toMatchObject({ code: 'KSK_STORE_CLOSED' });
    await expect(s.selectSeries(all)).rejects.toMatchObject({ code: 'KSK_STORE_CLOSED' });
  });
});
