/**
 * Accepted samples survive `kill -9`: a real server answers 204 to remote-write once samples
 * are in its write-ahead log, is killed before its flusher wrote them to chDB, and after a
 * restart every sample is queryable. A torn last WAL record (a crash inside a write) is
 * skipped with a log line, not a crash.
 */
import { appendFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compressWriteRequest, encodeWriteRequestV1, type EncodableSeries } from '../../src/sources/metrics/remote-write/index.js';
import { startServerProcess, type ServerProc } from '../support/server-process.js';

const SERIES = 50;
const PER_SERIES = 40;
const REQUESTS = 5;
const STEP = 15_000;

let s: ServerProc | undefined;
afterAll(async () => {
  await s?.stop('SIGKILL');
});

async function countSamples(url: string, token: string, end: number): Promise<number> {
  const q = new URLSearchParams({ query: 'count_over_time(kt_wal_e2e[1h])', time: String(end / 1000) });
  const r = await fetch(`${url}/api/v1/query?${q}`, { headers: { authorization: `Bearer ${token}` } });
  const body = (await r.json()) as { status: string; data: { result: { value: [number, string] }[] } };
  expect(body.status).toBe('success');
  return body.data.result.reduce((n, x) => n + Number(x.value[1]), 0);
}

describe('metrics WAL across kill -9', () => {
  it('keeps every sample acknowledged with 204, and skips a torn last record on restart', async () => {
    s = await startServerProcess({ env: { KANSOKU_LOG_LEVEL: 'info' } });
    const token = s.token();
    const end = Math.floor(Date.now() / STEP) * STEP - STEP;
    const start = end - (PER_SERIES * REQUESTS - 1) * STEP;
    for (let r = 0; r < REQUESTS; r++) {
      const timeseries: EncodableSeries[] = [];
      for (let i = 0; i < SERIES; i++) {
        const samples = Array.from({ length: PER_SERIES }, (_, k) => {
          const j = r * PER_SERIES + k;
          return { t: start + j * STEP, v: i * 1e6 + j };
        });
        timeseries.push({ labels: [['__name__', 'kt_wal_e2e'], ['i', String(i)], ['job', 'wal']], samples });
      }
      const res = await fetch(`${s.url}/api/v1/write`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-protobuf', 'content-encoding': 'snappy', 'x-prometheus-remote-write-version': '0.1.0' },
        body: compressWriteRequest(encodeWriteRequestV1({ timeseries })),
      });
      expect(res.status, await res.text()).toBe(204);
    }
    const total = SERIES * PER_SERIES * REQUESTS;
    const { dataDir } = s;
    expect(await s.stop('SIGKILL')).toBe(null);

    // A crash in the middle of a write leaves a partial record at the end of the last segment.
    const walDir = path.join(dataDir, 'wal');
    const segments = readdirSync(walDir).filter((f) => /^\d{8}$/.test(f)).sort();
    expect(segments.length).toBeGreaterThan(0);
    appendFileSync(path.join(walDir, segments.at(-1)!), Buffer.from([2, 0x40, 0x1f, 0, 0, 9, 9, 9, 9, 1, 2, 3]));

    s = await startServerProcess({ dataDir, env: { KANSOKU_LOG_LEVEL: 'info' } });
    expect(await countSamples(s.url, token, end)).toBe(total);
    expect(s.logs()).toMatch(/torn or corrupt record skipped/);
    expect(s.logs()).toMatch(/WAL replayed into the head/);

    // Clean stop flushes; the next start reads the same from chDB and the WAL.
    expect(await s.stop('SIGTERM')).toBe(0);
    s = await startServerProcess({ dataDir });
    expect(await countSamples(s.url, token, end)).toBe(total);
    const storage = (await (await fetch(`${s.url}/api/v1/metrics/storage`, { headers: { authorization: `Bearer ${token}` } })).json()) as { data: { tables: { table: string; rows: number }[] } };
    expect(storage.data.tables.find((t) => t.table === 'samples')!.rows).toBeGreaterThanOrEqual(total);
  });
});
