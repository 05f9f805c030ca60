/** The redis check against the Redis running on this machine (127.0.0.1:6379). */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requirePeer, tcpReachable } from '../../../../test/support/peer.js';
import { redisCheck, redisCheckSpecSchema } from './index.js';

const HOST = '127.0.0.1';
const haveRedis = await requirePeer('Redis on 127.0.0.1:6379', () => tcpReachable(HOST, 6379));
const suffix = `${process.pid}_${Date.now() % 100000}`;
const QUEUE = `kansoku:test:queue:${suffix}`;
const USER = `kansoku_t_${suffix}`;

function run(input: Record<string, unknown>, timeoutMs = 5000) {
  const spec = redisCheckSpecSchema.parse({ type: 'redis', host: HOST, ...input });
  return redisCheck.run(spec, { signal: AbortSignal.timeout(timeoutMs + 5000), timeoutMs });
}

describe.skipIf(!haveRedis)('redis check against Redis', () => {
  const admin = new Redis({ host: HOST, port: 6379, lazyConnect: true });
  beforeAll(async () => {
    await admin.connect();
    await admin.call('ACL', 'SETUSER', USER, 'on', '>right-password', '~*', '+@read', '+ping', '+info');
  });
  afterAll(async () => {
    await admin.del(QUEUE);
    await admin.call('ACL', 'DELUSER', USER);
    admin.disconnect();
  });

  it('OK: PING, INFO metrics and the server version', async () => {
    const version = /redis_version:(\S+)/.exec(await admin.info('server'))![1];
    const r = await run({});
    expect(r.status).toBe('ok');
    expect(r.message).toMatch(new RegExp(`^Redis ${version!.replace(/\./g, '\\.')} on 127\\.0\\.0\\.1:6379: PONG in \\S+; role master$`));
    const names = r.metrics.map((m) => m.name);
    expect(names).toEqual(expect.arrayContaining(['connect_ms', 'connected_clients', 'used_memory_bytes', 'uptime_seconds', 'total_ms']));
    // The probe itself is one of the connected clients.
    expect(r.metrics.find((m) => m.name === 'connected_clients')!.value).toBeGreaterThanOrEqual(2);
  });

  it('a stuck job queue is a fault: LLEN against warning / critical thresholds', async () => {
    const spec = { command: ['LLEN', QUEUE], name: 'mail_queue', warning: { above: 100 }, critical: { above: 1000 } };
    await admin.del(QUEUE);
    const empty = await run(spec);
    expect(empty.status).toBe('ok');
    expect(empty.message).toMatch(new RegExp(`; LLEN ${QUEUE} = 0$`));
    await admin.rpush(QUEUE, ...Array.from({ length: 150 }, (_, i) => `job-${i}`));
    const warn = await run(spec);
    expect(warn).toMatchObject({ status: 'warning', message: expect.stringMatching(new RegExp(`: LLEN ${QUEUE} = 150 is above 100 \\(warning\\)$`)) });
    expect(warn.metrics.find((m) => m.name === 'mail_queue')).toEqual({ name: 'mail_queue', value: 150, warn: '100', crit: '1000' });
    await admin.rpush(QUEUE, ...Array.from({ length: 1000 }, (_, i) => `job-more-${i}`));
    const crit = await run(spec);
    expect(crit).toMatchObject({ status: 'critical', message: expect.stringMatching(/= 1150 is above 1000 \(critical\)$/) });
  });

  it('an error reply and a role expectation that does not hold → CRITICAL', async () => {
    await admin.set(`${QUEUE}:str`, 'x');
    try {
      const wrongType = await run({ command: ['LLEN', `${QUEUE}:str`] });
      expect(wrongType.status).toBe('critical');
      expect(wrongType.message).toMatch(/LLEN kansoku:test:queue:\S+:str failed: WRONGTYPE Operation against a key holding the wrong kind of value/);
    } finally {
      await admin.del(`${QUEUE}:str`);
    }
    const role = await run({ role: 'replica' });
    expect(role).toMatchObject({ status: 'critical', message: expect.stringMatching(/: role is master, expected replica$/) });
    const text = await run({ command: ['ECHO', 'hello'], expect: { equals: 'bye' } });
    expect(text).toMatchObject({ status: 'critical', message: expect.stringMatching(/: ECHO hello replied "hello", expected "bye"$/) });
  });

  it('an ACL user logs in with its password, not with a wrong one', async () => {
    const ok = await run({ username: USER, password: 'right-password' });
    expect(ok.status).toBe('ok');
    const wrong = await run({ username: USER, password: 'wrong-password' });
    expect(wrong.status).toBe('critical');
    expect(wrong.message).toMatch(/^Redis on 127\.0\.0\.1:6379: WRONGPASS invalid username-password pair/);
  });

  it('a closed port → CRITICAL; a command that blocks is stopped by the timeout', async () => {
    const refused = await run({ port: 1 });
    expect(refused).toMatchObject({ status: 'critical', message: expect.stringMatching(/^Redis on 127\.0\.0\.1:1: connect ECONNREFUSED/) });
    const blocked = await run({ command: ['BLPOP', `${QUEUE}:never`, '20'] }, 800);
    expect(blocked).toMatchObject({ status: 'critical', message: 'Redis on 127.0.0.1:6379: timed out after 800ms while running BLPOP' });
    // The probe's connection is gone: no client is left blocked on the key.
    let blockedClients = -1;
    for (let i = 0; i < 30 && blockedClients !== 0; i++) {
      blockedClients = Number(/blocked_clients:(\d+)/.exec(await admin.info('clients'))![1]);
      if (blockedClients) await new Promise((res) => setTimeout(res, 100));
    }
    expect(blockedClients).toBe(0);
  });
});
