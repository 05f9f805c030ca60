/**
 * One HTTP/1.1 exchange over a connection we opened and timed ourselves (see tcp/connection.ts):
 * writes the request, marks the first response byte, reads the body up to a cap and stops
 * reading — and drops the connection — the moment a peer sends more, so a target that floods
 * bytes costs at most `maxBodyBytes` of memory.
 */
import http, { type IncomingHttpHeaders } from 'node:http';
import { performance } from 'node:perf_hooks';
import {
  hostPort,
  openConnection,
  ProbeFailure,
  type CertificateSummary,
  type ConnectionTimings,
  type ProbeDeadline,
  type TlsConnectOptions,
} from '../tcp/index.js';

export const USER_AGENT = 'Kansoku-check/1 (+https://github.com/kansoku)';

export interface HttpRequestPlan {
  url: URL;
  method: string;
  headers: Record<string, string>;
  body?: string;
  /** Whether to read this response's body; false for redirect hops, which only need status and Location. */
  readBody: (status: number, headers: IncomingHttpHeaders) => boolean;
  maxBodyBytes: number;
  tls?: Omit<TlsConnectOptions, 'alpnProtocols'>;
}

export interface HttpExchange {
  url: URL;
  status: number;
  statusText: string;
  httpVersion: string;
  headers: IncomingHttpHeaders;
  /** At most maxBodyBytes. */
  body: Buffer;
  /** The peer sent more than maxBodyBytes; we stopped reading. */
  truncated: boolean;
  /** Connection phases plus ttfbMs (hop start to first response byte) and totalMs (hop start to end of body). */
  timings: ConnectionTimings & { ttfbMs: number; totalMs: number };
  certificate?: CertificateSummary;
  remoteAddress?: string;
}

/** URL.hostname keeps IPv6 brackets; sockets want the bare address. */
export function bareHost(url: URL): string {
  return url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
}

function defaultPort(url: URL): number {
  return url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
}

function hasHeader(headers: Record<string, string>, name: string): boolean {
  const lower = name.toLowerCase();
  return Object.keys(headers).some((k) => k.toLowerCase() === lower);
}

/** Runs one request; rejects only with ProbeFailure (refused, TLS, timeout, garbage, cut-off body). */
export async function performExchange(plan: HttpRequestPlan, deadline: ProbeDeadline): Promise<HttpExchange> {
  const hopStart = performance.now();
  const target = { host: bareHost(plan.url), port: defaultPort(plan.url) };
  const label = plan.url.href;
  const conn = await openConnection(
    { ...target, tls: plan.url.protocol === 'https:' ? { ...(plan.tls ?? { verify: true }), alpnProtocols: ['http/1.1'] } : undefined },
    deadline,
    label,
  );
  const socket = conn.socket;
  const headers: Record<string, string> = {};
  if (!hasHeader(plan.headers, 'host')) headers.Host = plan.url.host;
  if (!hasHeader(plan.headers, 'user-agent')) headers['User-Agent'] = USER_AGENT;
  // One exchange per connection: the next run must measure a fresh connect and handshake.
  if (!hasHeader(plan.headers, 'connection')) headers.Connection = 'close';
  Object.assign(headers, plan.headers);

  return new Promise<HttpExchange>((resolve, reject) => {
    let firstByteAt: number | undefined;
    let settled = false;
    const chunks: Buffer[] = [];
    let size = 0;
    const failureDetails = (received?: Buffer) => ({ certificate: conn.certificate, timings: conn.timings, received });
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      deadline.signal.removeEventListener('abort', onAbort);
      fn();
    };
    const fail = (f: ProbeFailure) =>
      settle(() => {
        req.destroy();
        socket.destroy();
        reject(f);
      });
    const onAbort = () => fail(deadline.abortFailure(label, failureDetails(size ? Buffer.concat(chunks) : undefined)));

    deadline.phase = 'sending the request';
    const req = http.request({
      method: plan.method,
      host: target.host,
      port: target.port,
      path: `${plan.url.pathname}${plan.url.search}`,
      headers,
      setHost: false,
      createConnection: () => socket,
    });
    req.once('socket', (s) => {
      // Prepended so it runs before node's parser sees the bytes.
      s.prependOnceListener('data', () => {
        firstByteAt ??= performance.now();
        if (deadline.phase === 'waiting for the first byte' || deadline.phase === 'sending the request') deadline.phase = 'reading the response headers';
      });
    });
    req.once('finish', () => {
      if (firstByteAt === undefined) deadline.phase = 'waiting for the first byte';
    });
    req.on('error', (err: Error & { code?: string; reason?: string; rawPacket?: Buffer }) => {
      if (settled) return;
      if (deadline.aborted) return onAbort();
      const code = err.code ?? '';
      if (code.startsWith('HPE_')) {
        return fail(new ProbeFailure('critical', `invalid HTTP response from ${label}: ${err.reason ?? err.message} (${code})`, { ...failureDetails(err.rawPacket), cause: err }));
      }
      if (code === 'ECONNRESET' || code === 'EPIPE') {
        const when = firstByteAt === undefined ? 'before sending any response' : 'in the middle of the response headers';
        return fail(new ProbeFailure('critical', `connection closed by ${hostPort(target.host, target.port)} ${when} (${label})`, { ...failureDetails(), cause: err }));
      }
      fail(new ProbeFailure('critical', `request to ${label} failed while ${deadline.phase}: ${err.message}${code ? ` (${code})` : ''}`, { ...failureDetails(), cause: err }));
    });
    req.once('response', (res) => {
      firstByteAt ??= performance.now();
      deadline.phase = 'reading the body';
      const readBody = plan.readBody(res.statusCode ?? 0, res.headers);
      const done = (truncated: boolean) =>
        settle(() => {
          const end = performance.now();
          if (truncated || !readBody) {
            res.destroy();
            socket.destroy();
          }
          resolve({
            url: plan.url,
            status: res.statusCode ?? 0,
            statusText: res.statusMessage ?? '',
            httpVersion: res.httpVersion,
            headers: res.headers,
            body: Buffer.concat(chunks),
            truncated,
            timings: { ...conn.timings, ttfbMs: (firstByteAt ?? end) - hopStart, totalMs: end - hopStart },
            certificate: conn.certificate,
            remoteAddress: conn.remoteAddress,
          });
        });
      if (!readBody) return done(false);
      res.on('data', (chunk: Buffer) => {
        if (settled) return;
        const room = plan.maxBodyBytes - size;
        if (chunk.length > room) {
          chunks.push(chunk.subarray(0, room));
          size += room;
          return done(true);
        }
        chunks.push(chunk);
        size += chunk.length;
      });
      res.once('end', () => done(false));
      res.once('close', () => {
        if (settled) return;
        if (deadline.aborted) return onAbort();
        const expected = res.headers['content-length'] ? ` of ${res.headers['content-length']}` : '';
        fail(new ProbeFailure('critical', `connection closed by ${hostPort(target.host, target.port)} after ${size}${expected} body bytes of HTTP ${res.statusCode} from ${label}`, failureDetails(Buffer.concat(chunks))));
      });
      res.on('error', () => undefined);
    });
    if (deadline.aborted) return onAbort();
    deadline.signal.addEventListener('abort', onAbort, { once: true });
    req.end(plan.body);
  });
}
