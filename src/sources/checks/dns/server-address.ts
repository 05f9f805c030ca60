/**
 * DNS server addresses as written in specs: "127.0.0.1", "127.0.0.1:5353", "::1", "[::1]:5353".
 * Only IP addresses: resolving a server's name would need some other resolver, and the point of
 * this check is never to depend on one.
 */
import { isIP } from 'node:net';

export interface ServerAddress {
  host: string;
  port: number;
  family: 4 | 6;
}

export function parseServerAddress(text: string, defaultPort = 53): ServerAddress | undefined {
  let host = text.trim();
  let port = defaultPort;
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(host);
  if (bracket) {
    host = bracket[1]!;
    if (bracket[2] !== undefined) port = Number(bracket[2]);
  } else if (isIP(host) === 0) {
    const m = /^([^:]+):(\d+)$/.exec(host);
    if (!m) return undefined;
    host = m[1]!;
    port = Number(m[2]);
  }
  const family = isIP(host);
  if (family === 0 || !Number.isInteger(port) || port < 1 || port > 65535) return undefined;
  return { host, port, family: family as 4 | 6 };
}

export function formatServerAddress(a: Pick<ServerAddress, 'host' | 'port'>): string {
  return a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}
