import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../lib/logger.js';
import { decodeRemoteWrite } from '../sources/metrics/remote-write/index.js';
import type { HostCollection } from '../sources/host/index.js';
import { MetricsAgent } from './metrics-agent.js';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

async function until(cond: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

interface Received {
  t: number;
  series: Record<string, string>[];
  headers: Record<string, string | string[] | undefined>;
}

/** A stand-in for POST /api/v1/write that decodes what it gets; `status` decides its answer. */
async function fakeWriteEndpoint() {
  const state = { status: 204, received: [] as Received[], requests: 0 };
  const srv: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (d: Buffer) => chunks.push(d));
    req.on('end', () => {
      state.requests++;
      if (req.url !== '/api/v1/write' || req.method !== 'POST') return res.writeHead(404).end();
      if (state.status !== 204) return res.writeHead(state.status, { 'content-type': 'application/json' }).end(JSON.stringify({ error: `status ${state.status} for a test` }));
      const d = decodeRemoteWrite(new Uint8Array(Buffer.concat(chunks)), { 'content-type': req.headers['content-type'], 'content-encoding': req.headers['content-encoding'] as string });
      state.received.push({
        t: d.timeseries[0]!.samples[0]!.t,
        series: d.timeseries.map((ts) => Object.fromEntries(ts.labels)),
        headers: req.headers,
      });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  closers.push(() => new Promise((r) => srv.close(() => r())));
  return { url: `http://127.0.0.1:${(srv.address() as { port: number }).port}`, state };
}

/** Collections with a known timestamp each, so the test can tell them apart and check their order. */
function fakeCollector() {
  let n = 0;
  return {
    async collect(): Promise<HostCollection> {
      n++;
      return { timestampMs: 1_700_000_000_000 + n * 1000, cpuMs: 1, families: [{ name: 'node_load1', type: 'gauge', help: 'load', samples: [{ labels: {}, value: n }] }] };
    },
  };
}

function agent(url: string, extra: Partial<ConstructorParameters<typeof MetricsAgent>[0]> = {}) {
  const a = new MetricsAgent({ server: url, token: 'tok', logger: silentLogger(), intervalMs: 3_600_000, instance: 'web1', backoffMs: 20, maxBackoffMs: 50, collector: fakeCollector(), ...extra });
  closers.push(() => a.stop(100));
  return a;
}

describe('MetricsAgent', () => {
  it('pushes each collection as remote-write 1.0 with job="node", instance and the bearer token', async () => {
    const s = await fakeWriteEndpoint();
    const a = agent(s.url);
    a.start();
    await until(() => a.delivered === 1, 'the first push');
    const r = s.state.received[0]!;
    expect(r.headers.authorization).toBe('Bearer tok');
    expect(r.headers['content-encoding']).toBe('snappy');
    expect(r.headers['x-prometheus-remote-write-version']).toBe('0.1.0');
    expect(r.series).toContainEqual({ __name__: 'node_load1', job: 'node', instance: 'web1' });
    expect(r.series).toContainEqual({ __name__: 'kansoku_agent_metrics_dropped_collections_total', job: 'node', instance: 'web1' });
    expect(a.delivered).toBe(1);
  });

  it('keeps collections while the server is down and delivers them oldest first when it is back', async () => {
    const s = await fakeWriteEndpoint();
    s.state.status = 503;
    const a = agent(s.url);
    a.start();
    await until(() => s.state.requests >= 2, 'retries against the down server');
    await a.collectOnce();
    await a.collectOnce();
    expect(a.buffered).toBe(3);
    s.state.status = 204;
    await until(() => s.state.received.length === 3, 'the backlog');
    expect(s.state.received.map((r) => r.t)).toEqual([1_700_000_001_000, 1_700_000_002_000, 1_700_000_003_000]);
    expect(a.buffered).toBe(0);
    expect(a.dropped).toBe(0);
  });

  it('drops the oldest collections beyond its bound and counts them', async () => {
    const s = await fakeWriteEndpoint();
    s.state.status = 401;
    const a = agent(s.url, { maxBuffered: 2 });
    a.start();
    for (let i = 0; i < 4; i++) await a.collectOnce();
    expect(a.buffered).toBe(2);
    expect(a.dropped).toBe(3);
    expect(a.droppedSamples).toBe(3 * 3);
    s.state.status = 204;
    await until(() => s.state.received.some((r) => r.t === 1_700_000_005_000), 'what was kept');
    // The first collection may have been on the wire when the others dropped it from the buffer; 2 and 3 never leave.
    expect(s.state.received.map((r) => r.t).filter((t) => t !== 1_700_000_001_000)).toEqual([1_700_000_004_000, 1_700_000_005_000]);
  });

  it('drops a collection the server refuses for good (400) and goes on with the next', async () => {
    const s = await fakeWriteEndpoint();
    s.state.status = 400;
    const a = agent(s.url);
    a.start();
    await until(() => a.refused === 1, 'the refusal');
    expect(a.buffered).toBe(0);
    s.state.status = 204;
    await a.collectOnce();
    await until(() => s.state.received.length === 1, 'the next collection');
    expect(s.state.received[0]!.t).toBe(1_700_000_002_000);
  });

  it('on stop, delivers what is still buffered', async () => {
    const s = await fakeWriteEndpoint();
    s.state.status = 503;
    const a = new MetricsAgent({ server: s.url, token: 'tok', logger: silentLogger(), intervalMs: 3_600_000, instance: 'web1', backoffMs: 10_000, collector: fakeCollector() });
    a.start();
    await until(() => s.state.requests >= 1, 'the first attempt');
    await a.collectOnce();
    s.state.status = 204;
    await a.stop(5000);
    expect(s.state.received.map((r) => r.t)).toEqual([1_700_000_001_000, 1_700_000_002_000]);
  });
});
