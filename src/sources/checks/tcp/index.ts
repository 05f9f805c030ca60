/**
 * `type: tcp` checks, and the connection, deadline, certificate and wording helpers the http
 * check builds on.
 */
import type { CheckType } from '../check-type.js';
import { tcpCheckSpecSchema, type TcpCheckSpec } from './config.js';
import { runTcpCheck } from './probe.js';

export const tcpCheck: CheckType<TcpCheckSpec> = {
  type: 'tcp',
  specSchema: tcpCheckSpecSchema,
  run: runTcpCheck,
  targetHost: (spec) => spec.host,
  watchTarget: (spec) => ({ host: spec.host, port: spec.port }),
};

export { tcpCheckSpecSchema, regexSourceSchema, type TcpCheckSpec } from './config.js';
export { runTcpCheck } from './probe.js';
export { tlsOptionsSchema, readCaFile, DEFAULT_TLS_OPTIONS, type TlsOptions } from './tls-options.js';
export { evaluateCertificateExpiry, formatDays, summarizeCertificate, type CertificateSummary, type CertificateVerdict } from './certificate.js';
export { openConnection, describeSocketError, hostPort, type ConnectionTarget, type ConnectionTimings, type OpenedConnection, type TlsConnectOptions } from './connection.js';
export { ProbeDeadline, ProbeFailure, phaseJoiner, type ProbePhase, type ProbeFailureDetails } from './probe-deadline.js';
export { connectionMetrics, msMetric } from './metrics.js';
export { excerpt, formatBytes, formatElapsedMs, formatSeconds, printable, quote } from './probe-text.js';
