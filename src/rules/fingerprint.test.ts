import { describe, expect, it } from 'vitest';
import { fingerprintLabels } from './fingerprint.js';

/** Reference FNV-1a 64 over Alertmanager's layout, in BigInt, to check the limb arithmetic. */
function reference(labels: Record<string, string>): string {
  let h = 0xcbf29ce484222325n;
  const feed = (b: number): void => {
    h ^= BigInt(b);
    h = (h * 0x100000001b3n) & 0xffffffffffffffffn;
  };
  for (const n of Object.keys(labels).sort()) {
    for (const b of Buffer.from(n)) feed(b);
    feed(0xff);
    for (const b of Buffer.from(labels[n]!)) feed(b);
    feed(0xff);
  }
  return h.toString(16).padStart(16, '0');
}

describe('alert fingerprints', () => {
  it('equal FNV-1a 64 over sorted labels with 0xff separators (Alertmanager model.Fingerprint)', () => {
    const sets: Record<string, string>[] = [{}, { a: 'b' }, { alertname: 'HostDown', instance: 'web-1:9100', severity: 'critical' }, { 監視: '観測', z: '' }];
    for (const s of sets) expect(fingerprintLabels(s)).toBe(reference(s));
    expect(fingerprintLabels({})).toBe('cbf29ce484222325');
  });

  it('does not depend on label order', () => {
    expect(fingerprintLabels({ a: '1', b: '2' })).toBe(fingerprintLabels({ b: '2', a: '1' }));
    expect(fingerprintLabels({ a: '1', b: '2' })).not.toBe(fingerprintLabels({ a: '2', b: '1' }));
  });
});
