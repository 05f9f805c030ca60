/**
 * The telemetry store on a ClickHouse server. Runs when KANSOKU_CLICKHOUSE_URL names one
 * (e.g. http://default:@127.0.0.1:8123/kansoku_test); the CI machine has no ClickHouse server,
 * so without the variable the suite skips with the reason printed, also under CI.
 */
import { describe, it } from 'vitest';
import { tcpReachable } from '../../../test/support/peer.js';
import { silentLogger } from '../../lib/logger.js';
import { createTelemetryStore } from '../clickhouse/clickhouse-telemetry-store.js';
import { runTelemetryStoreContract } from '../contract/telemetry-store.contract.js';
import { ClickHouseServerTransport, parseClickHouseUrl } from './clickhouse-server-transport.js';

const url = process.env.KANSOKU_CLICKHOUSE_URL;
let reason: string | undefined;
if (!url) {
  reason = 'KANSOKU_CLICKHOUSE_URL is not set (no ClickHouse server on this machine; set it to run the server adapter contract)';
} else {
  const { url: parsed } = parseClickHouseUrl(url);
  const reachable = await tcpReachable(parsed.hostname, Number(parsed.port || (parsed.protocol === 'https:' ? 8443 : 8123)));
  if (reachable !== true) {
    // A URL that was given but does not answer is a broken setup, not an absent peer.
    throw new Error(`KANSOKU_CLICKHOUSE_URL is set but ClickHouse does not answer: ${reachable}`);
  }
}

if (reason) {
  console.warn(`SKIP: ClickHouse server telemetry contract: ${reason}`);
  describe.skip('TelemetryStore contract: ClickHouse server', () => {
    it('needs KANSOKU_CLICKHOUSE_URL', () => undefined);
  });
} else {
  runTelemetryStoreContract('ClickHouse server', async (options) => {
    const transport = await ClickHouseServerTransport.open({ url: url! });
    try {
      return createTelemetryStore(transport, { logger: silentLogger(), retention: options?.retention });
    } catch (err) {
      await transport.close();
      throw err;
    }
  });
}
