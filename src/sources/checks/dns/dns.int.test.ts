import dgram from 'node:dgram';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasExecutable, requirePeer } from '../../../../test/support/peer.js';
import { dnsCheck, dnsCheckSpecSchema } from './index.js';
import { exampleZone, freeDnsPort, startNsd, startUnbound, type RunningServer } from './testdata/dns-peers.js';

const haveNsd = await requirePeer('nsd (/usr/sbin/nsd)', () => hasExecutable('/usr/sbin/nsd'));
const haveUnbound = await requirePeer('unbound (/usr/sbin/unbound)', () => hasExecutable('/usr/sbin/unbound'));

function check(input: Record<string, unknown>, timeoutMs = 3000) {
  const spec = dnsCheckSpecSchema.parse({ type: 'dns', ...input });
  return dnsCheck.run(spec, { signal: AbortSignal.timeout(timeoutMs + 2000), timeoutMs });
}

// 40 TXT strings of 100 bytes: ~4 KB, more than the 1232-byte EDNS payload → TC over UDP.
const BIG_TXT = Array.from({ length: 40 }, (_, i) => `big IN TXT "${String(i).padStart(2, '0')}${'x'.repeat(98)}"`).join('\n');

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'kansoku-dns-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe.skipIf(!haveNsd)('dns check against one NSD server', () => {
  let nsd: RunningServer;
  let at: string;
  beforeAll(async () => {
    const port = await freeDnsPort();
    nsd = await startNsd({
      dir,
      name: 'single',
      addresses: ['127.0.0.1', '::1'],
      port,
      zones: { 'example.test': exampleZone(2026112202, BIG_TXT), 'broken.test': null },
    });
    at = `127.0.0.1:${port}`;
  });
  afterAll(() => nsd?.stop());

  it('a healthy name: OK with the answers, rtt_ms and answers metrics', async () => {
    const r = await check({ name: 'www.example.test', server: at, expect: { answers: ['192.0.2.11', '192.0.2.10'] } });
    expect(r.status).toBe('ok');
    expect(r.message).toMatch(new RegExp(`^www\\.example\\.test A at ${at}: 192\\.0\\.2\\.10, 192\\.0\\.2\\.11 \\(NOERROR, [\\d.]+ ms\\)$`));
    expect(r.metrics.map((m) => m.name)).toEqual(['rtt_ms', 'answers']);
    expect(r.metrics[1]!.value).toBe(2);
  });

  it.each([
    ['www6.example.test', 'AAAA', ['2001:db8::10']],
    ['alias.example.test', 'CNAME', ['www.example.test.']],
    ['example.test', 'MX', ['10 mail.example.test', '20 Backup-Mail.example.test.']],
    ['example.test', 'TXT', ['v=spf1 -all']],
    ['example.test', 'NS', ['ns1.example.test', 'ns2.example.test']],
    ['example.test', 'SOA', ['ns1.example.test hostmaster.example.test 2026112202 3600 900 604800 300']],
  ])('%s %s matches %j', async (name, recordType, answers) => {
    const r = await check({ name, recordType, server: at, expect: { answers } });
    expect(r.message).toContain(`${name} ${recordType} at ${at}:`);
    expect(r.status).toBe('ok');
  });

  it('over IPv6 to [::1]', async () => {
    const r = await check({ name: 'www.example.test', server: `[::1]:${nsd.port}`, expect: { contains: ['192.0.2.10'] } });
    expect(r.status).toBe('ok');
  });

  it('wrong or missing answers are CRITICAL and say what came back', async () => {
    const lacks = await check({ name: 'www.example.test', server: at, expect: { contains: ['192.0.2.99'] } });
    expect(lacks.status).toBe('critical');
    expect(lacks.message).toBe(`www.example.test A at ${at}: answer lacks 192.0.2.99 (got 192.0.2.10, 192.0.2.11)`);
    const exact = await check({ name: 'www.example.test', server: at, expect: { answers: ['192.0.2.10'] } });
    expect(exact.message).toMatch(/answers 192\.0\.2\.10, 192\.0\.2\.11, expected exactly 192\.0\.2\.10$/);
    const nodata = await check({ name: 'www.example.test', recordType: 'MX', server: at });
    expect(nodata).toMatchObject({ status: 'critical', message: `www.example.test MX at ${at}: no MX records for www.example.test (NOERROR)` });
  });

  it('NXDOMAIN is CRITICAL unless expected', async () => {
    const r = await check({ name: 'nope.example.test', server: at });
    expect(r.status).toBe('critical');
    expect(r.message).toBe(`nope.example.test A at ${at}: answered NXDOMAIN for nope.example.test A (the name does not exist), expected NOERROR`);
    expect((await check({ name: 'nope.example.test', server: at, expect: { rcode: ['NXDOMAIN'] } })).status).toBe('ok');
  });

  it('SERVFAIL for a zone the server cannot load, REFUSED for a zone it does not serve', async () => {
    const servfail = await check({ name: 'www.broken.test', server: at });
    expect(servfail.status).toBe('critical');
    expect(servfail.message).toMatch(/answered SERVFAIL for www\.broken\.test A \(the server could not load or resolve the zone\)/);
    const refused = await check({ name: 'www.example.org', server: at });
    expect(refused.status).toBe('critical');
    expect(refused.message).toMatch(/answered REFUSED for www\.example\.org A \(the server does not serve this zone/);
  });

  it('transport: tcp, and TCP fallback when the UDP answer is truncated', async () => {
    const tcp = await check({ name: 'www.example.test', server: at, transport: 'tcp' });
    expect(tcp.status).toBe('ok');
    expect(tcp.message).toMatch(/ms, tcp\)$/);
    const big = await check({ name: 'big.example.test', recordType: 'TXT', server: at, expect: { minAnswers: 40 } });
    expect(big.status).toBe('ok');
    expect(big.message).toMatch(/ms, tcp\)$/);
    expect(big.metrics.find((m) => m.name === 'answers')?.value).toBe(40);
  });

  it('an rtt level below any real round trip is reached', async () => {
    const r = await check({ name: 'www.example.test', server: at, warning: { rttMs: 0.000001 } });
    expect(r.status).toBe('warning');
    expect(r.message).toMatch(/slower than 0\.000001 ms\)$/);
  });
});

