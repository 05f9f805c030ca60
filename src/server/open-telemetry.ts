import path from 'node:path';
import type { Logger } from '../lib/logger.js';
import type { TelemetryStore } from '../store/telemetry-store.js';
import { createTelemetryStore } from '../store/clickhouse/clickhouse-telemetry-store.js';

/**
 * Chooses the telemetry engine once: an http(s):// URL gives a ClickHouse server, otherwise the
 * embedded chDB in `<dataDir>/telemetry`. Both transports are imported lazily so that the CLI
 * and the agent never load chDB's 500 MB library. Migrations run before the store is returned.
 */
export async function openTelemetryStore(opts: { dataDir: string; url?: string; logger: Logger }): Promise<TelemetryStore> {
  const logger = opts.logger.child({ component: 'telemetry' });
  let transport;
  if (opts.url) {
    const { ClickHouseServerTransport } = await import('../store/clickhouse-server/clickhouse-server-transport.js');
    transport = await ClickHouseServerTransport.open({ url: opts.url, logger });
  } else {
    const { ChdbTransport } = await import('../store/chdb/chdb-transport.js');
    transport = await ChdbTransport.open({ path: path.join(opts.dataDir, 'telemetry'), logger });
  }
  const store = createTelemetryStore(transport, { logger });
  try {
    await store.migrate();
  } catch (err) {
    await store.close().catch(() => {});
    throw err;
  }
  return store;
}
