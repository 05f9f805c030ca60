/**
 * The probe both SQL checks share: connect (timed), read the server version, optionally run
 * the check query and judge it, optionally judge replication lag, optionally snapshot the
 * processlist; always close the connection, also when the deadline passes mid-query. The
 * engine-specific parts (driver, version query, lag query) sit behind `SqlEngine`.
 */
import { performance } from 'node:perf_hooks';
import { worstStatus, type CheckEvidence, type CheckMetric, type CheckResult, type CheckStatus } from '../../../core/check-result.js';
import { formatDurationMs, parseDurationMs } from '../../../core/duration.js';
import type { CheckRunContext } from '../check-type.js';
import { hostPort } from '../tcp/index.js';
import type { ProcesslistRow } from './processlist.js';
import { assessQuery } from './sql-assess.js';
import type { MysqlCheckSpec, PostgresCheckSpec } from './sql-config.js';
import { judgeThresholds } from './thresholds.js';
import { DeadlineExceeded, RunDeadline, driverReason } from './run-deadline.js';

export type SqlSpec = MysqlCheckSpec | PostgresCheckSpec;

/** What a replica reports about itself; `undefined` lag means "replicating, lag unknown". */
export type ReplicaState = { replica: false } | { replica: true; lagSeconds: number | undefined; problem?: string };

export interface SqlSession {
  /** "11.8.3-MariaDB-0+deb13u1", "17.6 (Debian 17.6-0+deb13u1)". */
  readonly version: string;
  query(sql: string): Promise<unknown[][]>;
  replicaState(): Promise<ReplicaState>;
  processlist(): Promise<ProcesslistRow[]>;
  /** Closes the connection at once; safe to call twice and mid-query. */
  destroy(): void;
}

export interface SqlEngine<S extends SqlSpec> {
  /** "MySQL", "PostgreSQL": for messages until the server has told its own name. */
  readonly name: string;
  /** Connects and reads the version; `statementTimeoutMs` is handed to the server as its own limit. */
  connect(spec: S, statementTimeoutMs: number, onSession: (s: SqlSession) => void): Promise<SqlSession>;
  /** The product name from a version string: MariaDB reports itself as such. */
  productName(version: string): string;
}

export interface SqlRunOptions {
  /** Take a processlist snapshot in this run (mysql with `processlist` only). */
  snapshotProcesslist?: boolean;
}

