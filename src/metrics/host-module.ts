/**
 * The server's own host metrics: every 15 s the host collector (src/sources/host) runs here and
 * its collection goes through the metrics module's remote-write ingest, exactly as a
 * `kansoku agent --metrics` push would, so the same out-of-order and duplicate rules apply and
 * the series look the same (job="node", instance=<hostname>). A fresh server thus has host
 * graphs to look at. `kansoku server --no-host-metrics` turns it off.
 */
import { hostname } from 'node:os';
import type { ModuleContext, ModuleHandle, ServerModule } from '../server/module.js';
import { errorMessage } from '../lib/errors.js';
import { HostCollector, encodeCollection, REMOTE_WRITE_V1_HEADERS } from '../sources/host/index.js';
import type { MetricsApi } from './module.js';

export const HOST_METRICS_INTERVAL_MS = 15_000;

export interface HostMetricsApi {
  /** Collects and stores once (tests; the timer does it every interval). */
  collectNow(): Promise<void>;
}

async function start(cx: ModuleContext): Promise<ModuleHandle | void> {
  if (cx.config.hostMetrics === false) {
    cx.logger.info('host metrics of the server\'s own host are off (--no-host-metrics)');
    return;
  }
  if (process.platform !== 'linux') {
    cx.logger.info({ platform: process.platform }, 'host metrics need Linux /proc; not collecting');
    return;
  }
  const metrics = cx.modules.get('metrics')?.api as MetricsApi | undefined;
  if (!metrics) throw new Error('the host-metrics module needs the metrics module started before it (src/server/modules.ts)');
  const instance = hostname();
  const collector = new HostCollector({ logger: cx.logger });
  let running: Promise<void> | undefined;
  let failures = 0;

  const collectNow = async () => {
    const c = await collector.collect();
    const enc = encodeCollection(c, { job: 'node', instance });
    try {
      await metrics.ingest.remoteWrite(enc.body, REMOTE_WRITE_V1_HEADERS);
      if (failures) cx.logger.info({ after: failures }, 'host metrics stored again');
      failures = 0;
    } catch (err) {
      // Most likely an agent on this host pushing the same instance (out-of-order samples), or the store is down.
      if (failures++ === 0) cx.logger.warn({ err: errorMessage(err), instance }, 'could not store this host\'s metrics (is a "kansoku agent --metrics" on this host pushing the same instance?)');
    }
  };
  const tick = () => {
    running ??= collectNow()
      .catch((err: unknown) => cx.logger.warn({ err: errorMessage(err) }, 'host metrics collection failed'))
      .finally(() => (running = undefined));
  };
  const timer = setInterval(tick, HOST_METRICS_INTERVAL_MS);
  timer.unref();
  tick();
  cx.logger.info({ instance, job: 'node', intervalMs: HOST_METRICS_INTERVAL_MS }, 'collecting this host\'s metrics');
  const api: HostMetricsApi = { collectNow };
  return {
    api,
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}

export const hostMetricsModule: ServerModule = { name: 'host-metrics', start };
