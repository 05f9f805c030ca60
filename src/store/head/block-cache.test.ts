import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../lib/logger.js';
import { MemoryTelemetryStore } from '../../metrics/test-support/memory-telemetry-store.js';
import type { SampleRow, SelectSeriesQuery, SeriesData, TelemetryStore } from '../telemetry-store.js';
import { BLOCK_MS, BlockCache } from './block-cache.js';
import { openHeadStore, type HeadStats, type HeadStoreOptions } from './head-store.js';
import { headTestCleanup } from './test-support/cleanup.js';

const H = 3_600_000;
/** On a whole hour; the clock stands at T + 30 min, so the head starts at T − 2 h. */
const T = Date.UTC(2026, 10, 23, 12);
const NOW = T + 30 * 60_000;
const { tempDir, track } = headTestCleanup('ksk-blocks-');

/** The inner store, counting its selectSeries calls and their ranges. */
function counted(): { inner: MemoryTelemetryStore; store: MemoryTelemetryStore; reads: [number, number][] } {
  const inner = new MemoryTelemetryStore();
  const reads: [number, number][] = [];
  const store = Object.assign(Object.create(inner) as MemoryTelemetryStore, {
    selectSeries: (q: SelectSeriesQuery) => {
      reads.push([q.startMs - T, q.endMs - T]);
      return inner.selectSeries(q);
    },
  });
  return { inner, store, reads };
}

/**
 * Over a store holding samples older than the WAL (coverage from T − 2 h, as after an upgrade):
 * the inner store answers before T − 2 h, the head after. Never flushes on its own.
 */
async function open(inner: TelemetryStore, over: Partial<HeadStoreOptions> = {}): Promise<TelemetryStore> {
  const s = await openHeadStore(inner, { dir: tempDir(), logger: silentLogger(), now: () => NOW, flushIntervalMs: 3_600_000, flushRows: 1e9, coveredFromMs: T - 2 * H, ...over });
  track(s);
  return s;
}

function stats(s: TelemetryStore): HeadStats {
  return (s as unknown as { headStats(): HeadStats }).headStats();
}

/** Series i, one sample a minute in [from, to), v = t in minutes. */
function rows(i: number, from: number, to: number, step = 60_000): SampleRow[] {
  const labels = { __name__: 'kt_b', i: String(i) };
  const out: SampleRow[] = [];
  for (let t = from; t < to; t += step) out.push({ labels, t, v: (t - T) / 60_000 });
  return out;
}

function minutes(from: number, to: number, step = 60_000): number[] {
  const out: number[] = [];
  for (let t = from; t <= to; t += step) out.push((t - T) / 60_000);
  return out;
}

const m = (i?: string) => [{ name: '__name__', op: '=' as const, value: 'kt_b' }, ...(i === undefined ? [] : [{ name: 'i', op: '=' as const, value: i }])];
const day = { matchers: m(), startMs: NOW - 24 * H, endMs: NOW };
const view = (got: SeriesData[]) => got.map((s) => [s.labels.i, s.samples.map((p) => p.v)]);

/** Three series: 0 and 1 in the store for a day and in the head; 2 only in the store, until T − 5 h. */
async function loaded(over: Partial<HeadStoreOptions> = {}) {
  const c = counted();
  for (const i of [0, 1]) await c.inner.appendSamples(rows(i, T - 26 * H, T - 2 * H));
  await c.inner.appendSamples(rows(2, T - 26 * H, T - 5 * H));
  const s = await open(c.store, over);
  for (const i of [0, 1]) await s.appendSamples(rows(i, T - 2 * H, NOW + 1));
  return { ...c, s };
}

