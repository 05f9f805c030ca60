import type { Logger } from '../../lib/logger.js';
import type { RetentionConfig } from '../telemetry-store.js';
import { parseCount } from './encode.js';
import { tableTtlSql } from './queries.js';
import { CREATE_MIGRATIONS_TABLE, MIGRATIONS, TABLES, parseTtlSeconds, ttlExpression, ttlSeconds, type Migration } from './schema.js';
import type { ClickHouseTransport } from './transport.js';

/**
 * Applies the migrations not yet recorded in kansoku_migrations, in version order, then brings
 * each table's TTL in line with the configured retention. Safe to run on every start and from
 * several server nodes at once: every statement is idempotent and the record table collapses
 * duplicate versions.
 */
export async function runMigrations(
  transport: ClickHouseTransport,
  retention: RetentionConfig,
  logger: Logger,
  migrations: readonly Migration[] = MIGRATIONS,
): Promise<void> {
  await transport.command(CREATE_MIGRATIONS_TABLE);
  const applied = new Set(
    (await transport.queryRows<{ version: number | string }>(`SELECT DISTINCT version FROM ${TABLES.migrations}`)).map((r) => parseCount(r.version)),
  );
  for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
    if (applied.has(m.version)) continue;
    logger.info({ version: m.version, migration: m.name, engine: transport.engine }, 'applying telemetry migration');
    for (const statement of m.statements(retention)) await transport.command(statement);
    await transport.command(`INSERT INTO ${TABLES.migrations} (version, name) SELECT {version:UInt32}, {name:String}`, {
      version: m.version,
      name: m.name,
    });
  }
  await reconcileRetention(transport, retention, logger);
}

/**
 * A changed retention setting becomes `ALTER TABLE … MODIFY TTL`, only for the tables whose TTL
 * differs: the ALTER rewrites parts, so it must not run on every start.
 */
export async function reconcileRetention(transport: ClickHouseTransport, retention: RetentionConfig, logger: Logger): Promise<void> {
  const wanted = ttlSeconds(retention);
  const { sql, params } = tableTtlSql();
  const tables = await transport.queryRows<{ name: string; engine_full: string }>(sql, params);
  for (const t of tables) {
    const name = t.name as keyof typeof wanted;
    const seconds = wanted[name];
    if (seconds === undefined) continue;
    const current = parseTtlSeconds(t.engine_full);
    if (current === seconds) continue;
    logger.info({ table: name, fromSeconds: current, toSeconds: seconds }, 'changing telemetry retention');
    await transport.command(`ALTER TABLE ${name} MODIFY TTL ${ttlExpression(name, seconds)}`);
  }
}
