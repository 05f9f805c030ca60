/**
 * Opens the telemetry store on the configured engine and migrates it. Both transports are
 * imported dynamically: choosing the server engine never loads chDB, and nothing here pulls
 * in either driver until a store is opened.
 */
import path from 'node:path';
import type { Logger } from '../../lib/logger.js';
import type { RetentionConfig, TelemetryStore } from '../telemetry-store.js';
import { createTelemetryStore } from './clickhouse-telemetry-store.js';

export type TelemetryStoreConfig =
  | { engine: 'chdb'; /** Kansoku's data directory; telemetry goes to <dataDir>/telemetry. */ dataDir: string }
  | { engine: 'clickhouse'; /** http[s]://user:password@host:8123/database */ url: string };

export interface OpenTelemetryStoreOptions {
  logger: Logger;
  retention?: Partial<RetentionConfig>;
  /** Run migrations on open (default true). */
  migrate?: boolean;
}

export async function openTelemetryStore(config: TelemetryStoreConfig, options: OpenTelemetryStoreOptions): Promise<TelemetryStore> {
  const transport =
    config.engine === 'chdb'
      ? await (await import('../chdb/chdb-transport.js')).ChdbTransport.open({ path: path.join(config.dataDir, 'telemetry'), logger: options.logger })
      : await (await import('../clickhouse-server/clickhouse-server-transport.js')).ClickHouseServerTransport.open({ url: config.url, logger: options.logger });
  const store = createTelemetryStore(transport, { logger: options.logger, retention: options.retention });
  if (options.migrate !== false) {
    try {
      await store.migrate();
    } catch (err) {
      await store.close();
      throw err;
    }
  }
  return store;
}
