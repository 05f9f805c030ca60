/**
 * The flusher's hand-off to the inner store: columns (appendSeriesColumns) when the store has
 * a columnar append, one part per series per block (flush-columns.ts), with the block rules
 * (whole batches, at most flushBlockRows, no (series, t) twice in one block) kept.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../lib/logger.js';
import { MemoryTelemetryStore } from '../../metrics/test-support/memory-telemetry-store.js';
import { appendSeriesToRows, type AppendSeries, type SampleRow, type TelemetryStore } from '../telemetry-store.js';
import { blockColumns } from './flush-columns.js';
import { openHeadStore, type HeadStoreOptions } from './head-store.js';

const T = Date.UTC(2026, 10, 23, 12);
const dirs: string[] = [];

afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

interface Part {
  labels: Record<string, string>;
  t: number[];
  /** Each value's 64 bits, hex. */
  v: string[];
}

const hexBits = (v: Float64Array) => Array.from(new BigUint64Array(v.slice().buffer), (b) => b.toString(16));
/** A part's own rows ([start, end) of its arrays). */
const rowsOf = (p: AppendSeries) => ({ t: p.t.subarray(p.start ?? 0, p.end ?? p.t.length), v: p.v.subarray(p.start ?? 0, p.end ?? p.v.length) });

/** A memory store with a columnar append that records each call's parts. */
class ColumnarMemoryStore extends MemoryTelemetryStore {
  readonly columnCalls: Part[][] = [];

  async appendSeriesColumns(series: AppendSeries[]): Promise<void> {
    this.columnCalls.push(series.map((s) => ({ labels: { ...s.labels }, t: [...rowsOf(s).t], v: hexBits(rowsOf(s).v) })));
    await this.appendSamples(appendSeriesToRows(series));
  }
}

async function open(inner: TelemetryStore, over: Partial<HeadStoreOptions> = {}): Promise<TelemetryStore> {
  const dir = mkdtempSync(path.join(tmpdir(), 'ksk-head-flush-'));
  dirs.push(dir);
  // Never flushes on its own: close() writes everything queued.
  return openHeadStore(inner, { dir, logger: silentLogger(), now: () => T, flushIntervalMs: 3_600_000, flushRows: 1e9, ...over });
}

describe('head flusher', () => {
  it('hands queued batches to the inner store as columns, one part per series in queue order, values bit for bit', async () => {
    const inner = new ColumnarMemoryStore();
    const s = await open(inner);
    const a = { __name__: 'kt_a' };
    const b = { __name__: 'kt_b', job: 'x' };
    const stale = new Float64Array(1);
    new Uint32Array(stale.buffer).set([2, 0x7ff00000]);
    const rows: SampleRow[] = [];
    rows.push({ labels: a, t: T - 3000, v: 1 });
    rows.push({ labels: a, t: T - 2000, v: stale[0]! });
    rows.push({ labels: b, t: T - 3000, v: -0 });
    rows.push({ labels: a, t: T - 1000, v: 3 });
    await s.appendSamples(rows);
    await s.appendSeriesColumns!([{ labels: b, t: Float64Array.of(T - 500, T - 400), v: Float64Array.of(5, 6) }]);
    expect(inner.columnCalls).toEqual([]);
    await s.close();
    const one = (v: number) => hexBits(Float64Array.of(v))[0]!;
    expect(inner.columnCalls).toEqual([
      [
        { labels: a, t: [T - 3000, T - 2000, T - 1000], v: [one(1), '7ff0000000000002', one(3)] },
        { labels: b, t: [T - 3000, T - 500, T - 400], v: ['8000000000000000', one(5), one(6)] },
      ],
    ]);
    expect(inner.appendCalls).toBe(1);
  });

  it('keeps the block rules: whole batches up to flushBlockRows, and a (series, t) written again waits for the next block', async () => {
    const inner = new ColumnarMemoryStore();
    const s = await open(inner, { flushBlockRows: 5 });
    const batch = (t0: number, v: number): SampleRow[] => [0, 1, 2].map((i) => ({ labels: { __name__: 'kt_m' }, t: t0 + i * 1000, v }));
    await s.appendSamples(batch(T - 60_000, 1));
    await s.appendSamples(batch(T - 50_000, 2)); // 3 + 3 > 5: a block of its own
    await s.appendSamples([{ labels: { __name__: 'kt_m' }, t: T - 1000, v: 3 }]);
    await s.appendSamples([{ labels: { __name__: 'kt_m' }, t: T - 1000, v: 4 }]); // rewrites a (series, t) of the block
    await s.close();
    expect(inner.columnCalls.map((parts) => parts.map((p) => p.t))).toEqual([
      [[T - 60_000, T - 59_000, T - 58_000]],
      [[T - 50_000, T - 49_000, T - 48_000, T - 1000]],
      [[T - 1000]],
    ]);
    const [stored] = await inner.selectSeries({ matchers: [], startMs: T - 1000, endMs: T - 1000 });
    expect(stored!.samples).toEqual([{ t: T - 1000, v: 4 }]);
  });
});

describe('blockColumns', () => {
  const batch = (refs: number[], ts: number[], vs: Float64Array) => ({ refs: Uint32Array.from(refs), ts: Float64Array.from(ts), vs, n: refs.length });

  it('regroups rows per series across batches, keeping each series rows in queue order', () => {
    const labels = ['zero', 'one', 'two'].map((name) => ({ __name__: name }));
    const parts = blockColumns(
      [
        batch([1, 1, 2, 1], [10, 11, 10, 12], Float64Array.of(1, 2, 3, 4)),
        batch([2, 0, 1], [11, 10, 13], Float64Array.of(5, 6, 7)),
        // A row written twice for one timestamp inside a batch: the later stays later.
        batch([0, 0], [11, 11], Float64Array.of(8, 9)),
      ],
      (ref) => labels[ref]!,
    );
    expect(parts.map((p) => [p.labels.__name__, [...rowsOf(p).t], [...rowsOf(p).v]])).toEqual([
      ['one', [10, 11, 12, 13], [1, 2, 4, 7]],
      ['two', [10, 11], [3, 5]],
      ['zero', [10, 11, 11], [6, 8, 9]],
    ]);
    // Row ranges of one pair of block-wide arrays.
    expect(parts[1]!.t).toBe(parts[0]!.t);
    expect(parts.map((p) => [p.start, p.end])).toEqual([[0, 4], [4, 6], [6, 9]]);
  });

  it('copies values as bits (a NaN payload survives) and reads only the first n rows of a batch', () => {
    const vs = new Float64Array(3);
    new Uint32Array(vs.buffer).set([2, 0x7ff00000, 0, 0x80000000, 1, 1]);
    const [part] = blockColumns([{ refs: Uint32Array.of(0, 0, 0), ts: Float64Array.of(1, 2, 3), vs, n: 2 }], () => ({ __name__: 'x' }));
    expect(hexBits(rowsOf(part!).v)).toEqual(['7ff0000000000002', '8000000000000000']);
    expect([...rowsOf(part!).t]).toEqual([1, 2]);
    expect(blockColumns([], () => ({}))).toEqual([]);
  });
});
