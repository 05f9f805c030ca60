import { describe, expect, it } from 'vitest';
import { HeartbeatBook } from './beats.js';
import { heartbeatCheckSpecSchema } from './config.js';
import { evaluateHeartbeat } from './evaluate.js';

const T0 = Date.UTC(2026, 0, 1);
const spec = heartbeatCheckSpecSchema.parse({ type: 'heartbeat', period: '1h', grace: '10m', maxRunTime: '30m' });

describe('heartbeat evaluation', () => {
  it('waits for the first beat until period + grace after the check appeared, then fails', () => {
    const book = new HeartbeatBook();
    const r = book.ensure('job', T0);
    expect(evaluateHeartbeat(spec, r, T0 + 70 * 60_000 - 1).status).toBe('ok');
    const late = evaluateHeartbeat(spec, r, T0 + 71 * 60_000);
    expect(late.status).toBe('critical');
    expect(late.message).toContain('no beat received since the check started at 2026-01-01T00:00:00.000Z');
    expect(late.message).toContain('late by 1m');
  });

  it('measures lateness from the last success, reports failures and hung runs', () => {
    const book = new HeartbeatBook();
    book.ensure('job', T0);
    book.record('job', 'start', T0 + 1000);
    book.record('job', 'success', T0 + 61_000, 'rows: 42');
    const ok = evaluateHeartbeat(spec, book.get('job')!, T0 + 30 * 60_000);
    expect(ok).toMatchObject({ status: 'ok' });
    expect(ok.message).toContain('rows: 42');
    expect(ok.metrics).toContainEqual({ name: 'heartbeat_job_duration_seconds', value: 60, unit: 's' });
    expect(evaluateHeartbeat(spec, book.get('job')!, T0 + 61_000 + 71 * 60_000).status).toBe('critical');

    book.record('job', 'start', T0 + 2 * 3600_000);
    expect(evaluateHeartbeat(spec, book.get('job')!, T0 + 2 * 3600_000 + 31 * 60_000).message).toMatch(/has not reported success within maxRunTime 30m/);
    book.record('job', 'fail', T0 + 2 * 3600_000 + 40 * 60_000, 'exit 1');
    expect(evaluateHeartbeat(spec, book.get('job')!, T0 + 2 * 3600_000 + 41 * 60_000).message).toMatch(/job reported failure at .*: exit 1/);
  });

  it('restores a record from stored evidence and ignores junk', () => {
    const book = new HeartbeatBook();
    book.restore('a', { firstSeen: 5, lastSuccess: 10, lastKind: 'success', lastMessage: 'hi' });
    book.restore('b', { lastSuccess: 'yesterday' });
    expect(book.get('a')).toEqual({ firstSeen: 5, lastSuccess: 10, lastKind: 'success', lastMessage: 'hi' });
    expect(book.get('b')).toBeUndefined();
  });
});
