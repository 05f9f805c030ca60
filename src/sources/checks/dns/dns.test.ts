import * as dnsPacket from 'dns-packet';
import { describe, expect, it } from 'vitest';
import {
  assessAnswer,
  describeSerialSplit,
  dnsCheck,
  dnsCheckSpecSchema,
  formatServerAddress,
  normalizeExpected,
  parseServerAddress,
  queryName,
  rcodeName,
  type QueryOutcome,
} from './index.js';

describe('dns spec', () => {
  it('fills defaults', () => {
    const s = dnsCheckSpecSchema.parse({ type: 'dns', name: 'example.com', server: '192.0.2.53' });
    expect(s).toMatchObject({ recordType: 'A', authoritative: false, port: 53, transport: 'udp', recursionDesired: true, expect: { rcode: ['NOERROR'] } });
    expect(dnsCheck.targetHost(s)).toBe('192.0.2.53');
  });
  it.each([
    [{ type: 'dns', name: 'example.com' }, 'server'],
    [{ type: 'dns', name: 'example.com', server: 'dns.example.com' }, 'server'],
    [{ type: 'dns', name: 'example.com', server: '127.0.0.1:99999' }, 'server'],
    [{ type: 'dns', name: 'bad name', server: '::1' }, 'name'],
    [{ type: 'dns', name: '192.0.2.1', server: '::1' }, 'name'],
    [{ type: 'dns', name: 'a.b', server: '::1', recordType: 'ANY' }, 'recordType'],
    [{ type: 'dns', name: 'a.b', server: '::1', expect: { rcode: ['NOPE'] } }, 'expect.rcode.0'],
    [{ type: 'dns', name: 'a.b', server: '::1', expect: { answer: ['1.2.3.4'] } }, 'expect'],
    [{ type: 'dns', name: 'a.b', server: '::1', zone: 'b' }, 'zone'],
    [{ type: 'dns', name: 'a.b', authoritative: true }, 'server'],
    [{ type: 'dns', name: 'a.b', server: '::1', transport: 'doh' }, 'transport'],
  ])('rejects %j at "%s"', (input, want) => {
    const r = dnsCheckSpecSchema.safeParse(input);
    expect(r.success).toBe(false);
    expect(r.error!.issues.map((i) => i.path.join('.'))).toContain(want);
  });
  it('accepts authoritative with only a bootstrap server', () => {
    const s = dnsCheckSpecSchema.parse({ type: 'dns', name: 'www.example.com', authoritative: true, bootstrap: '[::1]:5353' });
    expect(dnsCheck.targetHost(s)).toBe('::1');
  });
});

describe('server addresses and names', () => {
  it.each([
    ['127.0.0.1', { host: '127.0.0.1', port: 53, family: 4 }],
    ['127.0.0.1:5353', { host: '127.0.0.1', port: 5353, family: 4 }],
    ['::1', { host: '::1', port: 53, family: 6 }],
    ['[::1]:5353', { host: '::1', port: 5353, family: 6 }],
  ])('%s', (text, want) => {
    const a = parseServerAddress(text);
    expect(a).toEqual(want);
    expect(parseServerAddress(formatServerAddress(a!))).toEqual(want);
  });
  it('refuses names and bad ports', () => {
    for (const t of ['localhost', 'ns1.example.com:53', '127.0.0.1:0', '[::1]:70000', '']) expect(parseServerAddress(t)).toBeUndefined();
  });
  it('turns IP addresses into reverse names for PTR', () => {
    expect(queryName({ name: '192.0.2.7', recordType: 'PTR' })).toBe('7.2.0.192.in-addr.arpa');
    expect(queryName({ name: '2001:db8::1', recordType: 'PTR' })).toBe(
      '1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa',
    );
    expect(queryName({ name: 'www.example.com.', recordType: 'A' })).toBe('www.example.com');
  });
  it('normalises expected answers as people write them', () => {
    expect(normalizeExpected('AAAA', '2001:DB8:0:0:0:0:0:10')).toBe('2001:db8::10');
    expect(normalizeExpected('MX', '10  Mail.Example.COM.')).toBe('10 mail.example.com');
    expect(normalizeExpected('CAA', '0 ISSUE letsencrypt.org')).toBe('0 issue "letsencrypt.org"');
    expect(normalizeExpected('TXT', ' v=spf1 -all ')).toBe('v=spf1 -all');
  });
});

/** A reply as it comes off the wire: encoded and decoded by dns-packet. */
function reply(p: dnsPacket.Packet, rcode = 0): Extract<QueryOutcome, { ok: true }> {
  const packet = dnsPacket.decode(dnsPacket.encode({ type: 'response', id: 1, ...p, flags: (p.flags ?? 0) | rcode }));
  return { ok: true, packet, rcode: rcodeName(packet.flags), rttMs: 1, via: 'udp', truncatedUdp: false };
}

describe('assessAnswer', () => {
  const base = { rcode: ['NOERROR'], minAnswers: 1, requireAuthoritative: true };
  const q = [{ type: 'MX' as const, name: 'example.com' }];
  const mx = reply({
    flags: dnsPacket.AUTHORITATIVE_ANSWER,
    questions: q,
    answers: [
      { type: 'MX', name: 'example.com', data: { preference: 10, exchange: 'Mail.example.com' } },
      { type: 'MX', name: 'example.com', data: { preference: 20, exchange: 'mx2.example.com' } },
    ],
  });
  it('passes when every expectation holds', () => {
    const a = assessAnswer(mx, 'example.com', 'MX', { ...base, answers: ['20 mx2.example.com.', '10 mail.example.com'], contains: ['10 MAIL.example.com'] });
    expect(a).toEqual({ problems: [], answers: ['10 mail.example.com', '20 mx2.example.com'] });
  });
  it('names each broken expectation', () => {
    const a = assessAnswer(mx, 'example.com', 'MX', { ...base, minAnswers: 3, contains: ['30 mx3.example.com'] });
    expect(a.problems).toEqual(['2 MX records, fewer than 3', 'answer lacks 30 mx3.example.com (got 10 mail.example.com, 20 mx2.example.com)']);
    const notAa = reply({ questions: q, answers: [{ type: 'MX', name: 'example.com', data: { preference: 1, exchange: 'a.b' } }] });
    expect(assessAnswer(notAa, 'example.com', 'MX', base).problems).toEqual(['answer is not authoritative (AA flag not set)']);
  });
  it('reports an unexpected rcode alone', () => {
    const refused = reply({ questions: q }, 5);
    expect(assessAnswer(refused, 'example.com', 'MX', base).problems).toEqual([
      'answered REFUSED for example.com MX (the server does not serve this zone or does not allow this client), expected NOERROR',
    ]);
  });
});

describe('describeSerialSplit', () => {
  it('is silent when all agree', () => {
    expect(describeSerialSplit([{ label: 'a', serial: 1 }, { label: 'b', serial: 1 }])).toBeUndefined();
  });
  it('names the stale servers first', () => {
    expect(
      describeSerialSplit([
        { label: 'ns1 127.0.0.1:5353', serial: 2026112202 },
        { label: 'ns2 127.0.0.1:5354', serial: 2026112201 },
        { label: 'ns3 127.0.0.1:5355', serial: 2026112202 },
      ]),
    ).toBe('SOA serials differ: ns2 127.0.0.1:5354 serves serial 2026112201, ns1 127.0.0.1:5353 and ns3 127.0.0.1:5355 serve 2026112202');
  });
});
