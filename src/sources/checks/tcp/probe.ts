/**
 * The tcp probe: connect (optionally TLS), optionally send a line, optionally wait for a banner
 * that contains / matches what the spec expects, optionally say goodbye, close. Like Nagios
 * check_tcp: a refused port is CRITICAL "connection refused"; a wrong or missing banner is
 * CRITICAL with what the peer did send.
 */
import type net from 'node:net';
import { performance } from 'node:perf_hooks';
import { worstStatus, type CheckMetric, type CheckResult, type CheckStatus } from '../../../core/check-result.js';
import type { CheckRunContext } from '../check-type.js';
import { evaluateCertificateExpiry, type CertificateSummary } from './certificate.js';
import type { TcpCheckSpec } from './config.js';
import { describeSocketError, hostPort, openConnection, type ConnectionTarget } from './connection.js';
import { connectionMetrics, msMetric } from './metrics.js';
import { ProbeDeadline, ProbeFailure, type ProbeFailureDetails } from './probe-deadline.js';
import { excerpt, formatBytes, formatElapsedMs, quote } from './probe-text.js';
import { DEFAULT_TLS_OPTIONS, readCaFile } from './tls-options.js';

interface ReadOutcome {
  data: Buffer;
  /** performance.now() of the first byte, if any came. */
  firstByteAt?: number;
  end: 'matched' | 'closed' | 'limit';
}

/** Writes `text` and resolves once it is handed to the kernel. */
function writeText(socket: net.Socket, text: string, deadline: ProbeDeadline, target: ConnectionTarget, label: string): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.write(text, (err) => {
      if (!err) return resolve();
      reject(deadline.aborted ? deadline.abortFailure(label) : new ProbeFailure('critical', describeSocketError(err, target, deadline.phase), { cause: err }));
    });
  });
}

/** Reads until `isDone(text)` holds, the peer closes, `limit` bytes arrive, or the deadline ends. */
function readUntil(socket: net.Socket, isDone: (text: string) => boolean, limit: number, deadline: ProbeDeadline, target: ConnectionTarget, label: string): Promise<ReadOutcome> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let firstByteAt: number | undefined;
    const data = () => Buffer.concat(chunks).subarray(0, limit);
    const cleanup = () => {
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('close', onEnd);
      socket.off('error', onError);
      deadline.signal.removeEventListener('abort', onAbort);
    };
    const done = (end: ReadOutcome['end']) => {
      cleanup();
      socket.pause();
      resolve({ data: data(), firstByteAt, end });
    };
    const onData = (chunk: Buffer) => {
      firstByteAt ??= performance.now();
      chunks.push(chunk);
      size += chunk.length;
      if (isDone(data().toString('utf8'))) return done('matched');
      if (size >= limit) done('limit');
    };
    const onEnd = () => done('closed');
    const onError = (err: unknown) => {
      cleanup();
      reject(new ProbeFailure('critical', describeSocketError(err, target, deadline.phase), { cause: err, received: data() }));
    };
    const onAbort = () => {
      cleanup();
      reject(deadline.abortFailure(label, { received: data() }));
    };
    if (deadline.aborted) return onAbort();
    socket.on('data', onData);
    socket.once('end', onEnd);
    socket.once('close', onEnd);
    socket.once('error', onError);
    deadline.signal.addEventListener('abort', onAbort, { once: true });
    socket.resume();
  });
}

/** Describes what the spec expects, for messages: `contain "220"` / `match /^SSH-/`. */
function expectation(spec: TcpCheckSpec): string {
  const parts: string[] = [];
  if (spec.expect?.bannerContains !== undefined) parts.push(`contain ${quote(spec.expect.bannerContains)}`);
  if (spec.expect?.bannerMatches !== undefined) parts.push(`match /${spec.expect.bannerMatches}/`);
  return parts.join(' and ');
}

/** The satisfied expectation, for OK messages: `banner contains "220"`. */
function satisfied(spec: TcpCheckSpec): string {
  const parts: string[] = [];
  if (spec.expect?.bannerContains !== undefined) parts.push(`contains ${quote(spec.expect.bannerContains)}`);
  if (spec.expect?.bannerMatches !== undefined) parts.push(`matches /${spec.expect.bannerMatches}/`);
  return `banner ${parts.join(' and ')}`;
}

function bannerSatisfies(spec: TcpCheckSpec, text: string): boolean {
  const e = spec.expect;
  if (!e) return true;
  if (e.bannerContains !== undefined && !text.includes(e.bannerContains)) return false;
  if (e.bannerMatches !== undefined && !new RegExp(e.bannerMatches).test(text)) return false;
  return true;
}

function certificateMetricsAndVerdict(spec: TcpCheckSpec, cert: CertificateSummary | undefined, now: number) {
  if (!cert || !spec.tls) return undefined;
  return evaluateCertificateExpiry(cert, spec.tls ?? DEFAULT_TLS_OPTIONS, now);
}

