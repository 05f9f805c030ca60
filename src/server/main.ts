import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { parseServerConfig, splitListen, type ServerConfig } from '../config/server-config.js';
import { createLogger, type Logger } from '../lib/logger.js';
import { openStateStore, redactUrl } from '../store/state/open-state-store.js';
import type { StateStore } from '../store/state-store.js';
import type { TelemetryStore } from '../store/telemetry-store.js';
import { ObjectService } from '../inventory/object-service.js';
import { AuditService } from '../audit/audit-service.js';
import { TokenService } from '../auth/tokens.js';
import { SelfMetrics } from '../selfmon/metrics.js';
import { createApiServer } from '../api/app.js';
import { buildKindRegistry } from './kinds.js';
import type { ModuleHandle, ServerModule } from './module.js';
import { SERVER_MODULES } from './modules.js';
import { ensureAdminToken } from './admin-token.js';
import { createStarterObjects } from './starter-objects.js';
import { openTelemetryStore } from '../store/clickhouse/open-telemetry-store.js';
import { openHeadStore } from '../store/head/head-store.js';
import { VERSION } from '../version.js';
import { loadSecretKey } from '../secrets/key.js';

export interface RunningServer {
  readonly url: string;
  readonly app: FastifyInstance;
  readonly state: StateStore;
  readonly telemetry: TelemetryStore;
  readonly config: ServerConfig;
  /** Stops accepting requests, finishes the ones in flight, then closes the stores. */
  close(): Promise<void>;
}

/**
 * The composition root: builds every adapter and component, hands each its dependencies, and
 * owns the order of start and stop (HTTP stops before the stores it writes to close).
 */