describe('block cache of older hours', () => {
  it('aligns the head start down to the hour: the head holds 2–3 h', async () => {
    let now = T + 59 * 60_000;
    const c = counted();
    const s = await open(c.store, { now: () => now, coveredFromMs: 0, flushIntervalMs: 5 });
    await s.appendSamples(rows(0, T - 2 * H, now + 1));
    expect(stats(s).headFromMs).toBe(T - 2 * H);
    expect(stats(s).samples).toBe(180);
    // One minute later the window's start passes T − 1 h: the head lets go of the hour before.
    now = T + H + 60_000;
    for (let i = 0; i < 200 && stats(s).samples > 120; i++) await new Promise((r) => setTimeout(r, 10));
    expect(stats(s).headFromMs).toBe(T - H);
    expect(stats(s).samples).toBe(120);
    // Nothing newer than the head's start was dropped, and the older hour comes from the store.
    expect(view(await s.selectSeries({ matchers: m(), startMs: T - 2 * H, endMs: now }))).toEqual([['0', minutes(T - 2 * H, T + 59 * 60_000)]]);
  });

  it('reads the older whole hours from the inner store once, in one statement, then from memory', async () => {
    const { s, reads } = await loaded();
    const first = await s.selectSeries(day);
    // One read from the first whole hour to the head's start; the partial first hour is cut to the range.
    expect(reads).toEqual([[-24 * H, -2 * H - 1]]);
    const expected = [
      ['0', minutes(NOW - 24 * H, NOW)],
      ['1', minutes(NOW - 24 * H, NOW)],
      ['2', minutes(NOW - 24 * H, T - 5 * H - 60_000)],
    ];
    expect(view(first)).toEqual(expected);
    expect(stats(s)).toMatchObject({ blockCacheHits: 0, blockCacheMisses: 22, blockCacheSamples: 22 * 60 * 2 + 19 * 60 });

    // The reader owns what it gets: changing it does not change the next answer.
    for (const x of await s.selectSeries(day)) x.columns!.v.fill(-1);
    const again = await s.selectSeries(day);
    expect(reads).toHaveLength(1);
    expect(view(again)).toEqual(expected);
    expect(stats(s)).toMatchObject({ blockCacheHits: 44, blockCacheMisses: 22 });

    // A start inside the first hour: the kept hour is cut at it, nothing is read.
    const later = await s.selectSeries({ ...day, startMs: NOW - 24 * H + 17 * 60_000 });
    expect(reads).toHaveLength(1);
    expect(later[0]!.samples[0]!.t).toBe(NOW - 24 * H + 17 * 60_000);
    expect(view(later)[2]).toEqual(['2', minutes(NOW - 24 * H + 17 * 60_000, T - 5 * H - 60_000)]);
    // A range ending inside an older hour, and another selector: only what is missing is read.
    expect(view(await s.selectSeries({ matchers: m(), startMs: T - 10 * H, endMs: T - 9.5 * H }))).toEqual(['0', '1', '2'].map((i) => [i, minutes(T - 10 * H, T - 9.5 * H)]));
    expect(reads).toHaveLength(1);
    expect(view(await s.selectSeries({ matchers: m('1'), startMs: T - 4 * H, endMs: NOW }))).toEqual([['1', minutes(T - 4 * H, NOW)]]);
    expect(reads).toEqual([[-24 * H, -2 * H - 1], [-4 * H, -2 * H - 1]]);
  });

  it('shows a late sample flushed into a kept hour in the next read, reading that hour again only', async () => {
    const { s, reads } = await loaded();
    await s.selectSeries(day);
    // A late sample for a kept series and a new series, both in the hour at T − 10 h; queued until a read needs them.
    await s.appendSamples([
      { labels: { __name__: 'kt_b', i: '0' }, t: T - 10 * H + 30_000, v: 0.5 },
      { labels: { __name__: 'kt_b', i: '3' }, t: T - 10 * H + 5_000, v: 7 },
    ]);
    const got = await s.selectSeries(day);
    expect(reads).toEqual([[-24 * H, -2 * H - 1], [-10 * H, -9 * H - 1]]);
    expect(got.map((x) => x.labels.i)).toEqual(['0', '1', '2', '3']);
    const s0 = got[0]!.samples;
    const at = s0.findIndex((p) => p.t === T - 10 * H + 30_000);
    expect(s0.slice(at - 1, at + 2).map((p) => p.t - T)).toEqual([-10 * H, -10 * H + 30_000, -10 * H + 60_000]);
    expect(got[3]!.samples).toEqual([{ t: T - 10 * H + 5_000, v: 7 }]);
    // A changed value (same timestamp) too.
    await s.appendSamples([{ labels: { __name__: 'kt_b', i: '1' }, t: T - 20 * H, v: 42 }]);
    const changed = await s.selectSeries(day);
    expect(changed[1]!.samples.find((p) => p.t === T - 20 * H)!.v).toBe(42);
    expect(reads).toHaveLength(3);
  });

  it('joins each series across kept hours and the head, sorted by labels, without duplicates at the head start', async () => {
    const { s } = await loaded();
    await s.appendSamples(rows(4, T - H, NOW + 1));
    for (let k = 0; k < 2; k++) {
      const got = await s.selectSeries({ matchers: m(), startMs: T - 3 * H, endMs: NOW });
      expect(got.map((x) => x.labels.i)).toEqual(['0', '1', '4']);
      expect(got[0]!.samples.map((p) => p.v)).toEqual(minutes(T - 3 * H, NOW));
      expect(got[2]!.samples.map((p) => p.v)).toEqual(minutes(T - H, NOW));
    }
  });

  it('does not hand out series of a kept hour that have no sample inside the range', async () => {
    const { s } = await loaded();
    await s.selectSeries(day);
    // Series 2 ends at T − 5 h − 1 min: a range starting later inside that kept hour must not list it.
    const got = await s.selectSeries({ matchers: m(), startMs: T - 5 * H - 30_000, endMs: T - 4 * H - 1 });
    expect(got.map((x) => x.labels.i)).toEqual(['0', '1']);
  });

  it('evicts the least recently used hours beyond its size, and keeps nothing of a query larger than it', async () => {
    // Room for 3 hours of one series (60 samples each, + 24 for the series' entry and 8 for the block).
    const { s, reads } = await loaded({ blockCacheSamples: 3 * (60 + 24 + 8) });
    const hours = (i: string, from: number) => ({ matchers: m(i), startMs: T - from * H, endMs: T - (from - 2) * H - 1 });
    await s.selectSeries(hours('0', 8));
    await s.selectSeries(hours('0', 8));
    expect(reads).toHaveLength(1);
    await s.selectSeries(hours('1', 8));
    expect(stats(s).blockCacheSamples).toBe(180);
    // Series 0's first hour went first; its second is still there.
    await s.selectSeries(hours('0', 8));
    expect(reads.slice(2)).toEqual([[-8 * H, -7 * H - 1]]);
    expect(stats(s).blockCacheSamples).toBeLessThanOrEqual(3 * 60);
    const before = stats(s).blockCacheSamples;
    await s.selectSeries(day);
    await s.selectSeries(day);
    expect(reads.slice(3)).toEqual([[-24 * H, -2 * H - 1], [-24 * H, -2 * H - 1]]);
    expect(stats(s).blockCacheSamples).toBe(before);
  });

  it('reads from the inner store every time when a limit is set, or when turned off', async () => {
    const { s, reads } = await loaded();
    for (let k = 0; k < 2; k++) expect((await s.selectSeries({ ...day, limit: 2 })).map((x) => x.labels.i)).toEqual(['0', '1']);
    expect(reads).toHaveLength(2);
    expect(stats(s)).toMatchObject({ blockCacheHits: 0, blockCacheMisses: 0, blockCacheSamples: 0 });
    const off = await loaded({ blockCacheSamples: 0 });
    await off.s.selectSeries(day);
    await off.s.selectSeries(day);
    expect(off.reads).toHaveLength(2);
  });

  it('forgets kept hours after a forwarded method that may change samples, not after a read', async () => {
    const c = counted();
    for (const i of [0, 1]) await c.inner.appendSamples(rows(i, T - 26 * H, T - 2 * H));
    let deleted = 0;
    const inner = Object.assign(c.store, {
      deleteSeries: async () => {
        c.inner.series.clear();
        deleted++;
      },
      aggregateSamples: async () => ({ resolution: 'raw', series: 0, rows: [] }),
    });
    const s = await open(inner);
    const ext = s as unknown as { deleteSeries(): Promise<void>; aggregateSamples(q: object): Promise<unknown> };
    await s.selectSeries(day);
    await ext.aggregateSamples({ matchers: m(), startMs: NOW - 24 * H, endMs: NOW, groupBy: [], periodMs: H });
    await s.selectSeries(day);
    expect(c.reads).toHaveLength(1);
    await ext.deleteSeries();
    expect(deleted).toBe(1);
    expect(await s.selectSeries(day)).toEqual([]);
    expect(c.reads).toHaveLength(2);
  });

  it('after an upgrade, does not expect the head back from before where the old version cut the WAL', async () => {
    const dir = tempDir();
    const first = await openHeadStore(new MemoryTelemetryStore(), { dir, logger: silentLogger(), now: () => NOW, coveredFromMs: 0 });
    await first.close();
    // The checkpoint as the version before this one wrote it.
    const file = path.join(dir, 'head.json');
    const { walKeepsFromMs, ...legacy } = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    expect(walKeepsFromMs).toBe(T - 2 * H);
    writeFileSync(file, JSON.stringify(legacy));
    const later = NOW + 10 * 60_000;
    const second = await openHeadStore(new MemoryTelemetryStore(), { dir, logger: silentLogger(), now: () => later });
    track(second);
    expect(stats(second).headFromMs).toBe(later - 2 * H);
  });
});

