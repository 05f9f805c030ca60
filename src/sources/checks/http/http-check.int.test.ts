import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasExecutable, requirePeer } from '../../../../test/support/peer.js';
import type { CheckResult } from '../../../core/check-result.js';
import { httpCheck } from './index.js';
import { freePort, makeSelfSignedCertificate, NGINX_BIN, startNginx, type NginxInstance } from './test-support/nginx.js';

const haveNginx = await requirePeer('nginx', () => hasExecutable(NGINX_BIN));
const haveOpenssl = await requirePeer('openssl', () => hasExecutable('openssl'));

const GOOD_PAGE = '<!doctype html><title>Shop</title><button>Add to cart</button>\n';
const LEAK_PAGE = `<!doctype html><title>Shop</title>\n${'<p>catalogue</p>\n'.repeat(200)}<pre>Traceback (most recent call last):\n  File "/srv/shop/app.py", line 42, in checkout\nKeyError: 'cart'\nDEBUG = True</pre>\n`;
const HEALTH_JSON = '{"status":"ok","version":"1.4.2","items":[{"id":17,"name":"apple"},{"id":18}],"count":2}';

function metric(r: CheckResult, name: string): number | undefined {
  return r.metrics.find((m) => m.name === name)?.value;
}

async function check(spec: Record<string, unknown>, timeoutMs = 5000): Promise<CheckResult> {
  const parsed = httpCheck.specSchema.parse({ type: 'http', ...spec });
  return httpCheck.run(parsed, { signal: AbortSignal.timeout(timeoutMs), timeoutMs });
}

