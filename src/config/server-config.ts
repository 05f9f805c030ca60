import path from 'node:path';
import { z } from 'zod';
import { ConfigError } from '../lib/errors.js';

/**
 * The server's configuration, parsed once from flags and environment and then frozen. Nothing
 * below this module reads process.env.
 */
export const serverConfigSchema = z
  .object({
    dataDir: z.string().min(1).describe('where embedded state (SQLite) and telemetry (chDB) live, and the admin token file'),
    listen: z
      .string()
      .regex(/^(\[[0-9a-fA-F:]+\]|[^:\s]+):\d{1,5}$/, 'expected HOST:PORT, e.g. 127.0.0.1:7700 or [::1]:7700')
      .describe('address the HTTP API listens on'),
    state: z.string().optional().describe('postgres://user:pass@host:5432/db for PostgreSQL; default the embedded SQLite file'),
    telemetry: z.string().optional().describe('http://user:pass@host:8123/db for a ClickHouse server; default embedded chDB'),
    secretKeyFile: z.string().min(1).optional().describe('file holding the key that encrypts secrets at rest (created when missing); default DIR/secret.key with SQLite'),
    /** KANSOKU_SECRET_KEY (base64); startServer takes it out before the config reaches any module. */
    secretKey: z.string().optional(),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /** The server collects its own host's metrics (job="node"); `--no-host-metrics` / KANSOKU_HOST_METRICS=off turns it off. */
    hostMetrics: z.boolean().default(true),
    /**
     * Worker threads that decode remote-write bodies (0: on the main thread). On 2 cores shared
     * with the senders, a worker measured slower than none (BENCHMARKS.md), so it is opt-in.
     */
    decodeThreads: z.number({ error: 'expected a whole number of threads, e.g. 0 or 1' }).int('expected a whole number of threads, e.g. 0 or 1').min(0, 'must be 0 or more').max(16, 'at most 16').default(0),
    /** How long SIGTERM waits for in-flight requests and writes before it gives up. */
    shutdownTimeoutMs: z.number().int().positive().default(30_000),
  })
  .strict();

export type ServerConfig = Readonly<z.infer<typeof serverConfigSchema>>;

export function parseServerConfig(input: {
  dataDir?: string;
  listen?: string;
  state?: string;
  telemetry?: string;
  logLevel?: string;
  hostMetrics?: boolean;
  secretKeyFile?: string;
  decodeThreads?: string | number;
  env?: NodeJS.ProcessEnv;
}): ServerConfig {
  const env = input.env ?? {};
  const raw = {
    dataDir: path.resolve(input.dataDir ?? env.KANSOKU_DATA_DIR ?? './kansoku-data'),
    listen: input.listen ?? env.KANSOKU_LISTEN ?? '127.0.0.1:7700',
    state: input.state ?? env.KANSOKU_STATE_URL,
    telemetry: input.telemetry ?? env.KANSOKU_TELEMETRY_URL,
    logLevel: input.logLevel ?? env.KANSOKU_LOG_LEVEL ?? 'info',
    hostMetrics: input.hostMetrics === false ? false : !/^(0|false|off|no)$/i.test(env.KANSOKU_HOST_METRICS ?? ''),
    secretKeyFile: input.secretKeyFile || env.KANSOKU_SECRET_KEY_FILE || undefined,
    secretKey: env.KANSOKU_SECRET_KEY || undefined,
    decodeThreads: numberOrText(input.decodeThreads ?? env.KANSOKU_DECODE_THREADS ?? 0),
  };
  const r = serverConfigSchema.safeParse(raw);
  if (!r.success) {
    const first = r.error.issues[0]!;
    const flag = { dataDir: '--data-dir', listen: '--listen', state: '--state', telemetry: '--telemetry', logLevel: '--log-level', secretKeyFile: '--secret-key-file', secretKey: 'KANSOKU_SECRET_KEY', decodeThreads: '--decode-threads' }[String(first.path[0])] ?? String(first.path[0]);
    throw new ConfigError('KSK_CONFIG_INVALID', `${flag}: ${first.message}`);
  }
  return Object.freeze(r.data);
}

/** A whole number given as text (a flag or variable) becomes a number; anything else is left for the schema to refuse. */
function numberOrText(v: string | number): number | string {
  if (typeof v === 'number') return v;
  return /^\s*\d+\s*$/.test(v) ? Number(v) : v;
}

export function splitListen(listen: string): { host: string; port: number } {
  const i = listen.lastIndexOf(':');
  const host = listen.slice(0, i).replace(/^\[|\]$/g, '');
  const port = Number(listen.slice(i + 1));
  if (!(port >= 0 && port <= 65535)) throw new ConfigError('KSK_CONFIG_INVALID', `--listen: port ${port} is out of range`);
  return { host, port };
}
