/**
 * `type: dns` — asks a named DNS server, or every authoritative server of a zone, directly over
 * UDP/TCP with dns-packet; never through node's dns.resolve* or the system's caching resolver
 * (MISSION principle: do not let a caching DNS resolver hide DNS faults).
 */
import type { CheckType } from '../check-type.js';
import { dnsCheckSpecSchema, type DnsCheckSpec } from './config.js';
import { runDnsCheck } from './probe.js';
import { parseServerAddress } from './server-address.js';

export { dnsCheckSpecSchema, queryName, DNS_RECORD_TYPES, DNS_RCODES, type DnsCheckSpec } from './config.js';
export { queryServer, rcodeName, type DnsQuestion, type DnsRecordType, type DnsTransport, type QueryOutcome, type QueryOptions } from './transport.js';
export { parseServerAddress, formatServerAddress, type ServerAddress } from './server-address.js';
export { formatRdata, normalizeExpected, answersOfType } from './rdata.js';
export { assessAnswer, type AnswerExpectation, type Assessment } from './assess-answer.js';
export { findZone, findNameServers, type NameServer } from './authoritative-servers.js';
export { describeSerialSplit } from './probe.js';

export const dnsCheck: CheckType<DnsCheckSpec> = {
  type: 'dns',
  specSchema: dnsCheckSpecSchema,
  run: runDnsCheck,
  targetHost: (spec) => {
    const s = spec.server ?? spec.bootstrap;
    return s ? parseServerAddress(s)?.host : undefined;
  },
};