describe.skipIf(!haveNginx || !haveOpenssl)('http check against a real nginx', () => {
  let dir: string;
  let nginx: NginxInstance | undefined;
  let base: string;
  const tls = { year: 0, soon: 0, month: 0 };
  let caYear: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'kansoku-http-'));
    const www = path.join(dir, 'www');
    await mkdir(www);
    await writeFile(path.join(www, 'index.html'), GOOD_PAGE);
    await writeFile(path.join(www, 'leak.html'), LEAK_PAGE);
    await writeFile(path.join(www, 'big.txt'), Buffer.alloc(2 * 1024 * 1024, 'x'));
    const year = await makeSelfSignedCertificate(dir, 'year', 365);
    const soon = await makeSelfSignedCertificate(dir, 'soon', 3);
    const month = await makeSelfSignedCertificate(dir, 'month', 20);
    caYear = year.certFile;
    const port = await freePort();
    tls.year = await freePort();
    tls.soon = await freePort();
    tls.month = await freePort();
    base = `http://127.0.0.1:${port}`;
    const locations = `
    root ${www};
    location = /error { return 500 "internal failure\\n"; }
    location = /r1 { return 302 /r2; }
    location = /r2 { return 301 /r3; }
    location = /r3 { return 307 /index.html; }
    location = /loop { return 302 /loop; }
    location = /api/health { default_type application/json; add_header X-Api-Version 3 always; return 200 '${HEALTH_JSON}'; }
    location = /echo { return 200 "method=$request_method probe=$http_x_probe length=$content_length\\n"; }
    location = /debug { add_header X-Debug-Token abc123 always; return 200 "ok\\n"; }
    location = /slow.txt { alias ${www}/big.txt; limit_rate 4k; }`;
    const sslServer = (p: number, c: { certFile: string; keyFile: string }) => `
  server {
    listen 127.0.0.1:${p} ssl;
    ssl_certificate ${c.certFile};
    ssl_certificate_key ${c.keyFile};
    ${locations}
  }`;
    nginx = await startNginx(
      dir,
      `  types { text/html html; text/plain txt; application/json json; }
  default_type text/plain;
  gzip on;
  gzip_min_length 1;
  gzip_types text/plain application/json;
  server {
    listen 127.0.0.1:${port};
    ${locations}
  }
${sslServer(tls.year, year)}
${sslServer(tls.soon, soon)}
${sslServer(tls.month, month)}`,
      [port, tls.year, tls.soon, tls.month],
    );
  });

  afterAll(async () => {
    await nginx?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('passes a good page and records every timing and the body size', async () => {
    const r = await check({ url: `${base}/`, expect: { status: [200], bodyContains: 'Add to cart', bodyNotContains: 'Traceback' } });
    expect(r.status).toBe('ok');
    expect(r.message).toMatch(new RegExp(`^HTTP 200 OK from ${base}/ in \\d+ ms$`));
    expect(metric(r, 'status_code')).toBe(200);
    expect(metric(r, 'size_bytes')).toBe(Buffer.byteLength(GOOD_PAGE));
    for (const name of ['dns_ms', 'connect_ms', 'ttfb_ms', 'total_ms']) expect(metric(r, name)).toBeGreaterThanOrEqual(0);
    expect(metric(r, 'total_ms')).toBeGreaterThanOrEqual(metric(r, 'ttfb_ms')!);
    expect(metric(r, 'tls_ms')).toBeUndefined();
    expect(r.evidence).toBeUndefined();
  });

  it('fails a page that leaks a stack trace, and keeps the leak in the excerpt', async () => {
    const r = await check({ url: `${base}/leak.html`, expect: { bodyContains: ['Shop', 'catalogue'], bodyNotContains: ['Traceback', 'Fatal error'] } });
    expect(r.status).toBe('critical');
    expect(r.message).toMatch(/^body contains forbidden "Traceback" — HTTP 200 OK from /);
    expect(r.message).not.toContain('Fatal error');
    // The trace sits past the first 3 KB; the excerpt centres on it rather than the page head.
    expect(r.evidence?.responseExcerpt).toContain('Traceback (most recent call last)');
    expect(String(r.evidence?.responseExcerpt).length).toBeLessThan(600);
  });

  it('fails on forbidden regular expressions and reports what matched', async () => {
    const r = await check({ url: `${base}/leak.html`, expect: { bodyNotMatches: ['DEBUG\\s*=\\s*True'], bodyMatches: 'catalogue' } });
    expect(r.status).toBe('critical');
    expect(r.message).toContain('body matches forbidden /DEBUG\\s*=\\s*True/ ("DEBUG = True")');
    const ok = await check({ url: `${base}/`, expect: { bodyNotMatches: 'Traceback|DEBUG', bodyMatches: ['<title>Shop</title>', 'Add to (cart|basket)'] } });
    expect(ok.status).toBe('ok');
  });

  it('reports an unexpected status with the status line first', async () => {
    const r = await check({ url: `${base}/error`, expect: { status: [200] } });
    expect(r.status).toBe('critical');
    expect(r.message).toMatch(new RegExp(`^HTTP 500 Internal Server Error from ${base}/error in \\d+ ms \\(expected 200\\)$`));
    expect(metric(r, 'status_code')).toBe(500);
    expect(r.evidence?.responseExcerpt).toBe('internal failure\n');
    const expected500 = await check({ url: `${base}/error`, expect: { status: ['5xx'] } });
    expect(expected500.status).toBe('ok');
  });

  it('follows a redirect chain within maxRedirects and stops beyond it', async () => {
    const r = await check({ url: `${base}/r1`, expect: { bodyContains: 'Add to cart' } });
    expect(r.status).toBe('ok');
    expect(metric(r, 'redirects')).toBe(3);
    expect(r.message).toContain(`from ${base}/index.html`);
    expect(r.message).toContain(`after 3 redirects from ${base}/r1`);

    const bounded = await check({ url: `${base}/r1`, maxRedirects: 2 });
    expect(bounded.status).toBe('critical');
    expect(bounded.message).toBe(`too many redirects: stopped after 2 (maxRedirects) at ${base}/r3, which redirects to ${base}/index.html`);

    const loop = await check({ url: `${base}/loop` });
    expect(loop.status).toBe('critical');
    expect(loop.message).toMatch(/^too many redirects: stopped after 5/);
  });

  it('can treat the redirect itself as the answer', async () => {
    const r = await check({ url: `${base}/r1`, followRedirects: false, expect: { status: [302], headers: [{ name: 'Location', equals: `${base}/r2` }] } });
    expect(r.status).toBe('ok');
    const unexpected = await check({ url: `${base}/r2`, followRedirects: false });
    expect(unexpected.status).toBe('critical');
    expect(unexpected.message).toMatch(/^HTTP 301 Moved Permanently from .* \(expected 2xx\)$/);
  });

  it('checks JSON paths and header values of a JSON endpoint', async () => {
    const good = await check({
      url: `${base}/api/health`,
      expect: {
        json: [
          { path: '$.status', equals: 'ok' },
          { path: '$.items[0].id', equals: 17 },
          { path: '$.items[-1].id', gte: 18, lt: 100 },
          { path: '$.count', gt: 1 },
          { path: '$.version', matches: '^1\\.' },
          { path: '$.items[1].name', exists: false },
          { path: '$.items[0]' },
        ],
        headers: [
          { name: 'content-type', contains: 'application/json' },
          { name: 'X-Api-Version', equals: '3' },
          { name: 'X-Debug-Token', absent: true },
        ],
      },
    });
    expect(good.message).toMatch(/^HTTP 200 OK/);
    expect(good.status).toBe('ok');

    const bad = await check({
      url: `${base}/api/health`,
      expect: { json: [{ path: '$.status', equals: 'degraded' }, { path: '$.items[5].id' }, { path: '$.count', gt: 5 }], headers: [{ name: 'X-Api-Version', equals: '4' }] },
    });
    expect(bad.status).toBe('critical');
    expect(bad.message).toContain('$.status is "ok", expected "degraded"');
    expect(bad.message).toContain('$.items[5].id is missing (no $.items[5])');
    expect(bad.message).toContain('$.count is 2, expected > 5');
    expect(bad.message).toContain('header X-Api-Version is "3", expected "4"');

    const notJson = await check({ url: `${base}/`, expect: { json: [{ path: '$.status', equals: 'ok' }] } });
    expect(notJson.status).toBe('critical');
    expect(notJson.message).toMatch(/^body is not valid JSON \(.*\), so \$\.status cannot be checked — HTTP 200 OK/);
  });

  it('fails when a header that must be absent is sent', async () => {
    const r = await check({ url: `${base}/debug`, expect: { headers: [{ name: 'X-Debug-Token', absent: true }] } });
    expect(r.status).toBe('critical');
    expect(r.message).toMatch(/^header X-Debug-Token is present \("abc123"\) but must be absent — HTTP 200 OK/);
  });

  it('sends the configured method, headers and body', async () => {
    const r = await check({ url: `${base}/echo`, method: 'POST', headers: { 'X-Probe': 'hello', 'Content-Type': 'text/plain' }, body: 'abcde', expect: { bodyContains: 'method=POST probe=hello length=5' } });
    expect(r.message).toMatch(/^HTTP 200 OK/);
    expect(r.status).toBe('ok');
  });

  it('ends a slow body at the timeout with the phase in the message', async () => {
    const r = await check({ url: `${base}/slow.txt` }, 800);
    expect(r.status).toBe('critical');
    expect(r.message).toBe(`timed out after 800 ms while reading the body from ${base}/slow.txt`);
    expect(r.durationMs).toBeLessThan(5000);
  });

  it('reads a gzip-compressed body when the spec asks for one', async () => {
    const r = await check({
      url: `${base}/leak.html`,
      headers: { 'Accept-Encoding': 'gzip' },
      expect: { headers: [{ name: 'Content-Encoding', equals: 'gzip' }], bodyNotContains: 'Traceback' },
    });
    expect(r.status).toBe('critical');
    expect(r.message).toMatch(/^body contains forbidden "Traceback"/);
    // size_bytes counts what crossed the wire, which gzip made far smaller than the page.
    expect(metric(r, 'size_bytes')).toBeLessThan(Buffer.byteLength(LEAK_PAGE) / 2);
  });

  it('stops reading a body larger than maxBodyBytes', async () => {
    const r = await check({ url: `${base}/big.txt`, maxBodyBytes: 65536 });
    expect(r.status).toBe('critical');
    expect(r.message).toMatch(/^body is larger than 64 KiB \(maxBodyBytes\); stopped reading — HTTP 200 OK/);
    expect(metric(r, 'size_bytes')).toBe(65536);
    const whole = await check({ url: `${base}/big.txt`, maxBodyBytes: 4 * 1024 * 1024 });
    expect(whole.status).toBe('ok');
    expect(metric(whole, 'size_bytes')).toBe(2 * 1024 * 1024);
  });

  it('enforces the response-time limits', async () => {
    // Any real exchange takes longer than 0 ms and far less than a minute.
    const warn = await check({ url: `${base}/`, expect: { responseTimeWarning: '0ms', maxResponseTime: '1m' } });
    expect(warn.status).toBe('warning');
    expect(warn.message).toMatch(/^response took \d+ ms, more than responseTimeWarning 0ms — HTTP 200 OK/);
    expect(warn.metrics.find((m) => m.name === 'total_ms')).toMatchObject({ warn: '0', crit: '60000' });
    const crit = await check({ url: `${base}/`, expect: { responseTimeWarning: '0ms', maxResponseTime: '0ms' } });
    expect(crit.status).toBe('critical');
    expect(crit.message).toMatch(/^response took \d+ ms, more than maxResponseTime 0ms/);
    const ok = await check({ url: `${base}/`, expect: { responseTimeWarning: '30s', maxResponseTime: '1m' } });
    expect(ok.status).toBe('ok');
  });

  describe('HTTPS', () => {
    it('reports days to expiry and TLS timing for a certificate valid for a year', async () => {
      const r = await check({ url: `https://127.0.0.1:${tls.year}/`, tlsVerify: false, tls: { expiryWarning: '30d', expiryCritical: '7d' }, expect: { bodyContains: 'Add to cart' } });
      expect(r.status).toBe('ok');
      const days = metric(r, 'cert_expiry_days')!;
      expect(days).toBeGreaterThan(364);
      expect(days).toBeLessThanOrEqual(365.01);
      expect(metric(r, 'tls_ms')).toBeGreaterThanOrEqual(0);
      expect(r.message).toMatch(/; certificate valid for 36[45] days$/);
    });

    it('does not trust a self-signed certificate unless told to', async () => {
      const r = await check({ url: `https://127.0.0.1:${tls.year}/` });
      expect(r.status).toBe('critical');
      expect(r.message).toBe(`TLS certificate of 127.0.0.1:${tls.year} is not trusted: self-signed certificate (DEPTH_ZERO_SELF_SIGNED_CERT)`);
      // The certificate was still read, so its expiry is still reported.
      expect(metric(r, 'cert_expiry_days')).toBeGreaterThan(364);
      const trusted = await check({ url: `https://127.0.0.1:${tls.year}/`, tls: { caFile: caYear } });
      expect(trusted.status).toBe('ok');
      const byName = await check({ url: `https://localhost:${tls.year}/`, tls: { caFile: caYear } });
      expect(byName.status).toBe('ok');
      expect(metric(byName, 'dns_ms')).toBeGreaterThanOrEqual(0);
    });

    it('rejects a certificate that does not name the server', async () => {
      const r = await check({ url: `https://127.0.0.1:${tls.year}/`, tls: { caFile: caYear, serverName: 'shop.example.com' } });
      expect(r.status).toBe('critical');
      expect(r.message).toContain("is not trusted: Hostname/IP does not match certificate's altnames: Host: shop.example.com.");
    });

    it('is CRITICAL for a certificate expiring in 3 days and WARNING for one in 20', async () => {
      const thresholds = { expiryWarning: '30d', expiryCritical: '7d' };
      const soon = await check({ url: `https://127.0.0.1:${tls.soon}/`, tlsVerify: false, tls: thresholds });
      expect(soon.status).toBe('critical');
      expect(soon.message).toMatch(/^certificate CN=kansoku-test-soon expires in 3 days on \d{4}-\d\d-\d\d \(critical within 7d\) — HTTP 200 OK/);
      const days = metric(soon, 'cert_expiry_days')!;
      expect(days).toBeGreaterThan(2.9);
      expect(days).toBeLessThanOrEqual(3.001);
      expect(soon.metrics.find((m) => m.name === 'cert_expiry_days')).toMatchObject({ warn: '30:', crit: '7:' });

      const month = await check({ url: `https://127.0.0.1:${tls.month}/`, tlsVerify: false, tls: thresholds });
      expect(month.status).toBe('warning');
      expect(month.message).toMatch(/expires in 20 days on .* \(warning within 30d\)/);

      const defaults = await check({ url: `https://127.0.0.1:${tls.month}/`, tlsVerify: false });
      expect(defaults.status).toBe('ok');
    });

    it('refuses a connection when TLS is spoken to a plain port', async () => {
      const r = await check({ url: `${base.replace('http:', 'https:')}/`, tlsVerify: false });
      expect(r.status).toBe('critical');
      expect(r.message).toMatch(/^TLS handshake with 127\.0\.0\.1:\d+ failed: /);
    });
  });
});

