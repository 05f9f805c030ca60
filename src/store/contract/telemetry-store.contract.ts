/**
 * The behaviour every TelemetryStore adapter must have, run against each engine by its
 * integration test. The factory opens a store over the SAME storage on every call (that is how
 * close + reopen is tested); tests isolate themselves with names unique to this run, so the
 * suite also runs against a shared ClickHouse database.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KansokuError, StoreError, ValidationError } from '../../lib/errors.js';
import { appendSeriesColumns, type AppendSeries, type CheckResultRow, type LogEventRow, type RetentionConfig, type SampleRow, type TelemetryStore } from '../telemetry-store.js';

export interface ContractStoreOptions {
  retention?: Partial<RetentionConfig>;
}

/** Opens a store (not yet migrated) over the adapter's one storage location. */
export type TelemetryStoreFactory = (options?: ContractStoreOptions) => Promise<TelemetryStore>;

const HOUR = 3_600_000;

export function runTelemetryStoreContract(name: string, factory: TelemetryStoreFactory): void {
  describe(`TelemetryStore contract: ${name}`, () => {
    const run = randomUUID().replace(/-/g, '').slice(0, 10);
    const metric = (m: string) => `kt_${run}_${m}`;
    // Whole seconds, ten minutes ago: well inside every retention window.
    const base = Math.floor((Date.now() - 10 * 60_000) / 1000) * 1000;
    let store: TelemetryStore;

    async function open(options?: ContractStoreOptions): Promise<TelemetryStore> {
      const s = await factory(options);
      await s.migrate();
      return s;
    }

    beforeAll(async () => {
      store = await open();
    });
    afterAll(async () => {
      await store?.close();
    });

    describe('migrate', () => {
      it('is idempotent and creates every telemetry table', async () => {
        await store.migrate();
        await store.migrate();
        const usage = await store.usage();
        expect(usage.map((u) => u.table).sort()).toEqual(['check_results', 'log_events', 'samples', 'samples_1h', 'samples_5m', 'series']);
        for (const u of usage) {
          expect(u.rows).toBeGreaterThanOrEqual(0);
          expect(u.bytesOnDisk).toBeGreaterThanOrEqual(0);
        }
      });

      it('reports the engine it runs on', () => {
        expect(['chdb', 'clickhouse']).toContain(store.engine);
      });
    });

    describe('samples', () => {
      it('stores samples and returns each series with its samples sorted by time', async () => {
        const up = metric('up');
        await store.appendSamples([
          { labels: { __name__: up, job: 'api', instance: 'a:1' }, t: base + 2000, v: 1 },
          { labels: { __name__: up, job: 'api', instance: 'a:1' }, t: base, v: 0 },
          { labels: { __name__: up, instance: 'b:1', job: 'db' }, t: base + 1000, v: 1 },
          { labels: { __name__: up, job: 'api', instance: 'a:1' }, t: base + 1000, v: 0.5 },
        ]);
        const series = await store.selectSeries({ matchers: [{ name: '__name__', op: '=', value: up }], startMs: base, endMs: base + 10_000 });
        expect(series).toEqual([
          { labels: { __name__: up, instance: 'a:1', job: 'api' }, samples: [{ t: base, v: 0 }, { t: base + 1000, v: 0.5 }, { t: base + 2000, v: 1 }] },
          { labels: { __name__: up, instance: 'b:1', job: 'db' }, samples: [{ t: base + 1000, v: 1 }] },
        ]);
      });

      it('treats a label set in any key order, and labels with empty values, as the same series', async () => {
        const m = metric('order');
        await store.appendSamples([
          { labels: { __name__: m, a: '1', b: '2' }, t: base, v: 1 },
          { labels: { b: '2', a: '1', __name__: m, c: '' }, t: base + 1000, v: 2 },
        ]);
        const series = await store.selectSeries({ matchers: [{ name: '__name__', op: '=', value: m }], startMs: base, endMs: base + 5000 });
        expect(series).toHaveLength(1);
        expect(series[0]!.labels).toEqual({ __name__: m, a: '1', b: '2' });
        expect(series[0]!.samples.map((s) => s.v)).toEqual([1, 2]);
      });

      it('stores a re-appended (series, t) once, and the last write wins', async () => {
        const m = metric('dup');
        const batch: SampleRow[] = [0, 1, 2].map((i) => ({ labels: { __name__: m, job: 'x' }, t: base + i * 1000, v: i }));
        await store.appendSamples(batch);
        await store.appendSamples(batch);
        await store.appendSamples([{ labels: { __name__: m, job: 'x' }, t: base + 1000, v: 42 }]);
        const [s] = await store.selectSeries({ matchers: [{ name: '__name__', op: '=', value: m }], startMs: base, endMs: base + 5000 });
        expect(s!.samples).toEqual([{ t: base, v: 0 }, { t: base + 1000, v: 42 }, { t: base + 2000, v: 2 }]);
      });

      it('keeps the last of two samples for the same (series, t) within one batch', async () => {
        const m = metric('dupbatch');
        await store.appendSamples([
          { labels: { __name__: m }, t: base, v: 1 },
          { labels: { __name__: m }, t: base, v: 2 },
        ]);
        const [s] = await store.selectSeries({ matchers: [{ name: '__name__', op: '=', value: m }], startMs: base, endMs: base });
        expect(s!.samples).toEqual([{ t: base, v: 2 }]);
      });

      it('accepts samples out of order across batches and returns them sorted', async () => {
        const m = metric('ooo');
        for (const i of [5, 1, 3, 0, 4, 2]) await store.appendSamples([{ labels: { __name__: m }, t: base + i * 1000, v: i }]);
        const [s] = await store.selectSeries({ matchers: [{ name: '__name__', op: '=', value: m }], startMs: base, endMs: base + 10_000 });
        expect(s!.samples.map((p) => p.t)).toEqual([0, 1, 2, 3, 4, 5].map((i) => base + i * 1000));
        expect(s!.samples.map((p) => p.v)).toEqual([0, 1, 2, 3, 4, 5]);
      });

      it('keeps NaN, infinities and extreme floats', async () => {
        const m = metric('floats');
        const values = [NaN, Infinity, -Infinity, 1e300, -5e-324, 0.1 + 0.2];
        await store.appendSamples(values.map((v, i) => ({ labels: { __name__: m }, t: base + i, v })));
        const [s] = await store.selectSeries({ matchers: [{ name: '__name__', op: '=', value: m }], startMs: base, endMs: base + 10 });
        expect(s!.samples.map((p) => p.v)).toEqual(values);
      });

      it('keeps the payload of a NaN, so a Prometheus staleness marker stays distinct from a plain NaN', async () => {
        const m = metric('stale');
        const bits = (v: number) => {
          const view = new DataView(new ArrayBuffer(8));
          view.setFloat64(0, v);
          return `${view.getUint32(0).toString(16)}:${view.getUint32(4).toString(16)}`;
        };
        const stale = (() => {
          const view = new DataView(new ArrayBuffer(8));
          view.setUint32(0, 0x7ff00000);
          view.setUint32(4, 0x00000002);
          return view.getFloat64(0);
        })();
        // Built one by one: a plain array of doubles would quiet the marker's signalling NaN
        // (0x7ff0… becomes 0x7ff8…) before the store ever saw it.
        const rows: SampleRow[] = [];
        rows.push({ labels: { __name__: m }, t: base, v: 1 });
        rows.push({ labels: { __name__: m }, t: base + 1, v: stale });
        rows.push({ labels: { __name__: m }, t: base + 2, v: NaN });
        rows.push({ labels: { __name__: m }, t: base + 3, v: -0 });
        const expected = ['3ff00000:0', '7ff00000:2', '7ff80000:0', '80000000:0'];
        await store.appendSamples(rows);
        const [s] = await store.selectSeries({ matchers: [{ name: '__name__', op: '=', value: m }], startMs: base, endMs: base + 10 });
        expect(s!.samples.map((p) => bits(p.v))).toEqual(expected);
        // The same through the FINAL read that resolves unmerged re-appends.
        await store.appendSamples([{ labels: { __name__: m }, t: base + 1, v: stale }]);
        const [again] = await store.selectSeries({ matchers: [{ name: '__name__', op: '=', value: m }], startMs: base, endMs: base + 10 });
        expect(again!.samples.map((p) => bits(p.v))).toEqual(expected);
      });

      it('resolves re-appends across many series in one read, the last write winning', async () => {
        const m = metric('reappend_many');
        const rows = (v: number) => Array.from({ length: 30 }, (_, i) => ({ labels: { __name__: m, i: String(i) }, t: base + (i % 3) * 1000, v: v + i }));
        await store.appendSamples(rows(0));
        await store.appendSamples(rows(100).filter((_, i) => i % 2 === 0));
        const out = await store.selectSeries({ matchers: [{ name: '__name__', op: '=', value: m }], startMs: base, endMs: base + 5000 });
        expect(out).toHaveLength(30);
        for (const s of out) {
          const i = Number(s.labels.i);
          expect(s.samples).toEqual([{ t: base + (i % 3) * 1000, v: (i % 2 === 0 ? 100 : 0) + i }]);
        }
        const limited = await store.selectSeries({ matchers: [{ name: '__name__', op: '=', value: m }], startMs: base, endMs: base + 5000, limit: 4 });
        expect(limited).toHaveLength(4);
        for (const s of limited) expect(s.samples[0]!.v).toBe((Number(s.labels.i) % 2 === 0 ? 100 : 0) + Number(s.labels.i));
      });

      it('keeps label values with quotes, backslashes, newlines and non-ASCII text', async () => {
        const m = metric('strings');
        const labels = { __name__: m, path: `C:\\dir\\"x"\n'y'\t`, city: '東京' };
        await store.appendSamples([{ labels, t: base, v: 1 }]);
        const series = await store.selectSeries({ matchers: [{ name: '__name__', op: '=', value: m }, { name: 'city', op: '=', value: '東京' }], startMs: base, endMs: base });
        expect(series.map((s) => s.labels)).toEqual([labels]);
      });

      it('returns only samples inside the inclusive time range, and only series that have some', async () => {
        const m = metric('range');
        await store.appendSamples([
          { labels: { __name__: m, s: 'early' }, t: base - 60_000, v: 1 },
          ...[0, 1, 2, 3].map((i) => ({ labels: { __name__: m, s: 'in' }, t: base + i * 1000, v: i })),
        ]);
        const series = await store.selectSeries({ matchers: [{ name: '__name__', op: '=', value: m }], startMs: base + 1000, endMs: base + 2000 });
        expect(series).toEqual([{ labels: { __name__: m, s: 'in' }, samples: [{ t: base + 1000, v: 1 }, { t: base + 2000, v: 2 }] }]);
        expect(await store.selectSeries({ matchers: [{ name: '__name__', op: '=', value: m }], startMs: base + 5000, endMs: base + 9000 })).toEqual([]);
      });

      it('finds a series that appeared after the same selector was last asked, and returns fresh label objects', async () => {
        const m = metric('newseries');
        const q = { matchers: [{ name: '__name__', op: '=' as const, value: m }], startMs: base, endMs: base + 10_000 };
        await store.appendSamples([{ labels: { __name__: m, i: 'a' }, t: base, v: 1 }]);
        const first = await store.selectSeries(q);
        expect(first.map((s) => s.labels.i)).toEqual(['a']);
        first[0]!.labels.i = 'changed by a caller';
        await store.appendSamples([{ labels: { __name__: m, i: 'b' }, t: base + 1000, v: 2 }]);
        const second = await store.selectSeries(q);
        expect(second).toEqual([
          { labels: { __name__: m, i: 'a' }, samples: [{ t: base, v: 1 }] },
          { labels: { __name__: m, i: 'b' }, samples: [{ t: base + 1000, v: 2 }] },
        ]);
      });

      it('limits the number of series, not samples', async () => {
        const m = metric('limit');
        await store.appendSamples([0, 1, 2, 3, 4].flatMap((i) => [0, 1].map((j) => ({ labels: { __name__: m, i: String(i) }, t: base + j * 1000, v: j }))));
        const series = await store.selectSeries({ matchers: [{ name: '__name__', op: '=', value: m }], startMs: base, endMs: base + 5000, limit: 3 });
        expect(series).toHaveLength(3);
        for (const s of series) expect(s.samples).toHaveLength(2);
      });

      it('rejects a batch with an invalid sample and stores none of it', async () => {
        const m = metric('invalid');
        const bad = [
          { labels: { __name__: m }, t: base, v: 1 },
          { labels: { job: 'no-name' }, t: base, v: 1 },
        ] as SampleRow[];
        await expect(store.appendSamples(bad)).rejects.toBeInstanceOf(ValidationError);
        await expect(store.appendSamples([{ labels: { __name__: m }, t: -1, v: 1 }])).rejects.toBeInstanceOf(ValidationError);
        await expect(store.appendSamples([{ labels: { __name__: m }, t: 1.5, v: 1 }])).rejects.toBeInstanceOf(ValidationError);
        expect(await store.selectSeries({ matchers: [{ name: '__name__', op: '=', value: m }], startMs: base - HOUR, endMs: base + HOUR })).toEqual([]);
      });

      it('accepts an empty batch', async () => {
        await store.appendSamples([]);
      });
    });

    describe('samples in columns (appendSeriesColumns)', () => {
      // Through the port's helper: the adapter's columnar append, or its row append without one.
      const append = (series: AppendSeries[]) => appendSeriesColumns(store, series);
      const byName = (m: string) => [{ name: '__name__', op: '=' as const, value: m }];
      const bits = (v: number) => {
        const view = new DataView(new ArrayBuffer(8));
        view.setFloat64(0, v);
        return `${view.getUint32(0).toString(16)}:${view.getUint32(4).toString(16)}`;
      };
      /** Values given as their 64 bits ("hi:lo" hex), written straight into the array: a double literal could quiet a signalling NaN. */
      const fromBits = (words: string[]) => {
        const v = new Float64Array(words.length);
        const view = new DataView(v.buffer);
        words.forEach((w, i) => {
          const [hi, lo] = w.split(':').map((x) => parseInt(x, 16));
          view.setUint32(i * 8, lo!, true);
          view.setUint32(i * 8 + 4, hi!, true);
        });
        return v;
      };

      it('stores every bit of each value (the staleness marker NaN, NaN, -0, infinities, extremes) and returns samples sorted by time', async () => {
        const m = metric('cols_floats');
        // 1, staleness marker, NaN, -0, +Inf, -Inf, 1e300, -5e-324 (the smallest subnormal).
        const words = ['3ff00000:0', '7ff00000:2', '7ff80000:0', '80000000:0', '7ff00000:0', 'fff00000:0', '7e37e43c:8800759c', '80000000:1'];
        const ts = Float64Array.from(words, (_, i) => base + (words.length - i) * 1000);
        await append([{ labels: { __name__: m, job: 'cols' }, t: ts, v: fromBits(words) }]);
        const [s] = await store.selectSeries({ matchers: byName(m), startMs: base, endMs: base + 60_000 });
        expect(s!.labels).toEqual({ __name__: m, job: 'cols' });
        expect(s!.samples.map((p) => p.t)).toEqual([...ts].reverse());
        expect(s!.samples.map((p) => bits(p.v))).toEqual([...words].reverse());
      });

      it('stores a re-appended (series, t) once, the last write winning, across appends of either form and within one append', async () => {
        const m = metric('cols_dup');
        const labels = { __name__: m, job: 'x' };
        const t = Float64Array.of(base, base + 1000, base + 2000);
        await append([{ labels, t, v: Float64Array.of(0, 1, 2) }]);
        await append([{ labels: { job: 'x', __name__: m }, t: t.subarray(1, 2), v: Float64Array.of(42) }]);
        await store.appendSamples([{ labels, t: base + 2000, v: 43 }]);
        await append([{ labels, t: Float64Array.of(base), v: Float64Array.of(44) }]);
        // One append naming the series twice: the later part wins.
        await append([
          { labels, t: Float64Array.of(base + 3000), v: Float64Array.of(1) },
          { labels, t: Float64Array.of(base + 3000), v: Float64Array.of(45) },
        ]);
        const [s] = await store.selectSeries({ matchers: byName(m), startMs: base, endMs: base + 5000 });
        expect(s!.samples).toEqual([
          { t: base, v: 44 },
          { t: base + 1000, v: 42 },
          { t: base + 2000, v: 43 },
          { t: base + 3000, v: 45 },
        ]);
      });

      it('takes series that share one pair of arrays, each its own row range, as remote-write and the flusher send them', async () => {
        const m = metric('cols_ranges');
        // Rows: a a | b | (c has none) | d d d, and a NaN with a payload in b's row.
        const t = Float64Array.of(base, base + 1000, base, base + 2000, base + 3000, base + 4000);
        const v = fromBits(['3ff00000:0', '40000000:0', '7ff00000:2', '40080000:0', '40100000:0', '40140000:0']);
        const one = (name: string, start: number, end: number): AppendSeries => ({ labels: Object.freeze({ __name__: m, s: name }), t, v, start, end });
        await append([one('a', 0, 2), one('b', 2, 3), one('c', 3, 3), one('d', 3, 6)]);
        const out = await store.selectSeries({ matchers: byName(m), startMs: base, endMs: base + 60_000 });
        const byS = Object.fromEntries(out.map((x) => [x.labels.s, x.samples.map((p) => [p.t - base, bits(p.v)])]));
        expect(byS).toEqual({
          a: [[0, '3ff00000:0'], [1000, '40000000:0']],
          b: [[0, '7ff00000:2']],
          d: [[2000, '40080000:0'], [3000, '40100000:0'], [4000, '40140000:0']],
        });
        // A range outside the arrays is refused, and nothing of its batch is stored.
        await expect(append([one('e', 0, 1), { ...one('f', 4, 7) }])).rejects.toThrow('rows [4, 7) must lie within t and v (length 6)');
        await expect(append([one('e', 2, 1)])).rejects.toBeInstanceOf(ValidationError);
        expect(await store.labelValues('s', { matchers: byName(m), startMs: base, endMs: base + 60_000 })).toEqual(['a', 'b', 'd']);
      });

      it('finds the labels of every sample: many series in one append, labels in any order, empty values dropped', async () => {
        const m = metric('cols_many');
        const series: AppendSeries[] = Array.from({ length: 40 }, (_, i) => ({
          labels: i % 2 ? { i: String(i), __name__: m, empty: '' } : ({ __name__: m, i: String(i) } as Record<string, string>),
          t: Float64Array.from({ length: 25 }, (_, j) => base + j * 1000),
          v: Float64Array.from({ length: 25 }, (_, j) => i * 100 + j),
        }));
        await append(series);
        const out = await store.selectSeries({ matchers: byName(m), startMs: base, endMs: base + 60_000 });
        expect(out).toHaveLength(40);
        for (const s of out) {
          const i = Number(s.labels.i);
          expect(s.labels).toEqual({ __name__: m, i: String(i) });
          expect(s.samples.map((p) => p.v)).toEqual(Array.from({ length: 25 }, (_, j) => i * 100 + j));
        }
        const values = await store.labelValues('i', { matchers: byName(m), startMs: base, endMs: base + 60_000 });
        expect(values.map(Number).sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, i) => i));
        expect(await store.labelNames({ matchers: byName(m), startMs: base, endMs: base })).toEqual(['__name__', 'i']);
      });

      it('makes a series findable by labels on each day it has samples, and on no other', async () => {
        const m = metric('cols_days');
        const day = 86_400_000;
        const old = base - 2 * day;
        await append([{ labels: { __name__: m, env: 'prod' }, t: Float64Array.of(old, base), v: Float64Array.of(1, 2) }]);
        const on = (t: number) => store.labelValues('env', { matchers: byName(m), startMs: t, endMs: t });
        expect(await on(old)).toEqual(['prod']);
        expect(await on(base)).toEqual(['prod']);
        expect(await on(base - day)).toEqual([]);
        const [s] = await store.selectSeries({ matchers: byName(m), startMs: old - 1000, endMs: base });
        expect(s!.samples).toEqual([{ t: old, v: 1 }, { t: base, v: 2 }]);
      });

      it('rejects a batch with an invalid series or timestamp and stores none of it', async () => {
        const m = metric('cols_invalid');
        const good = { labels: { __name__: m }, t: Float64Array.of(base), v: Float64Array.of(1) };
        await expect(append([good, { labels: { job: 'no-name' }, t: Float64Array.of(base), v: Float64Array.of(1) }])).rejects.toBeInstanceOf(ValidationError);
        await expect(append([good, { labels: { __name__: m }, t: Float64Array.of(base, 1.5), v: Float64Array.of(1, 2) }])).rejects.toBeInstanceOf(ValidationError);
        await expect(append([good, { labels: { __name__: m }, t: Float64Array.of(base), v: Float64Array.of(1, 2) }])).rejects.toBeInstanceOf(ValidationError);
        expect(await store.selectSeries({ matchers: byName(m), startMs: base - HOUR, endMs: base + HOUR })).toEqual([]);
        await append([]);
      });
    });

    describe('aggregateSamples', () => {
      // Three whole hours that ended at least an hour ago: every 5-minute and 1-hour window is closed.
      const h0 = Math.floor(Date.now() / HOUR) * HOUR - 4 * HOUR;
      const agg = metric('agg');
      const frac = metric('agg_frac');
      const hosts = [
        { host: 'a', dc: 'east' },
        { host: 'b', dc: 'east' },
        { host: 'c', dc: 'west' },
      ];
      const perSeries = (3 * HOUR) / 15_000;
      // Series are a second apart, so first/last are never a tie between series.
      const value = (s: number, i: number) => ((i * 7 + s * 13) % 101) - 20;
      const rows = (name: string, v: (s: number, i: number) => number): SampleRow[] =>
        hosts.flatMap((labels, s) => Array.from({ length: perSeries }, (_, i) => ({ labels: { __name__: name, ...labels }, t: h0 + i * 15_000 + s * 1000, v: v(s, i) })));
      const query = (name: string, over: Partial<Parameters<TelemetryStore['aggregateSamples']>[0]> = {}) =>
        store.aggregateSamples({ matchers: [{ name: '__name__', op: '=', value: name }], startMs: h0, endMs: h0 + 3 * HOUR - 1, periodMs: HOUR, groupBy: ['dc'], ...over });
      const exact = (r: Awaited<ReturnType<typeof query>>) => r.rows.map(({ group, t, count, sum, min, max, first, last }) => ({ group, t, count, sum, min, max, first, last }));

      beforeAll(async () => {
        await store.appendSamples(rows(agg, value));
        // Re-sent: the first half again, identical; then one value overwritten (the last write wins).
        await store.appendSamples(rows(agg, value).filter((r) => r.t < h0 + 90 * 60_000));
        await store.appendSamples([{ labels: { __name__: agg, host: 'a', dc: 'east' }, t: h0, v: 1000 }]);
        // NaN (a staleness marker or no value) is no observation.
        await store.appendSamples([{ labels: { __name__: agg, host: 'c', dc: 'west' }, t: h0 + 9_500, v: NaN }]);
        await store.appendSamples(rows(frac, (s, i) => (i % 10) * 0.1 + s * 0.01));
      });

      it('computes count, sum, min, max, first and last per group and period from raw samples, counting re-sent samples once', async () => {
        const raw = await query(agg, { resolution: 'raw' });
        expect(raw.resolution).toBe('raw');
        expect(raw.series).toBe(3);
        expect(raw.rows.map((r) => [r.group, r.t])).toEqual([0, 1, 2].map((h) => [{ dc: 'east' }, h0 + h * HOUR]).concat([0, 1, 2].map((h) => [{ dc: 'west' }, h0 + h * HOUR])));
        const perHour = HOUR / 15_000;
        for (const r of raw.rows) expect(r.count).toBe((r.group.dc === 'east' ? 2 : 1) * perHour);
        const east0 = rows(agg, value).filter((r) => r.labels.dc === 'east' && r.t < h0 + HOUR).map((r) => (r.t === h0 && r.labels.host === 'a' ? 1000 : r.v));
        expect(raw.rows[0]).toMatchObject({ sum: east0.reduce((a, b) => a + b, 0), min: Math.min(...east0), max: 1000 });
        expect(raw.rows[5]!.last).toBe(value(2, perSeries - 1));
      });

      it('gives the same count, sum, min, max, first and last from the 5-minute and 1-hour rollups as from raw samples', async () => {
        const raw = exact(await query(agg, { resolution: 'raw' }));
        const r5 = await query(agg, { resolution: '5m' });
        const r1h = await query(agg, { resolution: '1h' });
        expect(r5.resolution).toBe('5m');
        expect(r1h.resolution).toBe('1h');
        expect(exact(r5)).toEqual(raw);
        expect(exact(r1h)).toEqual(raw);
        // Periods spanning several rollup windows, and groups by metric name.
        const byName = await query(agg, { resolution: 'raw', periodMs: 3 * HOUR, groupBy: ['__name__'], startMs: h0 - 2 * HOUR, endMs: h0 + 4 * HOUR });
        expect(exact(await query(agg, { resolution: '1h', periodMs: 3 * HOUR, groupBy: ['__name__'], startMs: h0 - 2 * HOUR, endMs: h0 + 4 * HOUR }))).toEqual(exact(byName));
        expect(new Set(byName.rows.map((r) => r.group.__name__))).toEqual(new Set([agg]));
        expect(byName.rows.reduce((n, r) => n + r.count, 0)).toBe(3 * perSeries);
      });

      it('keeps averages of fractional values within float error across resolutions', async () => {
        const raw = await query(frac, { resolution: 'raw', periodMs: 15 * 60_000 });
        for (const resolution of ['5m', '1h'] as const) {
          const r = await query(frac, { resolution, periodMs: resolution === '5m' ? 15 * 60_000 : HOUR });
          const rawSums = new Map<string, { sum: number; count: number }>();
          for (const x of raw.rows) {
            const t = Math.floor(x.t / (resolution === '5m' ? 15 * 60_000 : HOUR));
            const k = `${x.group.dc}/${t}`;
            const acc = rawSums.get(k) ?? { sum: 0, count: 0 };
            rawSums.set(k, { sum: acc.sum + x.sum, count: acc.count + x.count });
          }
          expect(r.rows).toHaveLength(rawSums.size);
          for (const x of r.rows) {
            const want = rawSums.get(`${x.group.dc}/${Math.floor(x.t / (resolution === '5m' ? 15 * 60_000 : HOUR))}`)!;
            expect(x.count).toBe(want.count);
            expect(x.sum / x.count).toBeCloseTo(want.sum / want.count, 9);
          }
        }
      });

      it('counts a sample that arrives late into an already rolled-up window, once, at every resolution', async () => {
        const late = metric('agg_late');
        await store.appendSamples(rows(late, value));
        const before = exact(await query(late, { resolution: '5m' }));
        expect(exact(await query(late, { resolution: '1h' }))).toEqual(before);
        const lateSample: SampleRow = { labels: { __name__: late, host: 'z', dc: 'west' }, t: h0 + HOUR + 1, v: 5000 };
        await store.appendSamples([lateSample]);
        await store.appendSamples([lateSample]);
        const raw = exact(await query(late, { resolution: 'raw' }));
        expect(raw.find((r) => r.group.dc === 'west' && r.t === h0 + HOUR)).toMatchObject({ count: HOUR / 15_000 + 1, max: 5000 });
        expect(exact(await query(late, { resolution: '5m' }))).toEqual(raw);
        expect(exact(await query(late, { resolution: '1h' }))).toEqual(raw);
      });

      it('answers quantiles exactly (nearest rank) from raw samples and approximately from the rollup sketch', async () => {
        const levels = [0, 0.5, 0.99, 1];
        const raw = await query(agg, { resolution: 'raw', quantiles: levels });
        const west = rows(agg, value).filter((r) => r.labels.dc === 'west' && r.t < h0 + HOUR).map((r) => r.v).sort((a, b) => a - b);
        const nearest = (l: number) => west[Math.max(1, Math.ceil(l * west.length)) - 1];
        expect(raw.rows[3]!.quantiles).toEqual(levels.map(nearest));
        const sketch = await query(agg, { resolution: '1h', quantiles: levels });
        for (const [i, r] of sketch.rows.entries()) {
          expect(r.quantiles).toHaveLength(levels.length);
          // Values span -20…1000; a t-digest of ~500 values is well within 5% of that range here.
          r.quantiles!.forEach((q, j) => expect(Math.abs(q - raw.rows[i]!.quantiles![j]!)).toBeLessThanOrEqual(6));
        }
      });

      it('chooses raw data for short ranges and a rollup for long ones, and says which', async () => {
        expect((await query(agg)).resolution).toBe('raw');
        const long = await query(agg, { startMs: h0 - 3 * 86_400_000, endMs: h0 + 3 * HOUR - 1 });
        expect(long.resolution).toBe('1h');
        expect(exact(long)).toEqual(exact(await query(agg, { resolution: 'raw' })));
        expect((await query(agg, { startMs: h0 - 3 * 86_400_000, periodMs: 15 * 60_000 })).resolution).toBe('5m');
        // Percentiles within the raw retention come from raw data even for a long range.
        expect((await query(agg, { startMs: h0 - 3 * 86_400_000, quantiles: [0.5] })).resolution).toBe('raw');
        // A period no rollup divides stays on raw data.
        expect((await query(agg, { startMs: h0 - 3 * 86_400_000, periodMs: 7 * 60_000 })).resolution).toBe('raw');
      });

      it('reports how many series matched instead of aggregating past maxSeries, and refuses bad queries', async () => {
        expect(await query(agg, { maxSeries: 2 })).toMatchObject({ series: 3, rows: [] });
        expect(await query(metric('agg_none'))).toMatchObject({ series: 0, rows: [] });
        await expect(query(agg, { periodMs: 0 })).rejects.toBeInstanceOf(ValidationError);
        await expect(query(agg, { resolution: '5m', periodMs: 7 * 60_000 })).rejects.toBeInstanceOf(ValidationError);
        await expect(query(agg, { quantiles: [1.5] })).rejects.toBeInstanceOf(ValidationError);
      });
    });

    describe('label matchers', () => {
      const m = metric('http');
      const all: Record<string, string>[] = [
        { __name__: m, env: 'prod', code: '200', path: '/api' },
        { __name__: m, env: 'prod', code: '500', path: '/api' },
        { __name__: m, env: 'production', code: '200' },
        { __name__: m, env: 'dev', code: '404', path: '/' },
        { __name__: m, code: '200' },
      ];
      const select = async (...matchers: { name: string; op: '=' | '!=' | '=~' | '!~'; value: string }[]) => {
        const series = await store.selectSeries({ matchers: [{ name: '__name__', op: '=', value: m }, ...matchers], startMs: base, endMs: base });
        return series.map((s) => `${s.labels.env ?? '-'}/${s.labels.code}`).sort();
      };

      beforeAll(async () => {
        await store.appendSamples(all.map((labels) => ({ labels, t: base, v: 1 })));
      });

      it('= and != compare exactly', async () => {
        expect(await select({ name: 'env', op: '=', value: 'prod' })).toEqual(['prod/200', 'prod/500']);
        expect(await select({ name: 'env', op: '!=', value: 'prod' })).toEqual(['-/200', 'dev/404', 'production/200']);
      });

      it('treats a missing label as the empty string', async () => {
        expect(await select({ name: 'env', op: '=', value: '' })).toEqual(['-/200']);
        expect(await select({ name: 'env', op: '!=', value: '' })).toEqual(['dev/404', 'prod/200', 'prod/500', 'production/200']);
        expect(await select({ name: 'path', op: '=~', value: '' })).toEqual(['-/200', 'production/200']);
        expect(await select({ name: 'nonexistent', op: '=', value: '' })).toHaveLength(5);
      });

      it('anchors regular expressions at both ends', async () => {
        expect(await select({ name: 'env', op: '=~', value: 'prod' })).toEqual(['prod/200', 'prod/500']);
        expect(await select({ name: 'env', op: '=~', value: 'prod.*' })).toEqual(['prod/200', 'prod/500', 'production/200']);
        expect(await select({ name: 'env', op: '=~', value: 'rod' })).toEqual([]);
        expect(await select({ name: 'code', op: '=~', value: '2..|404' })).toEqual(['-/200', 'dev/404', 'prod/200', 'production/200']);
      });

      it('!~ excludes regex matches, including the empty string for a missing label', async () => {
        expect(await select({ name: 'code', op: '!~', value: '2..' })).toEqual(['dev/404', 'prod/500']);
        expect(await select({ name: 'env', op: '!~', value: 'prod|' })).toEqual(['dev/404', 'production/200']);
      });

      it('combines matchers with AND, including a regex on __name__', async () => {
        const series = await store.selectSeries({
          matchers: [
            { name: '__name__', op: '=~', value: `${metric('ht')}.*` },
            { name: 'env', op: '=~', value: 'prod|dev' },
            { name: 'code', op: '!=', value: '500' },
          ],
          startMs: base,
          endMs: base,
        });
        expect(series.map((s) => `${s.labels.env}/${s.labels.code}`).sort()).toEqual(['dev/404', 'prod/200']);
      });

      it('treats regex metacharacters in = values literally', async () => {
        expect(await select({ name: 'env', op: '=', value: 'prod.*' })).toEqual([]);
      });

      it('fails with an actionable StoreError on an invalid regular expression', async () => {
        const err = await store.selectSeries({ matchers: [{ name: '__name__', op: '=', value: m }, { name: 'env', op: '=~', value: '(' }], startMs: base, endMs: base }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(StoreError);
        expect((err as StoreError).message).toMatch(/regular expression|regexp/i);
        expect((err as StoreError).statement).toMatch(/match\(/);
      });

      it('lists label names of matching series', async () => {
        expect(await store.labelNames({ matchers: [{ name: '__name__', op: '=', value: m }], startMs: base, endMs: base })).toEqual(['__name__', 'code', 'env', 'path']);
        expect(await store.labelNames({ matchers: [{ name: '__name__', op: '=', value: m }, { name: 'env', op: '=', value: 'production' }], startMs: base, endMs: base })).toEqual([
          '__name__',
          'code',
          'env',
        ]);
      });

      it('lists label values of matching series, without the empty value', async () => {
        const sel = [{ name: '__name__', op: '=' as const, value: m }];
        expect(await store.labelValues('env', { matchers: sel, startMs: base, endMs: base })).toEqual(['dev', 'prod', 'production']);
        expect(await store.labelValues('path', { matchers: [...sel, { name: 'code', op: '=', value: '200' }], startMs: base, endMs: base })).toEqual(['/api']);
        expect(await store.labelValues('__name__', { matchers: [{ name: '__name__', op: '=~', value: `${metric('h')}.*` }], startMs: base, endMs: base })).toEqual([m]);
      });

      it('lists label names and values across all series when no matcher is given', async () => {
        const names = await store.labelNames({ startMs: base, endMs: base });
        expect(names).toEqual(expect.arrayContaining(['__name__', 'code', 'env', 'path']));
        const metrics = await store.labelValues('__name__', { startMs: base, endMs: base });
        expect(metrics).toContain(m);
      });

      it('finds no label values outside the days the series had samples', async () => {
        const old = base - 5 * 86_400_000;
        expect(await store.labelValues('env', { matchers: [{ name: '__name__', op: '=', value: m }], startMs: old - HOUR, endMs: old })).toEqual([]);
      });
    });

    describe('check results', () => {
      const check = `chk_${run}`;
      const row = (i: number, over: Partial<CheckResultRow> = {}): CheckResultRow => ({
        check,
        location: 'tokyo',
        status: 'ok',
        message: `HTTP 200 in ${i} ms`,
        startedAt: base + i * 60_000,
        durationMs: 12.5 + i,
        metrics: [{ name: 'time_total', value: 0.1 * i, unit: 's' }],
        evidence: { responseExcerpt: `<html>${i}</html>` },
        runId: `${run}-run-${i}`,
        ...over,
      });

      beforeAll(async () => {
        await store.appendCheckResults([
          row(0),
          row(1, { status: 'critical', message: 'HTTP 500' }),
          row(2),
          row(3, { status: 'warning' }),
          row(4, { location: 'osaka' }),
          row(5, { location: 'osaka', status: 'unknown' }),
        ]);
      });

      it('returns results newest first by default, with metrics and evidence intact', async () => {
        const rows = await store.selectCheckResults({ check, location: 'tokyo', startMs: base, endMs: base + HOUR });
        expect(rows.map((r) => r.runId)).toEqual([3, 2, 1, 0].map((i) => `${run}-run-${i}`));
        expect(rows[3]).toEqual(row(0));
      });

      it('orders ascending, filters by location and limits', async () => {
        const asc = await store.selectCheckResults({ check, startMs: base, endMs: base + HOUR, order: 'asc', limit: 2 });
        expect(asc.map((r) => r.runId)).toEqual([0, 1].map((i) => `${run}-run-${i}`));
        const osaka = await store.selectCheckResults({ check, location: 'osaka', startMs: base, endMs: base + HOUR });
        expect(osaka.map((r) => r.runId)).toEqual([5, 4].map((i) => `${run}-run-${i}`));
        const window = await store.selectCheckResults({ check, startMs: base + 60_000, endMs: base + 2 * 60_000 });
        expect(window.map((r) => r.runId)).toEqual([2, 1].map((i) => `${run}-run-${i}`));
      });

      it('stores a re-appended run once', async () => {
        await store.appendCheckResults([row(0), row(2)]);
        await store.appendCheckResults([row(2)]);
        const rows = await store.selectCheckResults({ check, location: 'tokyo', startMs: base, endMs: base + HOUR });
        expect(rows).toHaveLength(4);
      });

      it('computes availability per check and location', async () => {
        expect(await store.availability({ check, location: 'tokyo', startMs: base, endMs: base + HOUR })).toEqual({
          runs: 4,
          ok: 2,
          ratio: 0.5,
          byStatus: { ok: 2, critical: 1, warning: 1 },
        });
        expect(await store.availability({ check, startMs: base, endMs: base + HOUR })).toEqual({
          runs: 6,
          ok: 3,
          ratio: 0.5,
          byStatus: { ok: 3, critical: 1, warning: 1, unknown: 1 },
        });
        expect(await store.availability({ check: `${check}-none`, startMs: base, endMs: base + HOUR })).toEqual({ runs: 0, ok: 0, ratio: null, byStatus: {} });
      });

      it('rejects invalid rows', async () => {
        await expect(store.appendCheckResults([row(9, { status: 'fine' as never })])).rejects.toBeInstanceOf(ValidationError);
        await expect(store.appendCheckResults([row(9, { runId: '' })])).rejects.toBeInstanceOf(ValidationError);
      });
    });

    describe('log events', () => {
      const stream = `app_${run}`;
      const ev = (i: number, over: Partial<LogEventRow> = {}): LogEventRow => ({
        time: base + i * 1000,
        stream,
        host: 'web-1',
        level: 'info',
        message: `request ${i} served`,
        fields: { i: String(i) },
        id: `${run}-ev-${i}`,
        ...over,
      });

      beforeAll(async () => {
        await store.appendLogEvents([
          ev(0),
          ev(1, { level: 'error', message: 'Connection REFUSED to db:5432' }),
          ev(2, { message: 'disk 100% full on /var', fields: { mount: '/var', 'k.with.dots': 'v"q' } }),
          ev(3, { stream: `${stream}_other`, message: 'connection refused elsewhere' }),
          ev(4, { level: undefined, message: 'multi\nline\tmessage' }),
        ]);
      });

      it('searches a stream newest first and returns every field', async () => {
        const rows = await store.searchLogs({ stream, startMs: base, endMs: base + HOUR });
        expect(rows.map((r) => r.id)).toEqual([4, 2, 1, 0].map((i) => `${run}-ev-${i}`));
        expect(rows[1]).toEqual(ev(2, { message: 'disk 100% full on /var', fields: { mount: '/var', 'k.with.dots': 'v"q' } }));
        expect(rows[0]!.level).toBeUndefined();
        expect(rows[0]!.message).toBe('multi\nline\tmessage');
      });

      it('matches text as a case-insensitive substring, with % and _ taken literally', async () => {
        const refused = await store.searchLogs({ text: 'connection refused', startMs: base, endMs: base + HOUR });
        expect(refused.filter((r) => r.id.startsWith(run)).map((r) => r.id)).toEqual([3, 1].map((i) => `${run}-ev-${i}`));
        expect((await store.searchLogs({ stream, text: '100%', startMs: base, endMs: base + HOUR })).map((r) => r.id)).toEqual([`${run}-ev-2`]);
        expect(await store.searchLogs({ stream, text: '1_0', startMs: base, endMs: base + HOUR })).toEqual([]);
      });

      it('stores a re-appended event once and limits results', async () => {
        await store.appendLogEvents([ev(0), ev(1, { level: 'error', message: 'Connection REFUSED to db:5432' })]);
        expect(await store.searchLogs({ stream, startMs: base, endMs: base + HOUR })).toHaveLength(4);
        expect((await store.searchLogs({ stream, startMs: base, endMs: base + HOUR, limit: 2 })).map((r) => r.id)).toEqual([4, 2].map((i) => `${run}-ev-${i}`));
      });

      it('rejects events without an id', async () => {
        await expect(store.appendLogEvents([ev(9, { id: '' })])).rejects.toBeInstanceOf(ValidationError);
      });
    });

    describe('usage', () => {
      it('counts rows and bytes per table once data is stored', async () => {
        const usage = await store.usage();
        const samples = usage.find((u) => u.table === 'samples')!;
        expect(samples.rows).toBeGreaterThan(0);
        expect(samples.bytesOnDisk).toBeGreaterThan(0);
        expect(usage.find((u) => u.table === 'check_results')!.rows).toBeGreaterThan(0);
        expect(usage.find((u) => u.table === 'log_events')!.rows).toBeGreaterThan(0);
      });
    });

    describe('lifecycle', () => {
      it('keeps data across close and reopen', async () => {
        const m = metric('persist');
        await store.appendSamples([{ labels: { __name__: m }, t: base, v: 7 }]);
        await store.appendLogEvents([{ time: base, stream: `persist_${run}`, host: 'h', message: 'kept', fields: {}, id: `${run}-persist` }]);
        await store.close();
        store = await open();
        expect(await store.selectSeries({ matchers: [{ name: '__name__', op: '=', value: m }], startMs: base, endMs: base })).toEqual([{ labels: { __name__: m }, samples: [{ t: base, v: 7 }] }]);
        expect((await store.searchLogs({ stream: `persist_${run}`, startMs: base, endMs: base })).map((r) => r.message)).toEqual(['kept']);
      });

      it('close() waits for writes in flight, and later calls fail with a clear error', async () => {
        const m = metric('drain');
        const writes: Promise<void>[] = [];
        for (let b = 0; b < 20; b++) {
          writes.push(store.appendSamples(Array.from({ length: 500 }, (_, i) => ({ labels: { __name__: m, b: String(b) }, t: base + i, v: i }))));
        }
        const closed = store.close();
        await closed;
        // Every write that was accepted before close() has finished by the time close() resolves.
        const settled = await Promise.allSettled(writes);
        expect(settled.every((s) => s.status === 'fulfilled')).toBe(true);
        const late = await store.appendSamples([{ labels: { __name__: m }, t: base, v: 1 }]).catch((e: unknown) => e);
        expect(late).toBeInstanceOf(KansokuError);
        expect((late as KansokuError).code).toBe('KSK_STORE_CLOSED');
        await store.close(); // idempotent
        store = await open();
        const series = await store.selectSeries({ matchers: [{ name: '__name__', op: '=', value: m }], startMs: base, endMs: base + 1000 });
        expect(series).toHaveLength(20);
        expect(series.reduce((n, s) => n + s.samples.length, 0)).toBe(20 * 500);
      });

      it('applies a configured retention: older data is neither stored nor returned', async () => {
        await store.close();
        const retention = { samplesMs: HOUR, checkResultsMs: HOUR, logEventsMs: HOUR };
        store = await open({ retention });
        const m = metric('retention');
        const old = Date.now() - 2 * HOUR;
        const fresh = Date.now() - 60_000;
        await store.appendSamples([
          { labels: { __name__: m }, t: old, v: 1 },
          { labels: { __name__: m }, t: fresh, v: 2 },
        ]);
        const [s] = await store.selectSeries({ matchers: [{ name: '__name__', op: '=', value: m }], startMs: old - HOUR, endMs: fresh });
        expect(s!.samples).toEqual([{ t: fresh, v: 2 }]);
        const mc = metric('retention_cols');
        await appendSeriesColumns(store, [{ labels: { __name__: mc }, t: Float64Array.of(old, fresh, old + 1), v: Float64Array.of(1, 2, 3) }]);
        await appendSeriesColumns(store, [{ labels: { __name__: mc, only: 'old' }, t: Float64Array.of(old), v: Float64Array.of(4) }]);
        const cols = await store.selectSeries({ matchers: [{ name: '__name__', op: '=', value: mc }], startMs: old - HOUR, endMs: fresh });
        expect(cols).toEqual([{ labels: { __name__: mc }, samples: [{ t: fresh, v: 2 }] }]);
        const check = `ret_${run}`;
        const cr = (t: number, id: string): CheckResultRow => ({ check, location: 'l', status: 'ok', message: '', startedAt: t, durationMs: 1, metrics: [], evidence: {}, runId: id });
        await store.appendCheckResults([cr(old, 'old'), cr(fresh, 'fresh')]);
        expect((await store.selectCheckResults({ check, startMs: old - HOUR, endMs: fresh })).map((r) => r.runId)).toEqual(['fresh']);
        expect((await store.availability({ check, startMs: old - HOUR, endMs: fresh })).runs).toBe(1);
        const stream = `ret_${run}`;
        await store.appendLogEvents([
          { time: old, stream, host: 'h', message: 'old', fields: {}, id: 'old' },
          { time: fresh, stream, host: 'h', message: 'fresh', fields: {}, id: 'fresh' },
        ]);
        expect((await store.searchLogs({ stream, startMs: old - HOUR, endMs: fresh })).map((r) => r.id)).toEqual(['fresh']);
        await store.close();
        store = await open();
      });

      it('refuses a retention shorter than a minute', async () => {
        await expect(factory({ retention: { samplesMs: 10 } })).rejects.toBeInstanceOf(ValidationError);
      });
    });
  });
}
