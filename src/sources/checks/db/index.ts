/**
 * `type: mysql`, `type: postgres` and `type: redis`: connect as a client would, optionally run
 * a query / command and judge what it returns. MySQL / MariaDB checks can also keep
 * SHOW FULL PROCESSLIST snapshots (see src/checks/processlist for where they are stored).
 */
import type { CheckType } from '../check-type.js';
import { redisCheckSpecSchema, type RedisCheckSpec } from './redis-config.js';
import { runRedisCheck } from './redis-probe.js';

export { mysqlCheck, postgresCheck, runMysqlCheck, runPostgresCheck } from './sql-checks.js';
export { mysqlCheckSpecSchema, postgresCheckSpecSchema, processlistSchema, sqlExpectSchema, dbTlsSchema, type MysqlCheckSpec, type PostgresCheckSpec, type ProcesslistOptions, type SqlExpect, type DbTls } from './sql-config.js';
export { redisCheckSpecSchema, type RedisCheckSpec } from './redis-config.js';
export { runRedisCheck } from './redis-probe.js';
export { assessQuery, cellText, type QueryVerdict } from './sql-assess.js';
export { judgeReplication, type ProcesslistSnapshot, type ReplicaState, type SqlRunOptions } from './sql-probe.js';
export { PROCESSLIST_COLUMNS, processlistDueByClock, toProcesslistRow, type ProcesslistRow } from './processlist.js';
export { thresholdSchema, judgeThresholds, thresholdRange, withLimits, asNumber, type Threshold, type ThresholdVerdict } from './thresholds.js';
export { POSTGRES_APPLICATION_NAME } from './postgres-engine.js';
export { parseRedisInfo, redisInfoMetrics, redisRole } from './redis-info.js';

export const redisCheck: CheckType<RedisCheckSpec> = {
  type: 'redis',
  specSchema: redisCheckSpecSchema,
  run: runRedisCheck,
  targetHost: (spec) => spec.host,
  watchTarget: (spec) => ({ host: spec.host, port: spec.port }),
};
