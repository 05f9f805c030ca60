/**
 * Opens the TCP (and optionally TLS) connection a probe talks over, timing each phase: DNS
 * lookup, TCP connect, TLS handshake. The http check hands the finished socket to node:http,
 * so the request is only written once the peer's certificate has been judged: with tlsVerify
 * on, nothing (headers, credentials) is sent to a peer we do not trust.
 */
import net from 'node:net';
import tls from 'node:tls';
import { performance } from 'node:perf_hooks';
import { summarizeCertificate, type CertificateSummary } from './certificate.js';
import { ProbeFailure, type ProbeDeadline, type ProbePhase } from './probe-deadline.js';

export interface TlsConnectOptions {
  /** SNI and the name the certificate must match; default the host. */
  serverName?: string;
  /** Trusted CA certificates (PEM) instead of the system store. */
  ca?: string | Buffer;
  /** When false, any certificate is accepted (its expiry is still reported). */
  verify: boolean;
  alpnProtocols?: string[];
}

export interface ConnectionTarget {
  /** Host name or IP literal, without IPv6 brackets. */
  host: string;
  port: number;
  tls?: TlsConnectOptions;
}

export interface ConnectionTimings {
  /** DNS lookup; 0 when the host is an IP literal. */
  dnsMs: number;
  /** TCP handshake, after the lookup. */
  connectMs: number;
  /** TLS handshake, after the TCP connect; undefined without TLS. */
  tlsMs?: number;
}

export interface OpenedConnection {
  socket: net.Socket;
  timings: ConnectionTimings;
  /** performance.now() when the connection was ready for data. */
  readyAt: number;
  certificate?: CertificateSummary;
  remoteAddress?: string;
}

/** "host:port", with brackets for IPv6 literals. */
export function hostPort(host: string, port: number): string {
  return net.isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
}

const CERT_REASONS: Record<string, string> = {
  DEPTH_ZERO_SELF_SIGNED_CERT: 'self-signed certificate',
  SELF_SIGNED_CERT_IN_CHAIN: 'self-signed certificate in the chain',
  CERT_HAS_EXPIRED: 'certificate has expired',
  CERT_NOT_YET_VALID: 'certificate is not yet valid',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'issuer of the certificate is not trusted (incomplete chain, or a private CA: see tls.caFile)',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'issuer of the certificate is not trusted (incomplete chain, or a private CA: see tls.caFile)',
  UNABLE_TO_GET_ISSUER_CERT: 'issuer of the certificate is not trusted',
  CERT_REVOKED: 'certificate has been revoked',
  CERT_SIGNATURE_FAILURE: 'certificate signature is invalid',
};

function errorCode(err: unknown): string | undefined {
  if (err instanceof AggregateError) {
    // Happy-eyeballs tries several addresses; the first error names the cause well enough.
    return errorCode(err.errors[0]) ?? (err as { code?: string }).code;
  }
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

function errorText(err: unknown): string {
  if (err instanceof AggregateError && err.errors[0] instanceof Error) return err.errors[0].message;
  return err instanceof Error ? err.message : String(err);
}

/**
 * Turns a socket error into the one line a human reads: "connection refused by 127.0.0.1:9",
 * "cannot resolve no-such.example (ENOTFOUND)". `phase` is what the probe was doing.
 */
export function describeSocketError(err: unknown, target: ConnectionTarget, phase: ProbePhase): string {
  const where = hostPort(target.host, target.port);
  const code = errorCode(err);
  switch (code) {
    case 'ECONNREFUSED':
      return `connection refused by ${where}`;
    case 'ENOTFOUND':
    case 'EAI_NONAME':
    case 'EAI_NODATA':
      return `cannot resolve host name ${target.host} (${code})`;
    case 'EAI_AGAIN':
      return `cannot resolve host name ${target.host}: DNS server did not answer (EAI_AGAIN)`;
    case 'ECONNRESET':
    case 'EPIPE':
      return `connection reset by ${where} while ${phase}`;
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'EADDRNOTAVAIL':
      return `${where} is unreachable (${code})`;
    case 'ETIMEDOUT':
      return `connection to ${where} timed out in the network stack (ETIMEDOUT)`;
    default:
      break;
  }
  if (phase === 'doing the TLS handshake' || (code !== undefined && code.startsWith('ERR_SSL'))) {
    return `TLS handshake with ${where} failed: ${errorText(err)}`;
  }
  return `${errorText(err)}${code ? ` (${code})` : ''} while ${phase} with ${where}`;
}

/** The certificate problem in words, recomputing the host-name mismatch text node only gives as a code. */
function describeAuthorizationError(socket: tls.TLSSocket, hostname: string): string {
  const code = String(socket.authorizationError ?? 'unknown verification error');
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    const err = tls.checkServerIdentity(hostname, socket.getPeerCertificate());
    return err ? err.message : `certificate does not match ${hostname}`;
  }
  return CERT_REASONS[code] ? `${CERT_REASONS[code]} (${code})` : code;
}