export async function startServer(
  fullConfig: ServerConfig,
  logger: Logger = createLogger({ level: fullConfig.logLevel }),
  modules: readonly ServerModule[] = SERVER_MODULES,
): Promise<RunningServer> {
  const started = Date.now();
  // The key stays here: modules and the returned server see the config without it.
  const { secretKey, ...config } = fullConfig;
  const log = logger.child({ component: 'server' });
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });

  const state = await openStateStore({ dataDir: config.dataDir, url: config.state });
  log.info({ engine: state.engine, where: config.state ? redactUrl(config.state) : `${config.dataDir}/state.db` }, 'state store ready');
  const registry = buildKindRegistry(modules);
  let objects: ObjectService;
  try {
    objects = await openObjectsWithSecrets(config, secretKey, state, registry, log);
  } catch (err) {
    await state.close();
    throw err;
  }
  let telemetry: TelemetryStore;
  try {
    telemetry = await openTelemetryStore(config.telemetry ? { engine: 'clickhouse', url: config.telemetry } : { engine: 'chdb', dataDir: config.dataDir }, {
      logger: logger.child({ component: 'telemetry' }),
    });
    // Samples go through a write-ahead log and an in-memory head (src/store/head/README.md).
    const inner = telemetry;
    telemetry = await openHeadStore(inner, { dir: path.join(config.dataDir, 'wal'), logger: logger.child({ component: 'telemetry-head' }) }).catch(async (err: unknown) => {
      await inner.close();
      throw err;
    });
  } catch (err) {
    await state.close();
    throw err;
  }
  log.info({ engine: telemetry.engine }, 'telemetry store ready');

  const audit = new AuditService(state);
  const tokens = new TokenService(state);
  const metrics = new SelfMetrics();
  metrics.buildInfo.set({ version: VERSION, state_engine: state.engine, telemetry_engine: telemetry.engine, node_version: process.version }, 1);

  const firstStart = await ensureAdminToken({ store: state, tokens, objects, dataDir: config.dataDir, logger: log });

  const handles = new Map<string, ModuleHandle>();
  const stopModules = async () => {
    for (const [name, h] of [...handles].reverse()) {
      try {
        await h.stop?.();
      } catch (err) {
        log.error({ err, module: name }, 'module did not stop cleanly');
      }
    }
  };
  try {
    for (const m of modules) {
      const h = await m.start?.({ config, logger: logger.child({ component: m.name }), state, telemetry, objects, metrics, modules: handles });
      if (h) handles.set(m.name, h);
    }
  } catch (err) {
    await stopModules();
    await telemetry.close();
    await state.close();
    throw err;
  }

  const app = await createApiServer({
    logger,
    store: state,
    objects,
    audit,
    tokens,
    metrics,
    readiness: async () => {
      await state.auditHead();
      await telemetry.usage();
      for (const h of handles.values()) await h.ready?.();
    },
    plugins: [...handles.values()].filter((h) => h.routes).map((h) => (a: FastifyInstance) => h.routes!(a)),
  });
  const { host, port } = splitListen(config.listen);
  try {
    await app.listen({ host, port });
  } catch (err) {
    await stopModules();
    await telemetry.close();
    await state.close();
    throw err;
  }
  const addr = app.server.address();
  const boundPort = typeof addr === 'object' && addr ? addr.port : port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${boundPort}`;
  log.info({ url, version: VERSION, startupMs: Date.now() - started }, 'kansoku server listening');
  if (firstStart) await createStarterObjects(objects, url.replace('//0.0.0.0:', '//127.0.0.1:').replace('//[::]:', '//[::1]:'), log);

  let closing: Promise<void> | undefined;
  return {
    url,
    app,
    state,
    telemetry,
    config,
    close() {
      closing ??= (async () => {
        log.info('shutting down: finishing requests in flight');
        await app.close();
        await stopModules();
        await telemetry.close();
        await state.close();
        log.info('shut down cleanly');
      })();
      return closing;
    },
  };
}

/**
 * Loads the key that encrypts secrets at rest and seals what an older version stored in the
 * clear. A key file created just now next to secrets sealed with another key is removed again, so
 * the next start does not take the new key for the real one.
 */
async function openObjectsWithSecrets(config: ServerConfig, secretKey: string | undefined, state: StateStore, registry: ReturnType<typeof buildKindRegistry>, log: Logger): Promise<ObjectService> {
  const key = loadSecretKey({ keyFile: config.secretKeyFile, keyBase64: secretKey, dataDir: config.dataDir, engine: state.engine });
  for (const w of key.warnings) log.warn(w);
  if (key.created) log.info({ file: key.file }, 'created the key that encrypts secrets at rest (mode 0600); back it up apart from the database');
  const objects = new ObjectService(state, registry, undefined, { secrets: key.box });
  try {
    const r = await objects.sealStoredSecrets();
    if (r && r.sealedPlain > 0) log.info({ values: r.sealedPlain, objects: r.objects, versions: r.versions, keyId: key.box.keyId }, 'encrypted secrets an older version stored in the clear');
  } catch (err) {
    if (key.created && key.file) {
      rmSync(key.file, { force: true });
      (err as Error).message += ` (${key.file} did not exist, so a new key was made and removed again: restore the key file these secrets were written with)`;
    }
    throw err;
  }
  log.info({ keyId: key.box.keyId, key: key.file ?? 'KANSOKU_SECRET_KEY' }, 'secrets at rest are encrypted');
  return objects;
}

/** `kansoku server`: start, then stop gracefully on SIGTERM / SIGINT. */
export async function runServerCommand(opts: { dataDir?: string; listen?: string; state?: string; telemetry?: string; logLevel?: string; secretKeyFile?: string; hostMetrics?: boolean; decodeThreads?: string }): Promise<void> {
  const config = parseServerConfig({ ...opts, env: process.env });
  const logger = createLogger({ level: config.logLevel });
  const server = await startServer(config, logger);
  const stop = (signal: string) => {
    logger.info({ signal }, 'signal received');
    const timer = setTimeout(() => {
      logger.error({ timeoutMs: config.shutdownTimeoutMs }, 'shutdown took too long; exiting');
      process.exit(1);
    }, config.shutdownTimeoutMs);
    timer.unref();
    server.close().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'error during shutdown');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}
