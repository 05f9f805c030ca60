import { describe, expect, it } from 'vitest';
import {
  assessQuery,
  judgeReplication,
  judgeThresholds,
  mysqlCheckSpecSchema,
  parseRedisInfo,
  postgresCheckSpecSchema,
  processlistDueByClock,
  redisCheckSpecSchema,
  redisInfoMetrics,
  redisRole,
  toProcesslistRow,
} from './index.js';

function issuePaths(r: { success: boolean; error?: { issues: { path: PropertyKey[] }[] } }): string[] {
  return r.error!.issues.map((i) => i.path.join('.'));
}

describe('sql check specs', () => {
  it('fill defaults: ports, processlist every 5m / retention 7d, tls: true', () => {
    const m = mysqlCheckSpecSchema.parse({ type: 'mysql', host: 'db', user: 'u', processlist: {}, tls: true });
    expect(m).toMatchObject({ port: 3306, processlist: { every: '5m', retention: '7d' }, tls: { verify: true } });
    expect(postgresCheckSpecSchema.parse({ type: 'postgres', host: 'db', user: 'u' }).port).toBe(5432);
  });
  it.each([
    [{ host: 'db', user: 'u', expect: { rows: 1 } }, 'expect'],
    [{ host: 'db', user: 'u', critical: { above: 1 } }, 'critical'],
    [{ host: 'db', user: 'u', query: 'x', critical: {} }, 'critical'],
    [{ host: 'db', user: 'u', query: 'x', expect: { rows: 1, minRows: 1 } }, 'expect.minRows'],
    [{ host: 'db', user: 'u', replicationLag: { warning: '5m', critical: '1m' } }, 'replicationLag.critical'],
    [{ host: 'db', user: 'u', processlist: { every: 'often' } }, 'processlist.every'],
    [{ host: 'db', user: 'u', passwd: 'x' }, ''],
  ])('rejects %j at %s', (input, path) => {
    const r = mysqlCheckSpecSchema.safeParse({ type: 'mysql', ...input });
    expect(r.success).toBe(false);
    expect(issuePaths(r)).toContain(path);
  });
  it('postgres has no processlist option', () => {
    expect(postgresCheckSpecSchema.safeParse({ type: 'postgres', host: 'h', user: 'u', processlist: {} }).success).toBe(false);
  });
});

describe('assessQuery', () => {
  it('row counts, equals as text, contains anywhere', () => {
    expect(assessQuery({ rows: [[1]] }, { rows: 1, equals: '1' }, undefined, undefined)).toMatchObject({ status: 'ok', problems: [], summary: '1 row, first value 1' });
    expect(assessQuery({ rows: [] }, { minRows: 1, equals: 'x' }, undefined, undefined).problems).toEqual(['query returned 0 rows, expected at least 1', 'query returned no value, expected "x"']);
    expect(assessQuery({ rows: [['a', null], ['b', 'needle here']] }, { contains: 'needle' }, undefined, undefined).status).toBe('ok');
    expect(assessQuery({ rows: [['a']] }, { contains: 'needle' }, undefined, undefined).problems).toEqual(['no value in the result contains "needle"']);
    expect(assessQuery({ rows: [[null]] }, { equals: 'NULL' }, undefined, undefined).status).toBe('ok');
  });
  it('thresholds on the first value; numeric strings (bigint counts) count as numbers', () => {
    const v = assessQuery({ rows: [['1200']] }, undefined, { above: 100 }, { above: 1000 });
    expect(v).toMatchObject({ status: 'critical', problems: ['query value 1200 is above 1000 (critical)'] });
    expect(v.metrics).toContainEqual({ name: 'value', value: 1200, warn: '100', crit: '1000' });
    expect(assessQuery({ rows: [[3]] }, undefined, { below: 5 }, undefined).status).toBe('warning');
    expect(assessQuery({ rows: [] }, undefined, { above: 5 }, undefined)).toMatchObject({ status: 'unknown' });
  });
});

describe('thresholds and replication', () => {
  it('critical wins over warning, bounds are exclusive', () => {
    expect(judgeThresholds(100, { above: 100 }, undefined).status).toBe('ok');
    expect(judgeThresholds(101, { above: 100 }, { above: 100 }).status).toBe('critical');
    expect(judgeThresholds(1.5, { below: 2 }, undefined)).toEqual({ status: 'warning', reason: '1.5 is below 2 (warning)' });
  });
  it('judges replica lag, broken replication and a primary', () => {
    expect(judgeReplication({ replica: false }, { critical: '1m' }).status).toBe('critical');
    expect(judgeReplication({ replica: true, lagSeconds: 90 }, { warning: '30s', critical: '1m' })).toMatchObject({ status: 'critical', text: 'replica is 1m30s behind its primary (limit 1m)' });
    expect(judgeReplication({ replica: true, lagSeconds: 45 }, { warning: '30s', critical: '1m' }).status).toBe('warning');
    expect(judgeReplication({ replica: true, lagSeconds: 0 }, { warning: '30s' })).toMatchObject({ status: 'ok', text: 'replica 0s behind' });
    expect(judgeReplication({ replica: true, lagSeconds: undefined, problem: 'IO thread No' }, {}).text).toBe('replication is broken: IO thread No');
  });
});

describe('processlist helpers', () => {
  it('turns a row into text fields, NULL as empty', () => {
    expect(toProcesslistRow({ Id: 7, User: 'app', Host: 'h:1', db: null, Command: 'Sleep', Time: 3, State: '', Info: null, Progress: 0 })).toEqual({
      Id: '7', User: 'app', Host: 'h:1', db: '', Command: 'Sleep', Time: '3', State: '', Info: '',
    });
  });
  it('the clock rule snapshots once per `every` at a regular interval', () => {
    const start = Date.UTC(2026, 0, 1);
    const due = Array.from({ length: 15 }, (_, i) => processlistDueByClock(start + 17_000 + i * 60_000, '60s', '5m'));
    expect(due.filter(Boolean)).toHaveLength(3);
    expect(processlistDueByClock(start, '60s', '30s')).toBe(true);
  });
});

describe('redis', () => {
  it('spec: command-dependent fields need a command', () => {
    expect(redisCheckSpecSchema.parse({ type: 'redis', host: 'r' })).toMatchObject({ port: 6379, db: 0 });
    const r = redisCheckSpecSchema.safeParse({ type: 'redis', host: 'r', warning: { above: 1 } });
    expect(issuePaths(r)).toContain('warning');
  });
  it('INFO: metrics and role', () => {
    const info = parseRedisInfo('# Clients\r\nconnected_clients:5\r\nblocked_clients:0\r\n# Memory\r\nused_memory:1024\r\n# Replication\r\nrole:slave\r\nmaster_link_status:up\r\n');
    expect(redisRole(info)).toBe('replica');
    expect(redisInfoMetrics(info)).toEqual([
      { name: 'connected_clients', value: 5, min: 0 },
      { name: 'blocked_clients', value: 0, min: 0 },
      { name: 'used_memory_bytes', value: 1024, min: 0, unit: 'bytes' },
    ]);
  });
});