describe('dns check against servers that do not answer', () => {
  it('a UDP port where something listens but never answers: CRITICAL timeout', async () => {
    const silent = dgram.createSocket('udp4');
    await new Promise<void>((r) => silent.bind(0, '127.0.0.1', () => r()));
    let received = 0;
    silent.on('message', () => received++);
    try {
      const port = (silent.address() as { port: number }).port;
      const r = await check({ name: 'www.example.test', server: `127.0.0.1:${port}` }, 1000);
      expect(r.status).toBe('critical');
      expect(r.message).toMatch(new RegExp(`^www\\.example\\.test A at 127\\.0\\.0\\.1:${port}: 127\\.0\\.0\\.1:${port} did not answer within \\d+ ms \\(udp\\)$`));
      // The query was sent, and resent once.
      expect(received).toBe(2);
    } finally {
      silent.close();
    }
  });

  it('a closed port: CRITICAL connection refused', async () => {
    const port = await freeDnsPort();
    const r = await check({ name: 'www.example.test', server: `127.0.0.1:${port}` }, 2000);
    expect(r.status).toBe('critical');
    expect(r.message).toBe(`www.example.test A at 127.0.0.1:${port}: 127.0.0.1:${port}/udp: connection refused (no DNS server listens there)`);
  });
});