/** Misbehaving peers nginx cannot play: silence, garbage, endless bytes, a slammed door. */
describe('http check against misbehaving peers', () => {
  let server: http.Server;
  let garbage: net.Server;
  let base: string;
  let garbageUrl: string;
  let floodBytesSent = 0;
  let floodClosed: Promise<void>;
  const garbageSockets = new Set<net.Socket>();

  beforeAll(async () => {
    let markFloodClosed!: () => void;
    floodClosed = new Promise((r) => (markFloodClosed = r));
    server = http.createServer((req, res) => {
      if (req.url === '/hang') return; // never answers
      if (req.url === '/slam') return req.socket.destroy();
      if (req.url === '/flood') {
        res.writeHead(200, { 'content-type': 'text/plain' });
        const chunk = Buffer.alloc(64 * 1024, 'y');
        // Writes until the client goes away; bounded so a bug cannot run forever.
        const pump = () => {
          while (!res.destroyed && floodBytesSent < 512 * 1024 * 1024) {
            floodBytesSent += chunk.length;
            if (!res.write(chunk)) return;
          }
        };
        res.on('drain', pump);
        res.on('close', markFloodClosed);
        return pump();
      }
      res.end('fine\n');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
    garbage = net.createServer((s) => {
      garbageSockets.add(s);
      s.on('close', () => garbageSockets.delete(s));
      // Consumes the request so the client's close is noticed, as a real daemon would.
      s.resume();
      s.end('SSH-2.0-OpenSSH_9.2\r\nProtocol mismatch.\n');
    });
    await new Promise<void>((r) => garbage.listen(0, '127.0.0.1', r));
    garbageUrl = `http://127.0.0.1:${(garbage.address() as net.AddressInfo).port}/`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    for (const s of garbageSockets) s.destroy();
    await new Promise((r) => garbage.close(r));
  });

  it('times out a peer that never answers, naming the phase', async () => {
    const r = await check({ url: `${base}/hang` }, 700);
    expect(r.status).toBe('critical');
    expect(r.message).toBe(`timed out after 700 ms while waiting for the first byte from ${base}/hang`);
    expect(metric(r, 'connect_ms')).toBeGreaterThanOrEqual(0);
  });

  it('reports a cancelled run as UNKNOWN, not as a failing target', async () => {
    const parsed = httpCheck.specSchema.parse({ type: 'http', url: `${base}/hang` });
    const stop = new AbortController();
    setTimeout(() => stop.abort(), 200);
    const r = await httpCheck.run(parsed, { signal: stop.signal, timeoutMs: 10_000 });
    expect(r.status).toBe('unknown');
    expect(r.message).toMatch(/^check cancelled while waiting for the first byte/);
  });

  it('stops a peer that floods bytes at maxBodyBytes and closes the connection', async () => {
    const r = await check({ url: `${base}/flood`, maxBodyBytes: 256 * 1024 });
    expect(r.status).toBe('critical');
    expect(r.message).toMatch(/^body is larger than 256 KiB \(maxBodyBytes\); stopped reading/);
    expect(metric(r, 'size_bytes')).toBe(256 * 1024);
    await floodClosed;
    // The server noticed us leaving long before its own bound.
    expect(floodBytesSent).toBeLessThan(64 * 1024 * 1024);
  });

  it('calls a non-HTTP answer garbage, with the bytes as evidence', async () => {
    const r = await check({ url: garbageUrl });
    expect(r.status).toBe('critical');
    expect(r.message).toMatch(new RegExp(`^invalid HTTP response from ${garbageUrl.replace(/[.]/g, '\\.')}: .*\\(HPE_[A-Z_]+\\)$`));
    expect(r.evidence?.responseExcerpt).toContain('SSH-2.0-OpenSSH_9.2');
  });

  it('reports a connection closed before any response', async () => {
    const r = await check({ url: `${base}/slam` });
    expect(r.status).toBe('critical');
    expect(r.message).toBe(`connection closed by ${base.slice('http://'.length)} before sending any response (${base}/slam)`);
  });

  it('reports a refused port', async () => {
    const port = await freePort();
    const r = await check({ url: `http://127.0.0.1:${port}/` });
    expect(r.status).toBe('critical');
    expect(r.message).toBe(`connection refused by 127.0.0.1:${port}`);
  });
});
