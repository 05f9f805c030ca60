import { createServer as createHttpServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createTcpServer, type Server as TcpServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { builtinRunners } from '../checks/builtin-runners.js';
import type { ProbeResult } from '../checks/locations/protocol.js';
import { silentLogger } from '../lib/logger.js';
import { HeartbeatBook } from '../sources/checks/heartbeat/index.js';
import { ProbeAgent } from './probe-agent.js';
import { ResultBuffer } from './result-buffer.js';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

async function listen<S extends Server | TcpServer>(s: S): Promise<number> {
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  closers.push(() => new Promise((r) => s.close(() => r())));
  return (s.address() as { port: number }).port;
}

const body = (req: IncomingMessage) => new Promise<string>((resolve) => {
  let b = '';
  req.on('data', (d: Buffer) => (b += d.toString()));
  req.on('end', () => resolve(b));
});

async function until(cond: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** A stand-in for the server's probe API that can be "down" (503) and records what it took. */
async function fakeServer(checks: unknown[]) {
  const state = { down: false, received: new Map<string, ProbeResult>(), auth: new Set<string>(), polls: 0, notModified: 0 };
  const srv = createHttpServer(async (req, res) => {
    state.auth.add(String(req.headers.authorization));
    if (req.method === 'GET' && req.url === '/api/v1/probes/tokyo/assignments') {
      state.polls++;
      if (req.headers['if-none-match'] === '"v1"') {
        state.notModified++;
        return res.writeHead(304).end();
      }
      return res.writeHead(200, { 'content-type': 'application/json', etag: '"v1"' }).end(JSON.stringify({ location: 'tokyo', serverLocation: 'local', checks }));
    }
    if (req.method === 'POST' && req.url === '/api/v1/probes/tokyo/results') {
      const b = JSON.parse(await body(req)) as { results: ProbeResult[] };
      if (state.down) return res.writeHead(503, { 'content-type': 'application/json' }).end('{"error":"down for a test"}');
      let accepted = 0;
      let duplicates = 0;
      for (const r of b.results) {
        if (state.received.has(r.runId)) duplicates++;
        else accepted++;
        state.received.set(r.runId, r);
      }
      return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ accepted, duplicates, rejected: [] }));
    }
    res.writeHead(404).end();
  });
  const port = await listen(srv);
  return { url: `http://127.0.0.1:${port}`, state };
}

describe('probe agent', () => {
  it('runs its assigned checks with the real probes, and loses no result while the server is down', async () => {
    const target = createTcpServer((sock) => sock.end());
    const targetPort = await listen(target);
    const spec = { type: 'tcp', host: '127.0.0.1', port: targetPort, interval: '200ms', timeout: '150ms', attempts: 1, severity: 'critical', disabled: false, locations: ['tokyo'] };
    const server = await fakeServer([{ name: 'db', labels: {}, spec }, { name: 'future', labels: {}, spec: { ...spec, type: 'quantum' } }]);
    const agent = new ProbeAgent({ location: 'tokyo', server: server.url, token: 'probe-token', runners: builtinRunners(new HeartbeatBook()), logger: silentLogger(), pollMs: 100, backoffMs: 50, maxBackoffMs: 200 });
    closers.push(() => agent.stop(1000));
    agent.start();
    await until(() => server.state.received.size >= 2, 'the first results');
    // A check type this agent does not know is skipped; the rest runs.
    expect(agent.checks).toEqual(['db']);
    expect([...server.state.auth]).toEqual(['Bearer probe-token']);
    await until(() => server.state.notModified >= 1, 'a 304 poll');

    server.state.down = true;
    const beforeOutage = server.state.received.size;
    await until(() => agent.buffered >= 3, 'results buffered during the outage');
    expect(server.state.received.size).toBe(beforeOutage);
    server.state.down = false;
    await until(() => agent.buffered === 0, 'the buffer to drain');
    await agent.stop(2000);

    // Every run made it, once, with what the probe saw.
    expect(server.state.received.size).toBe(agent.produced);
    const results = [...server.state.received.values()];
    expect(results.every((r) => r.check === 'db' && r.result.status === 'ok')).toBe(true);
    expect(results[0]!.result.message).toContain(`127.0.0.1:${targetPort}`);
    expect(agent.dropped).toBe(0);
  });

  it('keeps at most max results, dropping the oldest', () => {
    const b = new ResultBuffer(3);
    const r = (i: number): ProbeResult => ({ check: 'c', runId: `run-000${i}`, result: { status: 'ok', message: '', startedAt: i, durationMs: 0, metrics: [] } });
    for (let i = 0; i < 5; i++) b.add(r(i));
    expect(b.size).toBe(3);
    expect(b.dropped).toBe(2);
    const batch = b.peek(2);
    expect(batch.map((x) => x.runId)).toEqual(['run-0002', 'run-0003']);
    b.add(r(5));
    b.remove(batch);
    expect(b.peek(10).map((x) => x.runId)).toEqual(['run-0004', 'run-0005']);
  });
});