export async function runTcpCheck(spec: TcpCheckSpec, cx: CheckRunContext): Promise<CheckResult> {
  const clock = cx.now ?? Date.now;
  const startedAt = clock();
  const t0 = performance.now();
  const deadline = new ProbeDeadline(cx);
  const label = hostPort(spec.host, spec.port);
  let socket: net.Socket | undefined;
  try {
    const target: ConnectionTarget = {
      host: spec.host,
      port: spec.port,
      tls: spec.tls && { serverName: spec.tls.serverName, ca: await readCaFile(spec.tls.caFile), verify: spec.tlsVerify },
    };
    const conn = await openConnection(target, deadline, label);
    socket = conn.socket;
    const metrics: CheckMetric[] = connectionMetrics(conn.timings);

    if (spec.send !== undefined) {
      deadline.phase = 'sending the request';
      await writeText(socket, spec.send, deadline, target, label);
    }
    let received: Buffer | undefined;
    let bannerProblem: string | undefined;
    if (spec.expect && (spec.expect.bannerContains !== undefined || spec.expect.bannerMatches !== undefined)) {
      deadline.phase = 'waiting for the banner';
      let read: ReadOutcome;
      try {
        read = await readUntil(socket, (text) => bannerSatisfies(spec, text), spec.maxReadBytes, deadline, target, label);
      } catch (err) {
        if (err instanceof ProbeFailure && deadline.timedOut) {
          const got = err.details.received?.length ? `; got ${quote(err.details.received.toString('utf8'))}` : '; got nothing';
          throw new ProbeFailure(err.status, `${err.message} (expected it to ${expectation(spec)}${got})`, { ...err.details, certificate: conn.certificate, timings: conn.timings });
        }
        throw err;
      }
      received = read.data;
      if (read.firstByteAt !== undefined) metrics.push(msMetric('ttfb_ms', read.firstByteAt - t0));
      metrics.push({ name: 'size_bytes', value: read.data.length, unit: 'bytes', min: 0 });
      const got = read.data.length ? `got ${quote(read.data.toString('utf8'))}` : 'got nothing';
      if (read.end === 'closed') bannerProblem = `connection closed by ${label} before the banner did ${expectation(spec)}; ${got}`;
      if (read.end === 'limit') bannerProblem = `banner from ${label} does not ${expectation(spec)} within the first ${formatBytes(spec.maxReadBytes)} (maxReadBytes); ${got}`;
    }
    if (spec.quit !== undefined && !socket.destroyed) {
      deadline.phase = 'closing';
      await writeText(socket, spec.quit, deadline, target, label);
    }

    const totalMs = performance.now() - t0;
    metrics.push(msMetric('total_ms', totalMs));
    const problems: { status: CheckStatus; text: string }[] = [];
    if (bannerProblem) problems.push({ status: 'critical', text: bannerProblem });
    const cert = certificateMetricsAndVerdict(spec, conn.certificate, clock());
    if (cert) {
      metrics.push(cert.metric);
      if (cert.status !== 'ok') problems.push({ status: cert.status, text: cert.message });
    }
    const summary = `${spec.tls ? 'TLS ' : ''}connected to ${label} in ${formatElapsedMs(totalMs)}`;
    const status = problems.reduce<CheckStatus>((s, p) => worstStatus(s, p.status), 'ok');
    let message: string;
    if (problems.length === 0) {
      const extras = [received ? satisfied(spec) : undefined, cert?.message].filter((x) => x !== undefined);
      message = extras.length ? `${summary}; ${extras.join('; ')}` : summary;
    } else {
      // A banner problem already names the peer; a certificate problem needs the connection for context.
      const texts = problems.map((p) => p.text);
      message = bannerProblem ? texts.join('; ') : `${texts.join('; ')} — ${summary}`;
    }
    return {
      status,
      message,
      startedAt,
      durationMs: totalMs,
      metrics,
      evidence: status === 'ok' ? undefined : tcpEvidence(spec, received, conn.certificate),
    };
  } catch (err) {
    if (!(err instanceof ProbeFailure)) throw err;
    return failureResult(spec, err, startedAt, performance.now() - t0, clock());
  } finally {
    if (socket && !socket.destroyed) {
      const s = socket;
      s.end(() => s.destroy());
      // A peer that never reads must not keep the socket (and its buffers) alive.
      setTimeout(() => s.destroy(), 1000).unref();
    }
  }
}

function tcpEvidence(spec: TcpCheckSpec, received: Buffer | undefined, certificate: CertificateSummary | undefined) {
  return {
    target: hostPort(spec.host, spec.port),
    ...(received && received.length > 0 ? { responseExcerpt: excerpt(received.toString('utf8')) } : {}),
    ...(certificate ? { certificate } : {}),
  };
}

function failureResult(spec: TcpCheckSpec, failure: ProbeFailure, startedAt: number, durationMs: number, now: number): CheckResult {
  const d: ProbeFailureDetails = failure.details;
  const metrics: CheckMetric[] = [...connectionMetrics(d.timings), msMetric('total_ms', durationMs)];
  let message = failure.message;
  let status = failure.status;
  const cert = certificateMetricsAndVerdict(spec, d.certificate, now);
  if (cert) {
    metrics.push(cert.metric);
    if (cert.status !== 'ok') {
      status = worstStatus(status, cert.status);
      message = `${message}; ${cert.message}`;
    }
  }
  return { status, message, startedAt, durationMs, metrics, evidence: tcpEvidence(spec, d.received, d.certificate) };
}