/**
 * Connects to `target` within `deadline`. Rejects with a ProbeFailure (never another error):
 * refused, unresolvable, reset, TLS failure, untrusted certificate, timeout.
 */
export async function openConnection(target: ConnectionTarget, deadline: ProbeDeadline, label = hostPort(target.host, target.port)): Promise<OpenedConnection> {
  const started = performance.now();
  const isLiteral = net.isIP(target.host) !== 0;
  let lookedUpAt = isLiteral ? started : undefined;
  let connectedAt: number | undefined;
  deadline.phase = isLiteral ? 'connecting' : 'resolving the host name';
  deadline.throwIfAborted(label);

  // Only the phases that completed: a refused connection has a DNS time but no connect time.
  const timings = (): { dnsMs?: number; connectMs?: number } => ({
    dnsMs: lookedUpAt === undefined ? undefined : lookedUpAt - started,
    connectMs: connectedAt === undefined ? undefined : connectedAt - (lookedUpAt ?? started),
  });
  const doneTimings = (): ConnectionTimings => ({ dnsMs: timings().dnsMs ?? 0, connectMs: timings().connectMs ?? 0 });

  const raw = net.connect({ host: target.host, port: target.port });
  let current: net.Socket = raw;
  // Kept for the socket's whole life: an error after we hand the socket on must never crash the process.
  raw.on('error', () => undefined);

  return new Promise<OpenedConnection>((resolve, reject) => {
    let settled = false;
    const finish = (outcome: { ok: OpenedConnection } | { fail: ProbeFailure }) => {
      if (settled) return;
      settled = true;
      deadline.signal.removeEventListener('abort', onAbort);
      if ('ok' in outcome) {
        resolve(outcome.ok);
      } else {
        current.destroy();
        raw.destroy();
        reject(outcome.fail);
      }
    };
    const onAbort = () => finish({ fail: deadline.abortFailure(label, { timings: timings() }) });
    const onError = (err: unknown) => {
      if (deadline.aborted) return onAbort();
      finish({ fail: new ProbeFailure('critical', describeSocketError(err, target, deadline.phase), { cause: err, timings: timings() }) });
    };
    deadline.signal.addEventListener('abort', onAbort, { once: true });
    raw.once('error', onError);
    raw.once('lookup', (err) => {
      lookedUpAt = performance.now();
      if (!err) deadline.phase = 'connecting';
    });
    raw.once('connect', () => {
      connectedAt = performance.now();
      if (!target.tls) {
        finish({ ok: { socket: raw, timings: doneTimings(), readyAt: connectedAt, remoteAddress: raw.remoteAddress } });
        return;
      }
      deadline.phase = 'doing the TLS handshake';
      const serverName = target.tls.serverName ?? target.host;
      const secure = tls.connect({
        socket: raw,
        host: serverName,
        // RFC 6066 forbids IP literals as SNI; the certificate is still matched against them.
        servername: net.isIP(serverName) ? undefined : serverName,
        ca: target.tls.ca,
        // Judged below, so that we can still read the certificate of a peer we do not trust.
        rejectUnauthorized: false,
        ALPNProtocols: target.tls.alpnProtocols,
      });
      current = secure;
      secure.on('error', () => undefined);
      secure.once('error', onError);
      secure.once('secureConnect', () => {
        const readyAt = performance.now();
        const certificate = summarizeCertificate(secure.getPeerCertificate(true));
        const t: ConnectionTimings = { ...doneTimings(), tlsMs: readyAt - (connectedAt ?? readyAt) };
        if (target.tls?.verify && !secure.authorized) {
          const why = describeAuthorizationError(secure, serverName);
          finish({ fail: new ProbeFailure('critical', `TLS certificate of ${hostPort(target.host, target.port)} is not trusted: ${why}`, { certificate, timings: t }) });
          return;
        }
        finish({ ok: { socket: secure, timings: t, readyAt, certificate, remoteAddress: raw.remoteAddress } });
      });
    });
  });
}