export async function runSqlCheck<S extends SqlSpec>(engine: SqlEngine<S>, spec: S, cx: CheckRunContext, options: SqlRunOptions = {}): Promise<CheckResult> {
  const clock = cx.now ?? Date.now;
  const startedAt = clock();
  const t0 = performance.now();
  const deadline = new RunDeadline(cx);
  const where = hostPort(spec.host, spec.port);
  let session: SqlSession | undefined;
  const metrics: CheckMetric[] = [];
  let product = engine.name;
  try {
    deadline.phase = 'connecting';
    // The server's own statement limit is a backstop: a query stays bounded even when the
    // socket close does not reach a busy backend at once.
    session = await deadline.race(engine.connect(spec, cx.timeoutMs + 500, (s) => (session = s)));
    const connectMs = performance.now() - t0;
    metrics.push(msMetric('connect_ms', connectMs));
    product = engine.productName(session.version);
    const parts: string[] = [`connected in ${formatDurationMs(connectMs) || '0ms'}`];
    const problems: string[] = [];
    let status: CheckStatus = 'ok';
    const evidence: CheckEvidence = {};

    if (spec.query !== undefined) {
      deadline.phase = 'running the query';
      const q0 = performance.now();
      const rows = await deadline.race(session.query(spec.query));
      metrics.push(msMetric('query_ms', performance.now() - q0));
      const v = assessQuery({ rows }, spec.expect, spec.warning, spec.critical);
      metrics.push(...v.metrics);
      status = worstStatus(status, v.status);
      problems.push(...v.problems);
      parts.push(`query: ${v.summary}`);
      if (v.status !== 'ok') evidence.responseExcerpt = JSON.stringify(rows.slice(0, 5), (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x)).slice(0, 512);
    }

    if (spec.replicationLag) {
      deadline.phase = 'reading the replication status';
      const r = await deadline.race(session.replicaState());
      const lag = judgeReplication(r, spec.replicationLag);
      if (lag.metric) metrics.push(lag.metric);
      status = worstStatus(status, lag.status);
      if (lag.status === 'ok') parts.push(lag.text);
      else problems.push(lag.text);
    }

    if (options.snapshotProcesslist && 'processlist' in spec && spec.processlist) {
      deadline.phase = 'reading the processlist';
      const takenAt = clock();
      const rows = await deadline.race(session.processlist());
      evidence.processlist = { takenAt, rows } satisfies ProcesslistSnapshot;
      metrics.push({ name: 'processlist_rows', value: rows.length, min: 0 });
      parts.push(`processlist: ${rows.length} other connection${rows.length === 1 ? '' : 's'}`);
    }

    const totalMs = performance.now() - t0;
    metrics.push(msMetric('total_ms', totalMs));
    const head = `${product} ${session.version} on ${where}`;
    const message = problems.length ? `${head}: ${problems.join('; ')}` : `${head}: ${parts.join('; ')}`;
    return { status, message, startedAt, durationMs: totalMs, metrics, ...(Object.keys(evidence).length ? { evidence } : {}) };
  } catch (err) {
    const totalMs = performance.now() - t0;
    metrics.push(msMetric('total_ms', totalMs));
    const reason = err instanceof DeadlineExceeded ? err.message : `${driverReason(err)}${deadline.phase === 'connecting' ? '' : ` while ${deadline.phase}`}`;
    const status: CheckStatus = err instanceof DeadlineExceeded && !err.timedOut ? 'unknown' : 'critical';
    return { status, message: `${product} on ${where}: ${reason}`, startedAt, durationMs: totalMs, metrics, evidence: { target: where } };
  } finally {
    deadline.dispose();
    session?.destroy();
  }
}

/** Replication lag against the spec's limits; a server that is not a replica is CRITICAL. */
export function judgeReplication(r: ReplicaState, limits: { warning?: string | undefined; critical?: string | undefined }): { status: CheckStatus; text: string; metric?: CheckMetric } {
  if (!r.replica) return { status: 'critical', text: 'not a replica (replicationLag is set but the server does not replicate from a primary)' };
  if (r.problem) return { status: 'critical', text: `replication is broken: ${r.problem}` };
  if (r.lagSeconds === undefined) return { status: 'unknown', text: 'replica does not report its lag' };
  const warnS = limits.warning === undefined ? undefined : (parseDurationMs(limits.warning) ?? 0) / 1000;
  const critS = limits.critical === undefined ? undefined : (parseDurationMs(limits.critical) ?? 0) / 1000;
  const v = judgeThresholds(r.lagSeconds, warnS === undefined ? undefined : { above: warnS }, critS === undefined ? undefined : { above: critS });
  const metric: CheckMetric = { name: 'replication_lag_seconds', value: r.lagSeconds, unit: 's', min: 0, ...(warnS !== undefined ? { warn: String(warnS) } : {}), ...(critS !== undefined ? { crit: String(critS) } : {}) };
  const lagText = formatDurationMs(r.lagSeconds * 1000) || '0s';
  return v.status === 'ok'
    ? { status: 'ok', text: `replica ${lagText} behind`, metric }
    : { status: v.status, text: `replica is ${lagText} behind its primary (limit ${v.status === 'critical' ? limits.critical : limits.warning})`, metric };
}

export interface ProcesslistSnapshot {
  /** Epoch ms when SHOW FULL PROCESSLIST ran. */
  takenAt: number;
  rows: ProcesslistRow[];
}

function msMetric(name: string, ms: number): CheckMetric {
  return { name, value: Math.round(ms * 1000) / 1000, unit: 'ms', min: 0 };
}
