/**
 * The certificate a TLS peer presented, reduced to what a check reports, and the expiry rule:
 * days left against warning / critical thresholds. The earliest expiry in the presented chain
 * counts (an intermediate that expires breaks the site as surely as the leaf).
 */
import type { DetailedPeerCertificate, PeerCertificate } from 'node:tls';
import type { CheckMetric, CheckStatus } from '../../../core/check-result.js';
import { parseDurationMs } from '../../../core/duration.js';
import type { TlsOptions } from './tls-options.js';

export interface CertificateSummary {
  /** Subject of the certificate that expires first, e.g. "CN=shop.example.com". */
  subject: string;
  issuer: string;
  /** Epoch ms. */
  validFrom: number;
  /** Epoch ms of the earliest notAfter in the chain. */
  validTo: number;
  subjectAltName?: string;
  fingerprint256?: string;
  /** How many certificates the peer's chain had. */
  chainLength: number;
}

const DAY_MS = 24 * 3600_000;

function distinguishedName(name: PeerCertificate['subject'] | undefined): string {
  if (!name) return '';
  return Object.entries(name)
    .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('+') : String(v)}`)
    .join(', ');
}

/**
 * Summarises `getPeerCertificate(true)`; undefined when the peer sent none. Walks issuer links
 * until a certificate repeats (the root points to itself).
 */
export function summarizeCertificate(leaf: DetailedPeerCertificate | PeerCertificate | undefined): CertificateSummary | undefined {
  if (!leaf || !leaf.valid_to) return undefined;
  const seen = new Set<string>();
  let earliest: PeerCertificate = leaf;
  let latestStart = Date.parse(leaf.valid_from);
  let node: DetailedPeerCertificate | undefined = leaf as DetailedPeerCertificate;
  let chainLength = 0;
  while (node && node.valid_to && !seen.has(node.fingerprint256)) {
    seen.add(node.fingerprint256);
    chainLength++;
    if (Date.parse(node.valid_to) < Date.parse(earliest.valid_to)) earliest = node;
    latestStart = Math.max(latestStart, Date.parse(node.valid_from));
    node = node.issuerCertificate;
  }
  return {
    subject: distinguishedName(earliest.subject),
    issuer: distinguishedName(earliest.issuer),
    validFrom: latestStart,
    validTo: Date.parse(earliest.valid_to),
    subjectAltName: leaf.subjectaltname,
    fingerprint256: earliest.fingerprint256,
    chainLength,
  };
}

export interface CertificateVerdict {
  status: CheckStatus;
  /** "certificate CN=x expires in 2.9 days on 2026-03-01 (critical within 7d)"; always set. */
  message: string;
  metric: CheckMetric;
  daysLeft: number;
}

/** "5 hours" under a day, "2.9 days" under ten, whole days above; the sign is the caller's business. */
export function formatDays(days: number): string {
  const abs = Math.abs(days);
  if (abs < 1) {
    const hours = Math.round(abs * 24);
    return hours < 1 ? 'less than an hour' : `${hours} ${hours === 1 ? 'hour' : 'hours'}`;
  }
  const n = abs < 10 ? Number(abs.toFixed(1)) : Math.round(abs);
  return `${n} ${n === 1 ? 'day' : 'days'}`;
}

/** Applies expiryWarning / expiryCritical to the certificate at time `now`. */
export function evaluateCertificateExpiry(cert: CertificateSummary, tls: Pick<TlsOptions, 'expiryWarning' | 'expiryCritical'>, now: number): CertificateVerdict {
  const warnMs = parseDurationMs(tls.expiryWarning) ?? 0;
  const critMs = parseDurationMs(tls.expiryCritical) ?? 0;
  const leftMs = cert.validTo - now;
  const daysLeft = leftMs / DAY_MS;
  const on = new Date(cert.validTo).toISOString().slice(0, 10);
  const metric: CheckMetric = {
    name: 'cert_expiry_days',
    value: Number(daysLeft.toFixed(3)),
    unit: 'days',
    // Nagios range "N:" = alert when below N.
    warn: `${Number((warnMs / DAY_MS).toFixed(3))}:`,
    crit: `${Number((critMs / DAY_MS).toFixed(3))}:`,
  };
  const who = cert.subject ? `certificate ${cert.subject}` : 'certificate';
  if (cert.validFrom > now) {
    return { status: 'critical', daysLeft, metric, message: `${who} is not valid until ${new Date(cert.validFrom).toISOString()}` };
  }
  if (leftMs <= 0) {
    return { status: 'critical', daysLeft, metric, message: `${who} expired ${formatDays(daysLeft)} ago on ${on}` };
  }
  if (leftMs <= critMs) {
    return { status: 'critical', daysLeft, metric, message: `${who} expires in ${formatDays(daysLeft)} on ${on} (critical within ${tls.expiryCritical})` };
  }
  if (leftMs <= warnMs) {
    return { status: 'warning', daysLeft, metric, message: `${who} expires in ${formatDays(daysLeft)} on ${on} (warning within ${tls.expiryWarning})` };
  }
  return { status: 'ok', daysLeft, metric, message: `certificate valid for ${formatDays(daysLeft)}` };
}