describe.skipIf(!haveNsd)('dns check of all authoritative servers of a zone', () => {
  it('two servers (127.0.0.1 and ::1) serving the same zone: OK', async () => {
    const port = await freeDnsPort();
    const nsd = await startNsd({ dir, name: 'agree', addresses: ['127.0.0.1', '::1'], port, zones: { 'example.test': exampleZone(2026112202) } });
    try {
      const r = await check({ name: 'www.example.test', authoritative: true, bootstrap: `127.0.0.1:${port}`, port, expect: { answers: ['192.0.2.10', '192.0.2.11'] } });
      expect(r.status).toBe('ok');
      expect(r.message).toMatch(/^www\.example\.test A at 2 authoritative servers of example\.test: 192\.0\.2\.10, 192\.0\.2\.11 \(serial 2026112202, slowest [\d.]+ ms\)$/);
      expect(r.metrics.map((m) => m.name)).toEqual(['rtt_ms', 'answers', 'servers', `rtt_ms{server="127.0.0.1:${port}"}`, `rtt_ms{server="[::1]:${port}"}`]);
    } finally {
      await nsd.stop();
    }
  });

  it('two NSD instances with different zone files: CRITICAL naming the stale server and both serials', async () => {
    const port = await freeDnsPort();
    const ns1 = await startNsd({ dir, name: 'new', addresses: ['127.0.0.1'], port, zones: { 'example.test': exampleZone(2026112202) } });
    const ns2 = await startNsd({ dir, name: 'stale', addresses: ['::1'], port, zones: { 'example.test': exampleZone(2026112201) } });
    try {
      const r = await check({ name: 'www.example.test', authoritative: true, server: `127.0.0.1:${port}`, port });
      expect(r.status).toBe('critical');
      expect(r.message).toBe(
        `www.example.test A at 2 authoritative servers of example.test: SOA serials differ: ns2.example.test [::1]:${port} serves serial 2026112201, ns1.example.test 127.0.0.1:${port} serves 2026112202`,
      );
      expect(r.evidence?.responseExcerpt).toContain(`ns2.example.test [::1]:${port}: NOERROR (aa) 192.0.2.10, 192.0.2.11`);
    } finally {
      await Promise.all([ns1.stop(), ns2.stop()]);
    }
  });

  it('a listed name server that is down: CRITICAL naming it; the zone is found through the SOA', async () => {
    const port = await freeDnsPort();
    const ns1 = await startNsd({ dir, name: 'alone', addresses: ['127.0.0.1'], port, zones: { 'example.test': exampleZone(2026112202) } });
    try {
      const r = await check({ name: 'alias.example.test', recordType: 'CNAME', authoritative: true, bootstrap: `127.0.0.1:${port}`, port }, 2000);
      expect(r.status).toBe('critical');
      expect(r.message).toBe(
        `alias.example.test CNAME at 2 authoritative servers of example.test: ns2.example.test: [::1]:${port}/udp: connection refused (no DNS server listens there)`,
      );
      // family: ipv4 asks only IPv4 addresses: ns2 has none, which IPv4-only resolvers cannot use either.
      const v4 = await check({ name: 'alias.example.test', recordType: 'CNAME', authoritative: true, bootstrap: `127.0.0.1:${port}`, port, family: 'ipv4' });
      expect(v4.status).toBe('critical');
      expect(v4.message).toBe(
        `alias.example.test CNAME at 1 authoritative server of example.test: name server ns2.example.test has no ipv4 address (asked 127.0.0.1:${port})`,
      );
      // With the zone given, the SOA lookup is skipped; ns2 is still down.
      const zoned = await check({ name: 'alias.example.test', recordType: 'CNAME', authoritative: true, zone: 'example.test', bootstrap: `127.0.0.1:${port}`, port }, 2000);
      expect(zoned.message).toMatch(/ns2\.example\.test: \[::1\]:\d+\/udp: connection refused/);
    } finally {
      await ns1.stop();
    }
  });

  it('a bootstrap server that is not authoritative for the zone: CRITICAL, cannot find the zone', async () => {
    const port = await freeDnsPort();
    const ns1 = await startNsd({ dir, name: 'other', addresses: ['127.0.0.1'], port, zones: { 'example.test': exampleZone(1) } });
    try {
      const r = await check({ name: 'www.example.org', authoritative: true, bootstrap: `127.0.0.1:${port}`, port });
      expect(r).toMatchObject({ status: 'critical', message: `cannot find the zone of www.example.org: bootstrap 127.0.0.1:${port} answered REFUSED for www.example.org SOA` });
    } finally {
      await ns1.stop();
    }
  });
});

describe.skipIf(!haveUnbound)('dns check against Unbound (recursion desired, local data)', () => {
  let unbound: RunningServer;
  let at: string;
  beforeAll(async () => {
    const port = await freeDnsPort();
    unbound = await startUnbound({
      dir,
      port,
      localZones: ['corp.test.', '0.0.10.in-addr.arpa.'],
      localData: [
        'corp.test. 300 IN SOA ns.corp.test. admin.corp.test. 7 3600 900 604800 300',
        'app.corp.test. 300 IN A 10.0.0.7',
        '_sip._tcp.corp.test. 300 IN SRV 10 20 5060 sip.corp.test.',
        'corp.test. 300 IN CAA 0 issue "letsencrypt.org"',
        '7.0.0.10.in-addr.arpa. 300 IN PTR app.corp.test.',
      ],
    });
    at = `127.0.0.1:${port}`;
  });
  afterAll(() => unbound?.stop());

  it.each([
    ['app.corp.test', 'A', ['10.0.0.7']],
    ['_sip._tcp.corp.test', 'SRV', ['10 20 5060 sip.corp.test']],
    ['corp.test', 'CAA', ['0 issue letsencrypt.org']],
    ['10.0.0.7', 'PTR', ['app.corp.test']],
  ])('%s %s = %j', async (name, recordType, answers) => {
    const r = await check({ name, recordType, server: at, expect: { answers } });
    expect(r.status, r.message).toBe('ok');
  });

  it('NXDOMAIN from a local zone', async () => {
    const r = await check({ name: 'gone.corp.test', server: at });
    expect(r.message).toMatch(/answered NXDOMAIN/);
  });
});
