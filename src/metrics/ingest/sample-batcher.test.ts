import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../lib/errors.js';
import type { AppendSeries, SampleRow } from '../../store/telemetry-store.js';
import { SampleBatcher } from './sample-batcher.js';

const row = (name: string, t = 1000): SampleRow => ({ labels: { __name__: name }, t, v: 1 });

/** A store whose appends wait until released, so tests control what queues meanwhile. */
function gatedStore() {
  const calls: string[][] = [];
  let release: () => void = () => {};
  return {
    calls,
    release: () => release(),
    appendSamples(rows: SampleRow[]): Promise<void> {
      calls.push(rows.map((r) => r.labels.__name__!));
      if (rows.some((r) => r.labels.__name__ === 'bad')) return Promise.reject(new ValidationError('KSK_TEST', 'bad sample'));
      return new Promise<void>((resolve) => (release = resolve));
    },
  };
}

describe('SampleBatcher', () => {
  it('writes batches that queued during an append together, and settles each caller', async () => {
    const store = gatedStore();
    const b = new SampleBatcher(store);
    const first = b.append([row('a')]);
    const second = b.append([row('b')]);
    const third = b.append([row('c'), row('d')]);
    expect(store.calls).toEqual([['a']]);
    store.release();
    await first;
    await new Promise((r) => setImmediate(r));
    expect(store.calls).toEqual([['a'], ['b', 'c', 'd']]);
    store.release();
    await Promise.all([second, third]);
  });

  it('does not let an invalid batch fail the batches grouped with it', async () => {
    const store = gatedStore();
    const b = new SampleBatcher(store);
    const blocker = b.append([row('x')]);
    const good = b.append([row('g')]);
    const bad = b.append([row('bad')]);
    store.release();
    await blocker;
    await new Promise((r) => setImmediate(r));
    store.release();
    await expect(bad).rejects.toThrow('bad sample');
    await new Promise((r) => setImmediate(r));
    store.release();
    await expect(good).resolves.toBeUndefined();
  });

  it('keeps a group under maxRows without splitting one caller’s rows', async () => {
    const store = gatedStore();
    const b = new SampleBatcher(store, 3);
    const p = [b.append([row('a')]), b.append([row('b'), row('c')]), b.append([row('d'), row('e')]), b.append([row('f'), row('g'), row('h'), row('i')])];
    for (let i = 0; i < 4; i++) {
      store.release();
      await new Promise((r) => setImmediate(r));
    }
    await Promise.all(p);
    expect(store.calls).toEqual([['a'], ['b', 'c'], ['d', 'e'], ['f', 'g', 'h', 'i']]);
  });

  it('with a linger, lets writers that arrive within it share the first append', async () => {
    const store = gatedStore();
    const b = new SampleBatcher(store, 100_000, 20);
    const first = b.append([row('a')]);
    await new Promise((r) => setImmediate(r));
    const second = b.append([row('b')]);
    expect(store.calls).toEqual([]);
    await new Promise((r) => setTimeout(r, 40));
    expect(store.calls).toEqual([['a', 'b']]);
    store.release();
    await Promise.all([first, second]);
  });

  it('stops lingering once store appends cost less than the linger (a WAL-backed store), and passes a lone batch through as is', async () => {
    const calls: SampleRow[][] = [];
    const fast = { appendSamples: async (rows: SampleRow[]) => void calls.push(rows) };
    const b = new SampleBatcher(fast, 100_000, 300);
    const first = [row('a')];
    const lingering = b.append(first);
    // The first append lingers: the batcher has not measured the store yet.
    await new Promise((r) => setImmediate(r));
    expect(calls).toEqual([]);
    await b.flush();
    await lingering;
    const lone = [row('b')];
    const second = b.append(lone);
    // No timer in between: the append reaches the store within the same turn of the event loop.
    await new Promise((r) => setImmediate(r));
    expect(calls[1]).toBe(lone);
    await second;
  });

  it('sends series in columns to a store that takes them (rows grouped with them become series), as rows to one that does not', async () => {
    const cols = (name: string, t: number[]): AppendSeries => ({ labels: { __name__: name }, t: Float64Array.from(t), v: Float64Array.from(t, (x) => x * 10) });
    const got: { columns: AppendSeries[][]; rows: SampleRow[][] } = { columns: [], rows: [] };
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => (release = r));
    const columnar = {
      appendSamples: async (rows: SampleRow[]) => void got.rows.push(rows),
      appendSeriesColumns: async (series: AppendSeries[]) => {
        got.columns.push(series);
        if (got.columns.length === 1) await gate;
      },
    };
    const b = new SampleBatcher(columnar);
    const lone = [cols('a', [1])];
    const first = b.appendSeries(lone, 1);
    const shared = { __name__: 'r' };
    const grouped = [b.append([{ labels: shared, t: 5, v: 1 }, { labels: shared, t: 6, v: 2 }, row('s', 7)]), b.appendSeries([cols('b', [2, 3])], 2)];
    release();
    await Promise.all([first, ...grouped]);
    expect(got.rows).toEqual([]);
    expect(got.columns[0]).toBe(lone);
    expect(got.columns[1]!.map((s) => [s.labels.__name__, [...s.t], [...s.v]])).toEqual([['r', [5, 6], [1, 2]], ['s', [7], [1]], ['b', [2, 3], [20, 30]]]);

    const rowsOnly: SampleRow[][] = [];
    const plain = new SampleBatcher({ appendSamples: async (rows: SampleRow[]) => void rowsOnly.push(rows) });
    await plain.appendSeries([cols('c', [1, 2])], 2);
    expect(rowsOnly).toEqual([[{ labels: { __name__: 'c' }, t: 1, v: 10 }, { labels: { __name__: 'c' }, t: 2, v: 20 }]]);
  });
});
