import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../lib/logger.js';
import { PromqlEngine, STALE_NAN, isStaleNaN } from '../query/promql/index.js';
import { openTelemetryStore } from '../store/clickhouse/open-telemetry-store.js';
import type { TelemetryStore } from '../store/telemetry-store.js';
import { toStoredValue } from './stale-marker.js';
import { StoreSeriesSource } from './store-series-source.js';

// Real chDB: the stale marker and NaN must survive the store's text encoding.
let dir: string;
let store: TelemetryStore;
const T = Date.now() - 600_000;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'ksk-metrics-src-'));
  store = await openTelemetryStore({ engine: 'chdb', dataDir: dir }, { logger: createLogger({ level: 'silent' }) });
  const ended = { __name__: 'm', instance: 'ended' };
  const nan = { __name__: 'm', instance: 'nan' };
  await store.appendSamples([
    { labels: ended, t: T, v: 1 },
    { labels: ended, t: T + 15_000, v: toStoredValue(STALE_NAN) },
    { labels: nan, t: T, v: NaN },
    { labels: nan, t: T + 15_000, v: NaN },
  ]);
});
afterAll(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('StoreSeriesSource over chDB', () => {
  it('gives back stale markers as Prometheus stale NaN and plain NaN as NaN', async () => {
    const src = new StoreSeriesSource(store);
    const got = await src.select([{ name: '__name__', op: '=', value: 'm' }], T, T + 15_000);
    const byInstance: Record<string, { t: number; v: number }[]> = Object.fromEntries(got.map((s) => [s.labels.instance, s.samples]));
    expect(byInstance.ended!.map((p) => p.v)).toEqual([1, NaN]);
    expect(isStaleNaN(byInstance.ended![1]!.v)).toBe(true);
    expect(byInstance.nan!.map((p) => isStaleNaN(p.v))).toEqual([false, false]);
  });

  it('lets PromQL end a series at its marker while a NaN series keeps answering NaN', async () => {
    const engine = new PromqlEngine(new StoreSeriesSource(store));
    const r = await engine.instantQuery('m', T + 30_000);
    expect(r.resultType).toBe('vector');
    const result = r.result as unknown as { metric: { instance: string }; value: number }[];
    expect(result.map((s) => s.metric.instance)).toEqual(['nan']);
    expect(result[0]!.value).toBeNaN();
  });

  it('clamps unbounded ranges to what the store holds', async () => {
    const got = await new StoreSeriesSource(store).select([{ name: '__name__', op: '=', value: 'm' }], -9e12, 9e12);
    expect(got).toHaveLength(2);
  });
});