describe('BlockCache', () => {
  const series = (from: number, to: number): SeriesData => {
    const t: number[] = [];
    for (let x = from; x <= to; x += 60_000) t.push(x);
    return { labels: { __name__: 'x' }, samples: t.map((x) => ({ t: x, v: 1 })) };
  };

  it('does not keep a block that the inner store got rows for while it was being read', async () => {
    const cache = new BlockCache(1e6);
    const keepBefore = 10 * BLOCK_MS;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let reads = 0;
    const fetch = async (from: number, to: number) => {
      reads++;
      await gate;
      return [series(from, to)];
    };
    const read = cache.read([], 0, keepBefore - 1, keepBefore, fetch);
    cache.invalidate(3 * BLOCK_MS + 5, 3 * BLOCK_MS + 5);
    release();
    await read;
    expect(cache.stats()).toMatchObject({ blocks: 9, misses: 10 });
    await cache.read([], 0, keepBefore - 1, keepBefore, async (from, to) => {
      expect([from, to]).toEqual([3 * BLOCK_MS, 4 * BLOCK_MS - 1]);
      return fetch(from, to);
    });
    expect(reads).toBe(2);
    expect(cache.stats()).toMatchObject({ blocks: 10, hits: 9 });
  });

  it('neither keeps nor reads past keepBefore, and shares blocks between matchers in any order', async () => {
    const cache = new BlockCache(1e6);
    const keepBefore = 2 * BLOCK_MS + 30 * 60_000;
    const asked: [number, number][] = [];
    const fetch = async (from: number, to: number) => {
      asked.push([from, to]);
      return [series(from, to)];
    };
    const a = [{ name: 'a', op: '=' as const, value: '1' }, { name: 'b', op: '=~' as const, value: 'x' }];
    const got = await cache.read(a, 0, keepBefore - 1, keepBefore, fetch);
    expect(asked).toEqual([[0, keepBefore - 1]]);
    expect([...got.values()]).toMatchObject([{ owned: false }]);
    expect(cache.stats().blocks).toBe(2);
    await cache.read([...a].reverse(), 0, keepBefore - 1, keepBefore, fetch);
    expect(asked).toEqual([[0, keepBefore - 1], [2 * BLOCK_MS, keepBefore - 1]]);
    cache.clear();
    expect(cache.stats()).toMatchObject({ blocks: 0, samples: 0 });
  });
});
