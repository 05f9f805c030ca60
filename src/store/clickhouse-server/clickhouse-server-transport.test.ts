import { describe, expect, it } from 'vitest';
import { ConfigError, UnavailableError } from '../../lib/errors.js';
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
