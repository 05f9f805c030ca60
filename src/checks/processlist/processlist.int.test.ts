/**
 * Processlist snapshots end to end: the mysql runner of a ProcesslistRecorder against the
 * MariaDB on this machine, written into the real telemetry store (chDB) and found again by
 * time and text. vitest runs this file in its own process, so it owns chDB's data directory.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requirePeer, tcpReachable } from '../../../test/support/peer.js';
import { silentLogger } from '../../lib/logger.js';
import { mysqlCheckSpecSchema } from '../../sources/checks/db/index.js';
import { openTelemetryStore } from '../../store/clickhouse/open-telemetry-store.js';
import type { TelemetryStore } from '../../store/telemetry-store.js';
import type { CommonCheckSpec } from '../check-kind.js';
import { ProcesslistRecorder, processlistStream, searchProcesslist } from './index.js';

const haveMariadb = await requirePeer('MariaDB on 127.0.0.1:3306', () => tcpReachable('127.0.0.1', 3306));

describe.skipIf(!haveMariadb)('processlist snapshots in the telemetry store', () => {
  let root: string;
  let store: TelemetryStore;
  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'kansoku-processlist-'));
    store = await openTelemetryStore({ engine: 'chdb', dataDir: root }, { logger: silentLogger() });
  });
  afterAll(async () => {
    await store?.close();
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('keeps a running SELECT SLEEP(3) from another connection, searchable by text and time, once per `every`', async () => {
    const spec = mysqlCheckSpecSchema.parse({ type: 'mysql', host: '127.0.0.1', user: 'root', database: 'test', interval: '60s', processlist: { every: '5m' } });
    const recorder = new ProcesslistRecorder(store, silentLogger());
    const runner = recorder.runner();
    const other = await mysql.createConnection({ host: '127.0.0.1', port: 3306, user: 'root', database: 'test' });
    const marker = `kansoku_snap_${process.pid}`;
    const before = Date.now();
    try {
      const sleeping = other.query(`SELECT SLEEP(3) AS ${marker}`);
      await new Promise((r) => setTimeout(r, 300));
      const cx = { signal: AbortSignal.timeout(10_000), timeoutMs: 5000 };
      const first = await runner.run('shop-db', spec as unknown as CommonCheckSpec, cx);
      expect(first.status).toBe('ok');
      // The stored result carries a summary, not the rows themselves.
      expect(first.evidence?.processlist).toMatchObject({ stream: 'processlist/shop-db', rows: expect.any(Number) });
      // One minute later by the check's clock: not due again.
      const second = await runner.run('shop-db', spec as unknown as CommonCheckSpec, { ...cx, now: () => Date.now() + 60_000 });
      expect(second.evidence?.processlist).toBeUndefined();
      await sleeping;
      await recorder.flush();

      const found = await searchProcesslist(store, { check: 'shop-db', text: marker, startMs: before - 1000, endMs: Date.now() + 1000 });
      expect(found).toHaveLength(1);
      expect(found[0]).toMatchObject({ Id: String(other.threadId), User: 'root', db: 'test', Command: 'Query', Info: `SELECT SLEEP(3) AS ${marker}`, server: '127.0.0.1' });
      expect(found[0]!.takenAt).toBeGreaterThanOrEqual(before);

      // The same rows through the plain log search, and nothing outside the time range.
      const logs = await store.searchLogs({ stream: processlistStream('shop-db'), text: marker, startMs: before - 1000, endMs: Date.now() + 1000 });
      expect(logs[0]!.message).toContain(`Info=SELECT SLEEP(3) AS ${marker}`);
      expect(await searchProcesslist(store, { check: 'shop-db', text: marker, startMs: before - 60_000, endMs: before - 1000 })).toEqual([]);
      // Beyond the check's retention the snapshot is not returned.
      expect(await searchProcesslist(store, { check: 'shop-db', text: marker, startMs: before - 1000, endMs: Date.now() + 1000, retention: '1d', now: Date.now() + 2 * 86_400_000 })).toEqual([]);
    } finally {
      await other.end();
    }
  });
});
