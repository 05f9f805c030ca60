import { isIP } from 'node:net';
import { z } from 'zod';
import { checkCommonFields } from '../check-type.js';
import { parseServerAddress } from './server-address.js';

export const DNS_RECORD_TYPES = ['A', 'AAAA', 'CNAME', 'MX', 'TXT', 'NS', 'SOA', 'SRV', 'CAA', 'PTR'] as const;
export const DNS_RCODES = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED'] as const;

const NAME_RE = /^(?:\.|(?:[A-Za-z0-9_*](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?\.)*[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?\.?)$/;

const serverSchema = z
  .string()
  .refine((s) => parseServerAddress(s) !== undefined, { message: 'expected an IP address with an optional port: "192.0.2.53", "127.0.0.1:5353", "[::1]:5353"' });

const domainSchema = z.string().max(253).regex(NAME_RE, 'expected a domain name like "www.example.com"');

const rttLevel = z
  .object({ rttMs: z.number().positive().optional().describe('a query slower than this (ms) reaches the level') })
  .strict();

export const dnsCheckSpecSchema = z
  .object({
    type: z.literal('dns'),
    ...checkCommonFields,
    name: z
      .union([domainSchema, z.string().refine((s) => isIP(s) !== 0)])
      .describe('the name to query; for PTR an IP address is turned into its in-addr.arpa / ip6.arpa name'),
    recordType: z.enum(DNS_RECORD_TYPES).default('A').describe('record type to ask for'),
    server: serverSchema.optional().describe('DNS server to ask directly, "ip[:port]"; a name is not allowed (no resolver in the path)'),
    authoritative: z
      .boolean()
      .default(false)
      .describe("ask every authoritative server of the zone (found through its NS records) and compare their SOA serials"),
    zone: domainSchema.optional().describe('the zone, when authoritative; default: found from the SOA that the bootstrap server returns for name'),
    bootstrap: serverSchema
      .optional()
      .describe('where NS records and the name servers\' addresses are looked up when authoritative; default: server'),
    port: z.number().int().min(1).max(65535).default(53).describe('port of the authoritative servers (NS records carry none)'),
    family: z.enum(['any', 'ipv4', 'ipv6']).default('any').describe('which addresses of the authoritative servers to ask'),
    transport: z.enum(['udp', 'tcp']).default('udp').describe('udp (with TCP fallback on truncation) or tcp only'),
    recursionDesired: z.boolean().default(true).describe('set RD when asking server; authoritative servers are always asked without it'),
    expect: z
      .object({
        rcode: z.array(z.enum(DNS_RCODES)).min(1).default(['NOERROR']).describe('acceptable response codes, e.g. ["NXDOMAIN"] for a name that must not exist'),
        answers: z.array(z.string().min(1)).optional().describe('the exact set of answers (order does not matter), e.g. ["192.0.2.10", "192.0.2.11"] or ["10 mail.example.com"]'),
        contains: z.array(z.string().min(1)).optional().describe('answers that must be among those returned'),
        minAnswers: z.number().int().min(0).optional().describe('at least this many answers of recordType; default 1 when NOERROR is expected'),
        authoritativeAnswer: z.boolean().optional().describe('require the AA flag; default true when authoritative'),
      })
      .strict()
      .prefault({})
      .describe('what a good answer looks like'),
    warning: rttLevel.optional().describe('WARNING when a query is slower than rttMs'),
    critical: rttLevel.optional().describe('CRITICAL when a query is slower than rttMs'),
  })
  .strict()
  .superRefine((s, ctx) => {
    if (!s.server && !(s.authoritative && s.bootstrap)) {
      ctx.addIssue({ code: 'custom', path: ['server'], message: 'set server (or, with authoritative: true, bootstrap): the check never uses the system resolver' });
    }
    if (!s.authoritative && (s.zone !== undefined || s.bootstrap !== undefined)) {
      ctx.addIssue({ code: 'custom', path: [s.zone !== undefined ? 'zone' : 'bootstrap'], message: 'zone and bootstrap only apply with authoritative: true' });
    }
    if (isIP(s.name) !== 0 && s.recordType !== 'PTR') {
      ctx.addIssue({ code: 'custom', path: ['name'], message: 'an IP address as name needs recordType: PTR' });
    }
  });

export type DnsCheckSpec = z.infer<typeof dnsCheckSpecSchema>;

/** The query name: reverse names for PTR of an IP address, the name as given otherwise. */
export function queryName(spec: Pick<DnsCheckSpec, 'name' | 'recordType'>): string {
  const fam = isIP(spec.name);
  if (spec.recordType === 'PTR' && fam === 4) return `${spec.name.split('.').reverse().join('.')}.in-addr.arpa`;
  if (spec.recordType === 'PTR' && fam === 6) {
    const full = expandIpv6(spec.name);
    return `${full.split('').reverse().join('.')}.ip6.arpa`;
  }
  return spec.name.replace(/\.$/, '') || '.';
}

function expandIpv6(addr: string): string {
  const [head, tail] = addr.split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const missing = tail === undefined ? 0 : 8 - h.length - t.length;
  return [...h, ...Array<string>(missing).fill('0'), ...t].map((g) => g.padStart(4, '0')).join('');
}
