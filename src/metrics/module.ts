/**
 * The metrics capability as a server module: the Prometheus HTTP API over the PromQL engine,
 * remote-write and JSON ingestion, CloudWatch-style statistics, and scraping of ScrapeTarget
 * objects. Everything it stores goes to the telemetry store.
 */
import type { FastifyInstance } from 'fastify';
import type { ModuleContext, ModuleHandle, ServerModule } from '../server/module.js';
import { registerMetricsIngestRoutes } from '../api/routes/metrics-ingest.js';
import { registerPromApiRoutes } from '../api/routes/prom-api.js';
import { RemoteWriteDecodePool } from '../sources/metrics/remote-write/decode-pool.js';
import { HeadTracker } from './ingest/head-tracker.js';
import { MetricsIngestService } from './ingest/ingest-service.js';
import { MetadataRegistry } from './metadata.js';
import { PromApiService } from './prom-api-service.js';
import { scrapeTargetKind } from './scrape/scrape-target-kind.js';
import { ScrapeManager } from './scrape/scraper.js';
import { StoreSeriesSource } from './store-series-source.js';

/** What the module offers to modules started after it (alert rules evaluate PromQL through `source`). */
export interface MetricsApi {
  readonly promApi: PromApiService;
  readonly ingest: MetricsIngestService;
  readonly metadata: MetadataRegistry;
  readonly source: StoreSeriesSource;
  readonly scraper: ScrapeManager;
}

async function start(cx: ModuleContext): Promise<ModuleHandle> {
  const metadata = new MetadataRegistry();
  const decodePool = new RemoteWriteDecodePool({ threads: cx.config.decodeThreads, logger: cx.logger });
  const ingest = new MetricsIngestService(cx.telemetry, metadata, new HeadTracker(), cx.logger, undefined, {}, decodePool);
  const promApi = new PromApiService(cx.telemetry, metadata);
  const scraper = new ScrapeManager({ appendSamples: (rows) => ingest.batcher.append(rows) }, metadata, cx.logger);

  // Subscribe before listing, so a change committed in between is not missed (upsert is idempotent).
  const unsubscribe = cx.objects.subscribe((c) => {
    if (c.kind !== scrapeTargetKind.kind) return;
    if (c.change === 'delete') void scraper.remove(c.name);
    else scraper.upsert(c.name, c.object.spec);
  });
  for (const o of await cx.objects.list({ kind: scrapeTargetKind.kind })) scraper.upsert(o.name, o.spec);

  const api: MetricsApi = { promApi, ingest, metadata, source: new StoreSeriesSource(cx.telemetry), scraper };
  return {
    async routes(app: FastifyInstance) {
      await registerPromApiRoutes(app, promApi);
      await registerMetricsIngestRoutes(app, ingest);
    },
    async stop() {
      unsubscribe();
      await scraper.stop();
      await ingest.batcher.flush();
      await decodePool.close();
    },
    api,
  };
}

export const metricsModule: ServerModule = {
  name: 'metrics',
  kinds: [scrapeTargetKind],
  start,
};
