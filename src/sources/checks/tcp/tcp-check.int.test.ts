import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasExecutable, requirePeer } from '../../../../test/support/peer.js';
import type { CheckResult } from '../../../core/check-result.js';
import { freePort, makeSelfSignedCertificate, NGINX_BIN, startNginx, type NginxInstance } from '../http/test-support/nginx.js';
import { tcpCheck } from './index.js';

const haveNginx = await requirePeer('nginx', () => hasExecutable(NGINX_BIN));
const haveOpenssl = await requirePeer('openssl', () => hasExecutable('openssl'));

function metric(r: CheckResult, name: string): number | undefined {
  return r.metrics.find((m) => m.name === name)?.value;
}

async function check(spec: Record<string, unknown>, timeoutMs = 5000): Promise<CheckResult> {
  const parsed = tcpCheck.specSchema.parse({ type: 'tcp', host: '127.0.0.1', ...spec });
  return tcpCheck.run(parsed, { signal: AbortSignal.timeout(timeoutMs), timeoutMs });
}

describe.skipIf(!haveNginx || !haveOpenssl)('tcp check against a real nginx', () => {
  let dir: string;
  let nginx: NginxInstance | undefined;
  let httpPort: number;
  let tlsYear: number;
  let tlsSoon: number;
  let caYear: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'kansoku-tcp-'));
    const year = await makeSelfSignedCertificate(dir, 'year', 365);
    const soon = await makeSelfSignedCertificate(dir, 'soon', 3);
    caYear = year.certFile;
    [httpPort, tlsYear, tlsSoon] = [await freePort(), await freePort(), await freePort()];
    const ssl = (port: number, c: { certFile: string; keyFile: string }) =>
      `server { listen 127.0.0.1:${port} ssl; ssl_certificate ${c.certFile}; ssl_certificate_key ${c.keyFile}; location / { return 200 "tls ok\\n"; } }`;
    nginx = await startNginx(
      dir,
      `  server { listen 127.0.0.1:${httpPort}; location / { return 200 "plain ok\\n"; } }
  ${ssl(tlsYear, year)}
  ${ssl(tlsSoon, soon)}`,
      [httpPort, tlsYear, tlsSoon],
    );
  });

  afterAll(async () => {
    await nginx?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('connects to an open port and records the connect time', async () => {
    const r = await check({ port: httpPort });
    expect(r.status).toBe('ok');
    expect(r.message).toMatch(new RegExp(`^connected to 127\\.0\\.0\\.1:${httpPort} in \\d+ ms$`));
    expect(metric(r, 'connect_ms')).toBeGreaterThanOrEqual(0);
    expect(metric(r, 'dns_ms')).toBe(0);
  });

  it('sends a request and matches the answer', async () => {
    const r = await check({ port: httpPort, send: 'GET / HTTP/1.0\r\n\r\n', expect: { bannerMatches: '^HTTP/1\\.1 200 OK', bannerContains: 'plain ok' } });
    expect(r.status).toBe('ok');
    expect(r.message).toContain('banner contains "plain ok" and matches /^HTTP/1\\.1 200 OK/');
    expect(metric(r, 'ttfb_ms')).toBeGreaterThanOrEqual(0);
  });

  it('fails when the peer closes without the expected answer, quoting what it sent', async () => {
    const r = await check({ port: httpPort, send: 'GET / HTTP/1.0\r\n\r\n', expect: { bannerContains: 'HTTP/1.1 500' } });
    expect(r.status).toBe('critical');
    expect(r.message).toMatch(new RegExp(`^connection closed by 127\\.0\\.0\\.1:${httpPort} before the banner did contain "HTTP/1\\.1 500"; got "HTTP/1\\.1 200 OK`));
    expect(r.evidence?.responseExcerpt).toContain('plain ok');
  });

  it('verifies TLS against a given CA and reports certificate expiry', async () => {
    const r = await check({ port: tlsYear, tls: { caFile: caYear }, send: 'GET / HTTP/1.0\r\nHost: localhost\r\n\r\n', expect: { bannerContains: 'tls ok' } });
    expect(r.status).toBe('ok');
    expect(r.message).toMatch(/^TLS connected to 127\.0\.0\.1:\d+ in \d+ ms; banner contains "tls ok"; certificate valid for 36[45] days$/);
    expect(metric(r, 'tls_ms')).toBeGreaterThanOrEqual(0);
    expect(metric(r, 'cert_expiry_days')).toBeGreaterThan(364);
  });

  it('does not trust a self-signed certificate unless tlsVerify is off', async () => {
    const r = await check({ port: tlsYear, tls: true });
    expect(r.status).toBe('critical');
    expect(r.message).toBe(`TLS certificate of 127.0.0.1:${tlsYear} is not trusted: self-signed certificate (DEPTH_ZERO_SELF_SIGNED_CERT)`);
    const off = await check({ port: tlsYear, tls: true, tlsVerify: false });
    expect(off.status).toBe('ok');
  });

  it('is CRITICAL for a certificate expiring within expiryCritical', async () => {
    const r = await check({ port: tlsSoon, tlsVerify: false, tls: { expiryWarning: '30d', expiryCritical: '7d' } });
    expect(r.status).toBe('critical');
    expect(r.message).toMatch(/^certificate CN=kansoku-test-soon expires in 3 days on .* \(critical within 7d\) — TLS connected to/);
    expect(metric(r, 'cert_expiry_days')).toBeLessThanOrEqual(3.001);
  });

  it('fails a TLS handshake against a plain port', async () => {
    const r = await check({ port: httpPort, tls: true, tlsVerify: false });
    expect(r.status).toBe('critical');
    expect(r.message).toMatch(new RegExp(`^TLS handshake with 127\\.0\\.0\\.1:${httpPort} failed: `));
  });
});

