import { describe, expect, it } from 'vitest';
import { validateDocument } from '../inventory/document.js';
import { KindRegistry } from '../inventory/kinds.js';
import { checkKind } from './check-kind.js';

const registry = new KindRegistry().register(checkKind);
const doc = (spec: unknown) => ({ apiVersion: 'kansoku/v1', kind: 'Check', metadata: { name: 'shop-top', labels: { service: 'shop', env: 'prod' } }, spec });
const issues = (spec: unknown) => {
  const r = validateDocument(doc(spec), registry, 'checks.yaml#1');
  return r.ok ? [] : r.issues.map((i) => `${i.path}: ${i.message}`);
};

describe('kind: Check', () => {
  it('accepts the document of the issue and fills the defaults', () => {
    const r = validateDocument(
      doc({ type: 'http', url: 'https://shop.example.com/', interval: '30s', timeout: '10s', attempts: 3, severity: 'critical', expect: { status: [200], bodyContains: 'Add to cart', bodyNotContains: 'Traceback' } }),
      registry,
      'x',
    );
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.doc.spec).toMatchObject({ type: 'http', interval: '30s', timeout: '10s', attempts: 3, method: 'GET', disabled: false, expect: { status: [200] } });
  });

  it('refuses bad specs with the field path', () => {
    expect(issues({ type: 'htp', url: 'x' })).toEqual([expect.stringMatching(/^spec\.type: expected type to be one of http, tcp, dns, icmp, command, folder, heartbeat/)]);
    expect(issues({ type: 'http', url: 'https://x/', interval: '30s', timeout: '30s' })).toEqual(['spec.timeout: timeout 30s must be shorter than interval 30s']);
    expect(issues({ type: 'http', url: 'https://x/', interval: 'soon' })[0]).toMatch(/^spec\.interval: expected a duration/);
    expect(issues({ type: 'http', url: 'https://x/', attempts: 0 })[0]).toMatch(/^spec\.attempts:/);
    expect(issues({ type: 'http', url: 'https://x/', expect: { status: [200], bodyContain: 'x' } })).toEqual(['spec.expect: unknown field "bodyContain"']);
    expect(issues({ type: 'tcp', host: '127.0.0.1', port: 80, interval: '10s', timeout: '2s', retryInterval: '1s' })).toEqual(['spec.retryInterval: retryInterval 1s must be longer than timeout 2s']);
    expect(issues({ type: 'heartbeat', period: '1h', secret: 'short' })[0]).toMatch(/^spec\.secret: use at least 16 characters/);
  });

  it('redacts a heartbeat secret', () => {
    expect(checkKind.secretPaths).toContain('secret');
  });
});
