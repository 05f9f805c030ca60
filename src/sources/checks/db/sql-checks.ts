import type { CheckResult } from '../../../core/check-result.js';
import type { CheckRunContext, CheckType } from '../check-type.js';
import { mysqlEngine } from './mysql-engine.js';
import { postgresEngine } from './postgres-engine.js';
import { processlistDueByClock } from './processlist.js';
import { mysqlCheckSpecSchema, postgresCheckSpecSchema, type MysqlCheckSpec, type PostgresCheckSpec } from './sql-config.js';
import { runSqlCheck, type SqlRunOptions } from './sql-probe.js';

/**
 * Runs a mysql check. `snapshotProcesslist` overrides the clock rule (see processlistDueByClock)
 * for callers that remember when each check last took a snapshot.
 */
export function runMysqlCheck(spec: MysqlCheckSpec, cx: CheckRunContext, options: SqlRunOptions = {}): Promise<CheckResult> {
  const now = (cx.now ?? Date.now)();
  const snapshotProcesslist = spec.processlist ? (options.snapshotProcesslist ?? processlistDueByClock(now, spec.interval, spec.processlist.every)) : false;
  return runSqlCheck(mysqlEngine, spec, cx, { snapshotProcesslist });
}

export function runPostgresCheck(spec: PostgresCheckSpec, cx: CheckRunContext): Promise<CheckResult> {
  return runSqlCheck(postgresEngine, spec, cx);
}

export const mysqlCheck: CheckType<MysqlCheckSpec> = {
  type: 'mysql',
  specSchema: mysqlCheckSpecSchema,
  run: (spec, cx) => runMysqlCheck(spec, cx),
  targetHost: (spec) => spec.host,
  watchTarget: (spec) => (spec.host.startsWith('/') ? undefined : { host: spec.host, port: spec.port }),
};

export const postgresCheck: CheckType<PostgresCheckSpec> = {
  type: 'postgres',
  specSchema: postgresCheckSpecSchema,
  run: runPostgresCheck,
  targetHost: (spec) => spec.host,
  watchTarget: (spec) => (spec.host.startsWith('/') ? undefined : { host: spec.host, port: spec.port }),
};