describe('tcp check against banner servers and closed ports', () => {
  let banner: net.Server;
  let silent: net.Server;
  const received: string[] = [];
  const sockets = new Set<net.Socket>();

  beforeAll(async () => {
    // An SMTP-like greeter: banner first, answers QUIT, keeps the line open otherwise.
    banner = net.createServer((s) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.write('220 mail.test ESMTP kansoku-banner\r\n');
      s.on('data', (d) => {
        received.push(d.toString());
        if (d.toString().includes('QUIT')) s.end('221 bye\r\n');
      });
    });
    silent = net.createServer((s) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.resume();
    });
    await new Promise<void>((r) => banner.listen(0, '127.0.0.1', r));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  });

  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((r) => banner.close(r));
    await new Promise((r) => silent.close(r));
  });

  const port = (s: net.Server) => (s.address() as net.AddressInfo).port;

  it('accepts the expected banner and says goodbye with `quit`', async () => {
    const r = await check({ port: port(banner), expect: { bannerMatches: '^220 ' }, quit: 'QUIT\r\n' });
    expect(r.status).toBe('ok');
    expect(r.message).toMatch(/; banner matches \/\^220 \/$/);
    expect(metric(r, 'size_bytes')).toBeGreaterThan(0);
    await new Promise((res) => setTimeout(res, 50));
    expect(received).toContain('QUIT\r\n');
  });

  it('times out on a banner that never matches, quoting what came', async () => {
    const r = await check({ port: port(banner), expect: { bannerMatches: '^SSH-2\\.0-' } }, 600);
    expect(r.status).toBe('critical');
    expect(r.message).toBe(`timed out after 600 ms while waiting for the banner from 127.0.0.1:${port(banner)} (expected it to match /^SSH-2\\.0-/; got "220 mail.test ESMTP kansoku-banner\\r\\n")`);
    expect(r.evidence?.responseExcerpt).toContain('220 mail.test');
  });

  it('times out on a peer that says nothing', async () => {
    const r = await check({ port: port(silent), send: 'HELLO\r\n', expect: { bannerContains: 'hi' } }, 500);
    expect(r.status).toBe('critical');
    expect(r.message).toBe(`timed out after 500 ms while waiting for the banner from 127.0.0.1:${port(silent)} (expected it to contain "hi"; got nothing)`);
  });

  it('gives up when maxReadBytes arrive without a match', async () => {
    const r = await check({ port: port(banner), maxReadBytes: 8, expect: { bannerContains: 'kansoku' } });
    expect(r.status).toBe('critical');
    expect(r.message).toBe(`banner from 127.0.0.1:${port(banner)} does not contain "kansoku" within the first 8 bytes (maxReadBytes); got "220 mail"`);
  });

  it('reports a refused port as connection refused', async () => {
    const closed = await freePort();
    const r = await check({ port: closed });
    expect(r.status).toBe('critical');
    expect(r.message).toBe(`connection refused by 127.0.0.1:${closed}`);
    expect(metric(r, 'connect_ms')).toBeUndefined();
  });
});
