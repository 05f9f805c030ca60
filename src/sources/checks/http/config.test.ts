import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { httpCheck } from './index.js';

const EXAMPLE = `
apiVersion: kansoku/v1
kind: Check
metadata: {name: shop-top, labels: {service: shop, env: prod}}
spec:
  type: http
  url: https://shop.example.com/
  interval: 30s
  timeout: 10s
  attempts: 3
  severity: critical
  expect: {status: [200], bodyContains: "Add to cart", bodyNotContains: "Traceback"}
`;

function issues(spec: unknown): { path: string; message: string }[] {
  const r = httpCheck.specSchema.safeParse(spec);
  if (r.success) return [];
  return r.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
}

const base = { type: 'http', url: 'https://shop.example.com/' };

describe('http check spec', () => {
  it('accepts the documented example and fills the defaults', () => {
    const doc = parseYaml(EXAMPLE) as { spec: unknown };
    const spec = httpCheck.specSchema.parse(doc.spec);
    expect(spec).toMatchObject({
      type: 'http',
      url: 'https://shop.example.com/',
      interval: '30s',
      method: 'GET',
      followRedirects: true,
      maxRedirects: 5,
      tlsVerify: true,
      maxBodyBytes: 1024 * 1024,
      tls: { expiryWarning: '14d', expiryCritical: '7d' },
      expect: { status: [200], bodyContains: 'Add to cart', bodyNotContains: 'Traceback' },
    });
    expect(httpCheck.targetHost(spec)).toBe('shop.example.com');
  });

  it('accepts every assertion form', () => {
    const spec = httpCheck.specSchema.parse({
      ...base,
      method: 'POST',
      headers: { Authorization: 'Bearer x', 'Content-Type': 'application/json' },
      body: '{"q":1}',
      followRedirects: false,
      maxRedirects: 0,
      tlsVerify: false,
      maxBodyBytes: 4096,
      tls: { expiryWarning: '30d', expiryCritical: '7d', serverName: 'shop.example.com', caFile: '/etc/ssl/private-ca.pem' },
      expect: {
        status: [200, '3xx'],
        bodyContains: ['a', 'b'],
        bodyNotContains: ['Traceback', 'Fatal error'],
        bodyMatches: 'Add to (cart|basket)',
        bodyNotMatches: ['DEBUG\\s*=\\s*True'],
        json: [{ path: '$.status', equals: 'ok' }, { path: '$.items[0].id', gte: 1 }, { path: '$.debug', exists: false }, { path: '$.obj', equals: { a: [1, null] } }],
        headers: [{ name: 'X-Debug-Token', absent: true }, { name: 'content-type', contains: 'json' }],
        maxResponseTime: '2s',
        responseTimeWarning: '800ms',
      },
    });
    expect(spec.expect.json).toHaveLength(4);
  });

  it('names the field of each bad value', () => {
    expect(issues({ ...base, expect: { status: [200, 999] } })[0]?.path).toBe('expect.status.1');
    expect(issues({ ...base, expect: { status: ['20x'] } })).toEqual([{ path: 'expect.status.0', message: expect.stringContaining('') }]);
    expect(issues({ ...base, url: 'ftp://shop.example.com/' })).toEqual([{ path: 'url', message: 'expected an http:// or https:// URL' }]);
    expect(issues({ ...base, method: 'FETCH' })[0]?.path).toBe('method');
    expect(issues({ ...base, maxRedirects: -1 })[0]?.path).toBe('maxRedirects');
    expect(issues({ ...base, maxBodyBytes: 0 })[0]?.path).toBe('maxBodyBytes');
    expect(issues({ ...base, interval: '30 seconds' })[0]?.path).toBe('interval');
    expect(issues({ ...base, expect: { maxResponseTime: 'fast' } })[0]?.path).toBe('expect.maxResponseTime');
    expect(issues({ ...base, headers: { 'Bad Header': 'x' } })[0]?.path).toBe('headers.Bad Header');
  });

  it('rejects regular expressions that do not compile, at the entry that is wrong', () => {
    const [issue] = issues({ ...base, expect: { bodyNotMatches: ['ok', 'Trace(back'] } });
    expect(issue?.path).toBe('expect.bodyNotMatches.1');
    expect(issue?.message).toMatch(/^not a valid regular expression: /);
    expect(issues({ ...base, expect: { headers: [{ name: 'server', matches: '[' }] } })[0]?.path).toBe('expect.headers.0.matches');
  });

  it('rejects JSON paths outside the supported subset', () => {
    const [issue] = issues({ ...base, expect: { json: [{ path: '$.ok' }, { path: '$.items[*].id', exists: true }] } });
    expect(issue?.path).toBe('expect.json.1.path');
    expect(issue?.message).toContain('no wildcards or filters');
    expect(issues({ ...base, expect: { json: [{ path: 'status' }] } })[0]?.message).toContain('must start with "$"');
  });

  it('rejects unknown fields instead of ignoring a typo', () => {
    const found = issues({ ...base, expect: { bodyContain: 'x' } });
    expect(found).toHaveLength(1);
    expect(found[0]?.path).toBe('expect');
    expect(found[0]?.message).toContain('bodyContain');
    expect(issues({ ...base, folowRedirects: true })[0]?.message).toContain('folowRedirects');
  });

  it('requires expiryCritical not to exceed expiryWarning', () => {
    expect(issues({ ...base, tls: { expiryWarning: '7d', expiryCritical: '30d' } })).toEqual([
      { path: 'tls.expiryCritical', message: 'expiryCritical (30d) must not be longer than expiryWarning (7d)' },
    ]);
  });

  it('returns the bare host of IPv6 URLs', () => {
    const spec = httpCheck.specSchema.parse({ ...base, url: 'http://[::1]:8080/health' });
    expect(httpCheck.targetHost(spec)).toBe('::1');
  });
});
