/**
 * The redis probe: connect (optionally TLS, AUTH, SELECT), PING, INFO, optionally one command
 * judged by expect and thresholds ("a stuck job queue is a fault"), optionally the role.
 * ioredis is told never to retry or queue: a probe wants the first failure, not a reconnect.
 */
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { worstStatus, type CheckMetric, type CheckResult, type CheckStatus } from '../../../core/check-result.js';
import { formatDurationMs } from '../../../core/duration.js';
import type { CheckRunContext } from '../check-type.js';
import { hostPort } from '../tcp/index.js';
import type { RedisCheckSpec } from './redis-config.js';
import { parseRedisInfo, redisInfoMetrics, redisRole } from './redis-info.js';
import { DeadlineExceeded, RunDeadline, driverReason } from './run-deadline.js';
import { cellText } from './sql-assess.js';
import { asNumber, formatNumber, judgeThresholds, withLimits } from './thresholds.js';
import { dbTlsOptions } from './tls-files.js';

function clip(text: string, max = 60): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/** A reply as text for messages: arrays become "[a, b]". */
function replyText(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(replyText).join(', ')}]`;
  return cellText(v);
}

export async function runRedisCheck(spec: RedisCheckSpec, cx: CheckRunContext): Promise<CheckResult> {
  const clock = cx.now ?? Date.now;
  const startedAt = clock();
  const t0 = performance.now();
  const deadline = new RunDeadline(cx);
  const where = hostPort(spec.host, spec.port);
  const metrics: CheckMetric[] = [];
  let client: Redis | undefined;
  // ioredis rejects connect() with a bare "Connection is closed." and reports the cause
  // (refused, WRONGPASS, TLS) only as an 'error' event; keep the first one for the message.
  let firstError: unknown;
  try {
    const tls = await dbTlsOptions(spec.tls);
    client = new Redis({
      host: spec.host,
      port: spec.port,
      ...(spec.username !== undefined ? { username: spec.username } : {}),
      ...(spec.password !== undefined ? { password: spec.password } : {}),
      db: spec.db,
      ...(tls ? { tls } : {}),
      lazyConnect: true,
      connectTimeout: cx.timeoutMs + 1000,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      enableOfflineQueue: false,
      enableReadyCheck: false,
      connectionName: 'kansoku-check',
    });
    client.on('error', (err: unknown) => (firstError ??= err));
    deadline.phase = 'connecting';
    await deadline.race(client.connect()).catch((err: unknown) => {
      throw err instanceof DeadlineExceeded || firstError === undefined ? err : firstError;
    });
    const connectMs = performance.now() - t0;
    metrics.push({ name: 'connect_ms', value: round(connectMs), unit: 'ms', min: 0 });

    deadline.phase = 'sending PING';
    const pong = await deadline.race(client.ping());
    if (pong !== 'PONG') throw new Error(`PING answered ${JSON.stringify(pong)}, not PONG`);

    deadline.phase = 'reading INFO';
    const info = parseRedisInfo(await deadline.race(client.info()));
    metrics.push(...redisInfoMetrics(info));
    const version = info.get('redis_version') ?? info.get('valkey_version') ?? '';
    const role = redisRole(info);
    const problems: string[] = [];
    const parts: string[] = [`PONG in ${formatDurationMs(performance.now() - t0) || '0ms'}`, `role ${role ?? 'unknown'}`];
    let status: CheckStatus = 'ok';
    const fail = (s: CheckStatus, text: string) => {
      status = worstStatus(status, s);
      problems.push(text);
    };

    if (spec.role !== undefined) {
      if (role !== spec.role) fail('critical', `role is ${role ?? 'unknown'}, expected ${spec.role}`);
      else if (role === 'replica' && info.get('master_link_status') !== 'up') {
        fail('critical', `replica's link to its master ${info.get('master_host') ?? '?'}:${info.get('master_port') ?? '?'} is ${info.get('master_link_status') ?? 'unknown'}`);
      }
    }

    let excerpt: string | undefined;
    if (spec.command) {
      const [name, ...args] = spec.command as [string, ...string[]];
      const shown = spec.command.join(' ');
      deadline.phase = `running ${name}`;
      let reply: unknown;
      try {
        reply = await deadline.race(client.call(name, ...args));
      } catch (err) {
        if (err instanceof DeadlineExceeded) throw err;
        // An error reply (WRONGTYPE, unknown command) is the server's verdict on the check, not a lost connection.
        throw new Error(`${shown} failed: ${driverReason(err)}`);
      }
      const text = replyText(reply);
      excerpt = text.slice(0, 512);
      const value = asNumber(reply);
      const metricName = spec.name ?? 'value';
      if (spec.expect?.equals !== undefined && text !== String(spec.expect.equals)) fail('critical', `${shown} replied "${clip(text)}", expected "${clip(String(spec.expect.equals))}"`);
      if (spec.expect?.contains !== undefined && !text.includes(spec.expect.contains)) fail('critical', `${shown} replied "${clip(text)}", which does not contain "${clip(spec.expect.contains)}"`);
      if (spec.warning || spec.critical) {
        if (value === undefined) fail('unknown', `${shown} replied "${clip(text)}", not a number to compare with the thresholds`);
        else {
          metrics.push(withLimits({ name: metricName, value }, spec.warning, spec.critical));
          const v = judgeThresholds(value, spec.warning, spec.critical);
          if (v.status !== 'ok') fail(v.status, `${shown} = ${v.reason}`);
        }
      } else if (value !== undefined) metrics.push({ name: metricName, value });
      parts.push(`${shown} = ${value !== undefined ? formatNumber(value) : `"${clip(text)}"`}`);
    }

    const totalMs = performance.now() - t0;
    metrics.push({ name: 'total_ms', value: round(totalMs), unit: 'ms', min: 0 });
    const head = `Redis ${version} on ${where}`;
    return {
      status,
      message: problems.length ? `${head}: ${problems.join('; ')}` : `${head}: ${parts.join('; ')}`,
      startedAt,
      durationMs: totalMs,
      metrics,
      ...(status !== 'ok' && excerpt !== undefined ? { evidence: { target: where, responseExcerpt: excerpt } } : {}),
    };
  } catch (err) {
    const totalMs = performance.now() - t0;
    metrics.push({ name: 'total_ms', value: round(totalMs), unit: 'ms', min: 0 });
    const timedOutOrCancelled = err instanceof DeadlineExceeded;
    const reason = timedOutOrCancelled ? err.message : `${driverReason(err)}${deadline.phase === 'connecting' ? '' : ` while ${deadline.phase}`}`;
    const status: CheckStatus = timedOutOrCancelled && !err.timedOut ? 'unknown' : 'critical';
    return { status, message: `Redis on ${where}: ${reason}`, startedAt, durationMs: totalMs, metrics, evidence: { target: where } };
  } finally {
    deadline.dispose();
    client?.disconnect();
  }
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
