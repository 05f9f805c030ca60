import { describe, expect, it } from 'vitest';
import { tcpCheck } from './index.js';

function firstIssue(spec: unknown): { path: string; message: string } | undefined {
  const r = tcpCheck.specSchema.safeParse(spec);
  if (r.success) return undefined;
  const i = r.error.issues[0]!;
  return { path: i.path.join('.'), message: i.message };
}

describe('tcp check spec', () => {
  it('accepts a banner check and fills the defaults', () => {
    const spec = tcpCheck.specSchema.parse({ type: 'tcp', host: 'mail.example.com', port: 25, expect: { bannerMatches: '^220 ' }, quit: 'QUIT\r\n' });
    expect(spec).toMatchObject({ interval: '60s', timeout: '10s', tlsVerify: true, maxReadBytes: 65536 });
    expect(spec.tls).toBeUndefined();
    expect(tcpCheck.targetHost(spec)).toBe('mail.example.com');
  });

  it('turns `tls: true` into TLS with default thresholds, and `false` into none', () => {
    expect(tcpCheck.specSchema.parse({ type: 'tcp', host: 'h', port: 993, tls: true }).tls).toEqual({ expiryWarning: '14d', expiryCritical: '7d' });
    expect(tcpCheck.specSchema.parse({ type: 'tcp', host: 'h', port: 993, tls: false }).tls).toBeUndefined();
    expect(tcpCheck.specSchema.parse({ type: 'tcp', host: 'h', port: 993, tls: { expiryWarning: '30d' } }).tls).toEqual({ expiryWarning: '30d', expiryCritical: '7d' });
  });

  it('names the bad field', () => {
    expect(firstIssue({ type: 'tcp', host: 'h', port: 70000 })?.path).toBe('port');
    expect(firstIssue({ type: 'tcp', port: 22 })?.path).toBe('host');
    expect(firstIssue({ type: 'tcp', host: 'h', port: 22, expect: { bannerMatches: '(' } })).toEqual({ path: 'expect.bannerMatches', message: expect.stringMatching(/^not a valid regular expression/) });
    expect(firstIssue({ type: 'tcp', host: 'h', port: 22, expect: { banner: 'SSH' } })?.path).toBe('expect');
    expect(firstIssue({ type: 'tcp', host: 'h', port: 993, tls: { expiryWarning: 'soon' } })?.path).toBe('tls.expiryWarning');
    expect(firstIssue({ type: 'tcp', host: 'h', port: 993, tls: { expiryWarning: '1d', expiryCritical: '2d' } })?.path).toBe('tls.expiryCritical');
  });
});
