/**
 * Finds a zone's authoritative servers without the system resolver: the zone from the SOA the
 * bootstrap server returns, the NS names from the zone's NS records, their addresses from glue,
 * else from the bootstrap server, else from the authoritative servers already found.
 */
import { formatServerAddress, type ServerAddress } from './server-address.js';
import { queryServer, type DnsQuestion, type QueryOptions } from './transport.js';

export interface NameServer {
  name: string;
  address: ServerAddress;
}

export type Discovery<T> = { ok: true; value: T } | { ok: false; error: string };

function bare(n: string): string {
  return n.toLowerCase().replace(/\.$/, '');
}

function parent(n: string): string | undefined {
  const i = n.indexOf('.');
  return i < 0 ? undefined : n.slice(i + 1);
}

/** The zone that holds `name`, per the SOA records the bootstrap server hands out. */
export async function findZone(bootstrap: ServerAddress, name: string, opts: QueryOptions): Promise<Discovery<string>> {
  const where = formatServerAddress(bootstrap);
  for (let n: string | undefined = bare(name), hops = 0; n && hops < 16; n = parent(n), hops++) {
    const q: DnsQuestion = { name: n, type: 'SOA', recursionDesired: true };
    const r = await queryServer(bootstrap, q, opts);
    if (!r.ok) return { ok: false, error: `cannot find the zone of ${name}: bootstrap ${r.error}` };
    if (['REFUSED', 'SERVFAIL', 'NOTIMP', 'FORMERR'].includes(r.rcode)) {
      return { ok: false, error: `cannot find the zone of ${name}: bootstrap ${where} answered ${r.rcode} for ${n} SOA` };
    }
    const own = (r.packet.answers ?? []).find((a) => a.type === 'SOA' && bare(a.name) === n);
    if (own) return { ok: true, value: n };
    const auth = (r.packet.authorities ?? []).find((a) => a.type === 'SOA');
    const z = auth ? bare(auth.name) : undefined;
    if (z !== undefined && (n === z || n.endsWith(`.${z}`))) return { ok: true, value: z };
  }
  return { ok: false, error: `cannot find the zone of ${name}: bootstrap ${where} returned no SOA for it or its parents` };
}

export async function findNameServers(
  bootstrap: ServerAddress,
  zone: string,
  port: number,
  family: 'any' | 'ipv4' | 'ipv6',
  opts: QueryOptions,
): Promise<Discovery<{ servers: NameServer[]; unresolved: string[] }>> {
  const where = formatServerAddress(bootstrap);
  const r = await queryServer(bootstrap, { name: zone, type: 'NS', recursionDesired: true }, opts);
  if (!r.ok) return { ok: false, error: `cannot list the name servers of ${zone}: bootstrap ${r.error}` };
  const names = [
    ...new Set((r.packet.answers ?? []).flatMap((a) => (a.type === 'NS' && bare(a.name) === zone ? [bare(a.data)] : []))),
  ];
  if (names.length === 0) return { ok: false, error: `no NS records for ${zone} at bootstrap ${where} (${r.rcode})` };
  const types: ('A' | 'AAAA')[] = family === 'ipv4' ? ['A'] : family === 'ipv6' ? ['AAAA'] : ['A', 'AAAA'];
  const addrs = new Map<string, Set<string>>(names.map((n) => [n, new Set<string>()]));
  for (const a of r.packet.additionals ?? []) {
    if ((a.type === 'A' || a.type === 'AAAA') && types.includes(a.type)) addrs.get(bare(a.name))?.add(a.data);
  }
  const lookup = async (server: ServerAddress, n: string, rd: boolean): Promise<void> => {
    const outs = await Promise.all(types.map((type) => queryServer(server, { name: n, type, recursionDesired: rd }, opts)));
    for (const o of outs) {
      if (!o.ok || o.rcode !== 'NOERROR') continue;
      for (const a of o.packet.answers ?? []) if ((a.type === 'A' || a.type === 'AAAA') && bare(a.name) === n) addrs.get(n)!.add(a.data);
    }
  };
  const missing = (): string[] => names.filter((n) => addrs.get(n)!.size === 0);
  await Promise.all(missing().map((n) => lookup(bootstrap, n, true)));
  // Still unknown: ask the zone's own servers found so far (an in-zone name without glue).
  const known = (): NameServer[] =>
    names.flatMap((n) => [...addrs.get(n)!].map((ip) => ({ name: n, address: { host: ip, port, family: (ip.includes(':') ? 6 : 4) as 4 | 6 } })));
  for (const n of missing()) {
    for (const s of known()) {
      await lookup(s.address, n, false);
      if (addrs.get(n)!.size > 0) break;
    }
  }
  return { ok: true, value: { servers: known(), unresolved: missing() } };
}
