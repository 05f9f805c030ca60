/**
 * One DNS question to one server, straight over the wire (UDP, or TCP with the 2-byte length
 * prefix of RFC 1035 4.2.2) — never through the system resolver or its cache.
 *
 * UDP: EDNS0 with a 1232-byte payload (the DNS Flag Day 2020 size); one resend halfway through
 * the time budget, since a single lost datagram should not read as an outage; a truncated (TC)
 * answer is asked again over TCP. The UDP socket is connected, so only the queried server's
 * datagrams are accepted and an ICMP port-unreachable shows up as "connection refused".
 * Results are data: a server that does not answer is `{ ok: false }`, not an exception.
 */
import { randomInt } from 'node:crypto';
import dgram from 'node:dgram';
import net from 'node:net';
import * as dnsPacket from 'dns-packet';
import { formatServerAddress, type ServerAddress } from './server-address.js';

export type DnsRecordType = 'A' | 'AAAA' | 'CNAME' | 'MX' | 'TXT' | 'NS' | 'SOA' | 'SRV' | 'CAA' | 'PTR';

export interface DnsQuestion {
  name: string;
  type: DnsRecordType;
  recursionDesired: boolean;
}

export type DnsTransport = 'udp' | 'tcp';

export type QueryOutcome =
  | { ok: true; packet: dnsPacket.DecodedPacket; rcode: string; rttMs: number; via: DnsTransport; truncatedUdp: boolean }
  | { ok: false; kind: 'timeout' | 'refused' | 'network' | 'malformed' | 'aborted'; error: string; via: DnsTransport };

const RCODES = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED', 'YXDOMAIN', 'YXRRSET', 'NXRRSET', 'NOTAUTH', 'NOTZONE'];

export function rcodeName(flags: number | undefined): string {
  const code = (flags ?? 0) & 0xf;
  return RCODES[code] ?? `RCODE${code}`;
}

function buildQuery(q: DnsQuestion, id: number): dnsPacket.Packet {
  return {
    type: 'query',
    id,
    flags: q.recursionDesired ? dnsPacket.RECURSION_DESIRED : 0,
    questions: [{ type: q.type, name: q.name, class: 'IN' }],
    additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 1232, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] }],
  };
}

/** A reply belongs to our query when id and question match (RFC 5452 §9.1). */
function matches(reply: dnsPacket.DecodedPacket, q: DnsQuestion, id: number): boolean {
  if (reply.id !== id || reply.type !== 'response') return false;
  const rq = reply.questions?.[0];
  // Some servers (REFUSED, FORMERR) omit the question; the id (and, for UDP, the connected peer) then decides.
  if (!rq) return true;
  return rq.name.toLowerCase() === q.name.toLowerCase().replace(/\.$/, '') && rq.type === q.type;
}

function errnoKind(err: NodeJS.ErrnoException): 'refused' | 'network' {
  return err.code === 'ECONNREFUSED' ? 'refused' : 'network';
}

function describeErr(server: ServerAddress, via: DnsTransport, err: NodeJS.ErrnoException): string {
  const where = `${formatServerAddress(server)}/${via}`;
  if (err.code === 'ECONNREFUSED') return `${where}: connection refused (no DNS server listens there)`;
  if (err.code === 'ECONNRESET') return `${where}: connection reset by the server`;
  return `${where}: ${err.code ?? ''} ${err.message}`.trim();
}

