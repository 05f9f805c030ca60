import type { DetailedPeerCertificate } from 'node:tls';
import { describe, expect, it } from 'vitest';
import { evaluateCertificateExpiry, formatDays, summarizeCertificate, type CertificateSummary } from './certificate.js';

const DAY = 24 * 3600_000;
const NOW = Date.parse('2026-03-01T00:00:00Z');
const thresholds = { expiryWarning: '30d', expiryCritical: '7d' };

function cert(daysLeft: number, validFromDaysAgo = 60): CertificateSummary {
  return { subject: 'CN=shop.example.com', issuer: 'CN=Test CA', validFrom: NOW - validFromDaysAgo * DAY, validTo: NOW + daysLeft * DAY, chainLength: 1 };
}

describe('certificate expiry', () => {
  it('is OK, WARNING or CRITICAL by days left', () => {
    expect(evaluateCertificateExpiry(cert(90), thresholds, NOW)).toMatchObject({ status: 'ok', message: 'certificate valid for 90 days' });
    expect(evaluateCertificateExpiry(cert(20), thresholds, NOW)).toMatchObject({
      status: 'warning',
      message: 'certificate CN=shop.example.com expires in 20 days on 2026-03-21 (warning within 30d)',
    });
    const soon = evaluateCertificateExpiry(cert(3), thresholds, NOW);
    expect(soon).toMatchObject({ status: 'critical', message: 'certificate CN=shop.example.com expires in 3 days on 2026-03-04 (critical within 7d)' });
    expect(soon.metric).toEqual({ name: 'cert_expiry_days', value: 3, unit: 'days', warn: '30:', crit: '7:' });
  });

  it('is CRITICAL for an expired or not yet valid certificate', () => {
    expect(evaluateCertificateExpiry(cert(-2.5), thresholds, NOW)).toMatchObject({ status: 'critical', message: 'certificate CN=shop.example.com expired 2.5 days ago on 2026-02-26' });
    expect(evaluateCertificateExpiry(cert(90, -1), thresholds, NOW)).toMatchObject({ status: 'critical', message: expect.stringContaining('is not valid until 2026-03-02') });
  });

  it('formats days for people', () => {
    expect(formatDays(0.2)).toBe('5 hours');
    expect(formatDays(0.01)).toBe('less than an hour');
    expect(formatDays(1)).toBe('1 day');
    expect(formatDays(2.94)).toBe('2.9 days');
    expect(formatDays(364.6)).toBe('365 days');
  });

  it('takes the earliest expiry in the presented chain', () => {
    const root = { subject: { CN: 'Root' }, issuer: { CN: 'Root' }, valid_from: 'Jan  1 00:00:00 2020 GMT', valid_to: 'Jan  1 00:00:00 2040 GMT', fingerprint256: 'R' } as unknown as DetailedPeerCertificate;
    root.issuerCertificate = root;
    const intermediate = { subject: { CN: 'Intermediate', O: 'Test' }, issuer: { CN: 'Root' }, valid_from: 'Jan  1 00:00:00 2024 GMT', valid_to: 'Mar 10 00:00:00 2026 GMT', fingerprint256: 'I', issuerCertificate: root } as unknown as DetailedPeerCertificate;
    const leaf = { subject: { CN: 'shop' }, issuer: { CN: 'Intermediate' }, valid_from: 'Feb  1 00:00:00 2026 GMT', valid_to: 'May  1 00:00:00 2026 GMT', fingerprint256: 'L', subjectaltname: 'DNS:shop', issuerCertificate: intermediate } as unknown as DetailedPeerCertificate;
    expect(summarizeCertificate(leaf)).toEqual({
      subject: 'CN=Intermediate, O=Test',
      issuer: 'CN=Root',
      validFrom: Date.parse('2026-02-01T00:00:00Z'),
      validTo: Date.parse('2026-03-10T00:00:00Z'),
      subjectAltName: 'DNS:shop',
      fingerprint256: 'I',
      chainLength: 3,
    });
    expect(summarizeCertificate(undefined)).toBeUndefined();
  });
});
