import { ClickHouseLogLevel, createClient } from '@clickhouse/client';
import http from 'node:http';
import { describe, expect, it } from 'vitest';
import { ConfigError, StoreError, UnavailableError } from '../../lib/errors.js';
import { SAMPLE_NATIVE_COLUMNS } from '../clickhouse/schema.js';
import { ClickHouseServerTransport, parseClickHouseUrl } from './clickhouse-server-transport.js';
import { tcpReachable } from '../../../test/support/peer.js';
import net from 'node:net';

describe('parseClickHouseUrl', () => {
  it('takes the database from the path and defaults to "default"', () => {
    expect(parseClickHouseUrl('http://u:p@127.0.0.1:8123/kansoku').database).toBe('kansoku');
    expect(parseClickHouseUrl('http://127.0.0.1:8123').database).toBe('default');
  });

  it('never shows the password', () => {
    const { display } = parseClickHouseUrl('https://kansoku:s3cret@ch.example:8443/tel');
    expect(display).toBe('https://ch.example:8443/tel');
  });

  it('refuses other protocols and database names that would need quoting', () => {
    expect(() => parseClickHouseUrl('tcp://127.0.0.1:9000/x')).toThrow(ConfigError);
    expect(() => parseClickHouseUrl('http://127.0.0.1:8123/a-b')).toThrow(/letters, digits/);
    expect(() => parseClickHouseUrl('not a url')).toThrow(ConfigError);
  });
});

describe('ClickHouseServerTransport.open', () => {
  it('reports an unreachable server as UnavailableError naming the host, not the password', async () => {
    // A port that was free a moment ago: nothing listens there, so the connection is refused.
    const port = await new Promise<number>((resolve) => {
      const srv = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (srv.address() as net.AddressInfo).port;
        srv.close(() => resolve(p));
      });
    });
    expect(await tcpReachable('127.0.0.1', port)).not.toBe(true);
    const err = await ClickHouseServerTransport.open({ url: `http://u:hunter2@127.0.0.1:${port}/kansoku`, requestTimeoutMs: 2000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnavailableError);
    expect((err as Error).message).toContain(`127.0.0.1:${port}`);
    expect((err as Error).message).not.toContain('hunter2');
  });
});

describe('ClickHouseServerTransport.insertNative', () => {
  interface Seen {
    method: string;
    query: string | null;
    body: Buffer;
  }

  /** A loopback HTTP server in ClickHouse's place: records each request, answers with `status` and `body`. */
  async function fakeServer(status = 200, answer = ''): Promise<{ url: string; seen: Seen[]; close(): Promise<void> }> {
    const seen: Seen[] = [];
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        seen.push({ method: req.method!, query: new URL(req.url!, 'http://x').searchParams.get('query'), body: Buffer.concat(chunks) });
        res.writeHead(status, { 'Content-Type': 'text/plain' });
        res.end(answer);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    return { url: `http://127.0.0.1:${port}`, seen, close: () => new Promise((r) => server.close(() => r())) };
  }

  it('POSTs the block as the request body, with INSERT … FORMAT Native as the query parameter', async () => {
    const server = await fakeServer();
    const t = ClickHouseServerTransport.fromClient(createClient({ url: server.url, log: { level: ClickHouseLogLevel.OFF } }), server.url);
    try {
      // Every byte value, so any text decoding on the way would show.
      const block = Uint8Array.from({ length: 512 }, (_, i) => i % 256);
      await t.insertNative('samples', SAMPLE_NATIVE_COLUMNS, block.subarray(1, 257));
      expect(server.seen).toHaveLength(1);
      expect(server.seen[0]!.method).toBe('POST');
      expect(server.seen[0]!.query).toBe('INSERT INTO samples (series_id, t, v) FORMAT Native');
      expect([...server.seen[0]!.body]).toEqual([...block.subarray(1, 257)]);
      await t.insertNative('samples', SAMPLE_NATIVE_COLUMNS, new Uint8Array(0));
      expect(server.seen).toHaveLength(1);
    } finally {
      await t.close();
      await server.close();
    }
  });

  it('reports a ClickHouse error as a StoreError with the statement', async () => {
    const server = await fakeServer(500, 'Code: 60. DB::Exception: Unknown table expression identifier \'samples\'. (UNKNOWN_TABLE) (version 25.8.1.1)');
    const t = ClickHouseServerTransport.fromClient(createClient({ url: server.url, log: { level: ClickHouseLogLevel.OFF } }), server.url);
    try {
      const err = await t.insertNative('samples', SAMPLE_NATIVE_COLUMNS, Uint8Array.of(1, 2, 3)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StoreError);
      expect((err as StoreError).statement).toBe('INSERT INTO samples (series_id, t, v) FORMAT Native');
      expect((err as Error).message).toMatch(/migrations/);
    } finally {
      await t.close();
      await server.close();
    }
  });
});