function queryUdp(server: ServerAddress, q: DnsQuestion, timeoutMs: number, signal: AbortSignal): Promise<QueryOutcome> {
  const id = randomInt(0x10000); // unpredictable ids make spoofed replies harder (RFC 5452)
  const msg = dnsPacket.encode(buildQuery(q, id));
  return new Promise((resolve) => {
    const sock = dgram.createSocket(server.family === 6 ? 'udp6' : 'udp4');
    let done = false;
    let sentAt = 0;
    const finish = (o: QueryOutcome): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      clearTimeout(resend);
      signal.removeEventListener('abort', onAbort);
      sock.close();
      resolve(o);
    };
    const onAbort = (): void => finish({ ok: false, kind: 'aborted', error: 'query cancelled', via: 'udp' });
    const timer = setTimeout(
      () => finish({ ok: false, kind: 'timeout', error: `${formatServerAddress(server)} did not answer within ${Math.round(timeoutMs)} ms (udp)`, via: 'udp' }),
      timeoutMs,
    );
    let resend: NodeJS.Timeout | undefined;
    sock.on('error', (err: NodeJS.ErrnoException) => finish({ ok: false, kind: errnoKind(err), error: describeErr(server, 'udp', err), via: 'udp' }));
    sock.on('message', (buf) => {
      let reply: dnsPacket.DecodedPacket;
      try {
        reply = dnsPacket.decode(buf);
      } catch {
        return; // garbage: keep waiting for a real answer until the deadline
      }
      if (!matches(reply, q, id)) return;
      finish({ ok: true, packet: reply, rcode: rcodeName(reply.flags), rttMs: performance.now() - sentAt, via: 'udp', truncatedUdp: reply.flag_tc });
    });
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    sock.connect(server.port, server.host, () => {
      if (done) return;
      sentAt = performance.now();
      sock.send(msg);
      resend = setTimeout(() => {
        if (!done) sock.send(msg);
      }, timeoutMs / 2);
    });
  });
}

function queryTcp(server: ServerAddress, q: DnsQuestion, timeoutMs: number, signal: AbortSignal): Promise<QueryOutcome> {
  const id = randomInt(0x10000); // unpredictable ids make spoofed replies harder (RFC 5452)
  const msg = dnsPacket.streamEncode(buildQuery(q, id));
  return new Promise((resolve) => {
    const started = performance.now();
    const sock = net.connect({ host: server.host, port: server.port });
    let buf = Buffer.alloc(0);
    let done = false;
    const finish = (o: QueryOutcome): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      sock.destroy();
      resolve(o);
    };
    const onAbort = (): void => finish({ ok: false, kind: 'aborted', error: 'query cancelled', via: 'tcp' });
    const timer = setTimeout(
      () => finish({ ok: false, kind: 'timeout', error: `${formatServerAddress(server)} did not answer within ${Math.round(timeoutMs)} ms (tcp)`, via: 'tcp' }),
      timeoutMs,
    );
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    sock.on('connect', () => sock.write(msg));
    sock.on('error', (err: NodeJS.ErrnoException) => finish({ ok: false, kind: errnoKind(err), error: describeErr(server, 'tcp', err), via: 'tcp' }));
    sock.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const len = buf.readUInt16BE(0);
        const body = buf.subarray(2, 2 + len);
        buf = buf.subarray(2 + len);
        let reply: dnsPacket.DecodedPacket;
        try {
          reply = dnsPacket.decode(body);
        } catch (err) {
          finish({ ok: false, kind: 'malformed', error: `${formatServerAddress(server)} sent a malformed DNS message (tcp): ${(err as Error).message}`, via: 'tcp' });
          return;
        }
        if (matches(reply, q, id)) {
          finish({ ok: true, packet: reply, rcode: rcodeName(reply.flags), rttMs: performance.now() - started, via: 'tcp', truncatedUdp: false });
          return;
        }
      }
    });
    sock.on('end', () =>
      finish({ ok: false, kind: 'network', error: `${formatServerAddress(server)} closed the TCP connection without answering`, via: 'tcp' }),
    );
  });
}

export interface QueryOptions {
  transport: DnsTransport;
  /** Epoch of performance.now() after which no more time may be spent. */
  deadline: number;
  signal: AbortSignal;
}

/** Asks one server one question; falls back from UDP to TCP when the UDP answer is truncated. */
export async function queryServer(server: ServerAddress, q: DnsQuestion, opts: QueryOptions): Promise<QueryOutcome> {
  const remaining = (): number => Math.max(1, opts.deadline - performance.now());
  if (opts.transport === 'tcp') return queryTcp(server, q, remaining(), opts.signal);
  const udp = await queryUdp(server, q, remaining(), opts.signal);
  if (!udp.ok || !udp.packet.flag_tc) return udp;
  const tcp = await queryTcp(server, q, remaining(), opts.signal);
  if (tcp.ok) return { ...tcp, truncatedUdp: true };
  return { ...tcp, error: `answer was truncated over UDP and TCP failed: ${tcp.error}` };
}
