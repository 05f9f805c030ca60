/**
 * Resource records as one line of text, the way zone files and `dig +short` write them, so that
 * expected answers in a spec read naturally and compare reliably:
 *   A 192.0.2.1 · AAAA 2001:db8::1 · CNAME/NS/PTR host.example.com · MX "10 mail.example.com"
 *   TXT "v=spf1 -all" (strings of one record joined) · SRV "10 5 5060 sip.example.com"
 *   SOA "ns1.example.com hostmaster.example.com 2026112201 3600 900 604800 300"
 *   CAA '0 issue "letsencrypt.org"'
 * Names are compared in lower case without the trailing dot; IPv6 in its canonical short form.
 */
import type * as dnsPacket from 'dns-packet';
import type { DnsRecordType } from './transport.js';

function name(n: string): string {
  return n.toLowerCase().replace(/\.$/, '');
}

function ipv6(text: string): string {
  try {
    return new URL(`http://[${text}]/`).hostname.slice(1, -1);
  } catch {
    return text.toLowerCase();
  }
}

function txt(data: unknown): string {
  const parts = Array.isArray(data) ? data : [data];
  return parts.map((p) => (Buffer.isBuffer(p) ? p.toString('utf8') : String(p))).join('');
}

/** Text of one answer's data; undefined for records of other types than asked. */
export function formatRdata(a: dnsPacket.Answer): string | undefined {
  switch (a.type) {
    case 'A':
      return a.data;
    case 'AAAA':
      return ipv6(a.data);
    case 'CNAME':
    case 'NS':
    case 'PTR':
      return name(a.data);
    case 'MX':
      return `${a.data.preference ?? 0} ${name(a.data.exchange)}`;
    case 'TXT':
      return txt(a.data);
    case 'SRV':
      return `${a.data.priority ?? 0} ${a.data.weight ?? 0} ${a.data.port} ${name(a.data.target)}`;
    case 'SOA': {
      const d = a.data;
      return `${name(d.mname)} ${name(d.rname)} ${d.serial ?? 0} ${d.refresh ?? 0} ${d.retry ?? 0} ${d.expire ?? 0} ${d.minimum ?? 0}`;
    }
    case 'CAA':
      return `${a.data.flags ?? 0} ${a.data.tag.toLowerCase()} "${a.data.value}"`;
    default:
      return undefined;
  }
}

/** Brings an expected value written by a person to the form formatRdata produces. */
export function normalizeExpected(type: DnsRecordType, text: string): string {
  const t = text.trim();
  const words = t.split(/\s+/);
  switch (type) {
    case 'A':
      return t;
    case 'AAAA':
      return ipv6(t);
    case 'CNAME':
    case 'NS':
    case 'PTR':
      return name(t);
    case 'TXT':
      return t;
    case 'MX':
    case 'SRV':
    case 'SOA':
      return words.map((w) => (/^\d+$/.test(w) ? w : name(w))).join(' ');
    case 'CAA': {
      const m = /^(\d+)\s+(\S+)\s+(.*)$/.exec(t);
      if (!m) return t;
      return `${m[1]} ${m[2]!.toLowerCase()} "${m[3]!.replace(/^"(.*)"$/, '$1')}"`;
    }
  }
}

/** The answers of the asked type, as text, in the order received. */
export function answersOfType(packet: dnsPacket.DecodedPacket, type: DnsRecordType): string[] {
  const out: string[] = [];
  for (const a of packet.answers ?? []) {
    if (a.type !== type) continue;
    const t = formatRdata(a);
    if (t !== undefined) out.push(t);
  }
  return out;
}

export function soaSerial(packet: dnsPacket.DecodedPacket): number | undefined {
  for (const a of packet.answers ?? []) if (a.type === 'SOA') return a.data.serial;
  return undefined;
}
