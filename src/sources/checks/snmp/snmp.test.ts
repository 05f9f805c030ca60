import { describe, expect, it } from 'vitest';
import { decodeVarbind, rowIndex, snmpCheckSpecSchema, ticksText } from './index.js';

describe('snmp spec', () => {
  it('defaults to v2c public on 161 and strips a leading dot from OIDs', () => {
    const s = snmpCheckSpecSchema.parse({ type: 'snmp', host: 'sw1', get: [{ oid: '.1.3.6.1.2.1.1.3.0' }] });
    expect(s).toMatchObject({ port: 161, version: '2c', community: 'public', retries: 1, get: [{ oid: '1.3.6.1.2.1.1.3.0' }] });
  });
  it.each([
    [{ version: '3' }, 'v3'],
    [{ v3: { user: 'u' } }, 'v3'],
    [{ version: '3', v3: { user: 'u', privKey: 'longenough' } }, 'v3.privKey'],
    [{ version: '3', v3: { user: 'u', authKey: 'short' } }, 'v3.authKey'],
    [{ get: [{ oid: 'sysUpTime.0' }] }, 'get.0.oid'],
    [{ walk: [{ oid: '1.3.6', critical: {} }] }, 'walk.0.critical'],
  ])('rejects %j at %s', (input, path) => {
    const r = snmpCheckSpecSchema.safeParse({ type: 'snmp', host: 'sw1', ...input });
    expect(r.success).toBe(false);
    expect(r.error!.issues.map((i) => i.path.join('.'))).toContain(path);
  });
});

describe('varbind values', () => {
  it('numbers, Counter64 buffers, text and hex', () => {
    expect(decodeVarbind({ oid: '1', type: 67, value: 12345 })).toEqual({ kind: 'number', value: 12345, type: 'TimeTicks' });
    expect(decodeVarbind({ oid: '1', type: 70, value: Buffer.from([0x01, 0x00, 0x00, 0x00, 0x00]) })).toMatchObject({ kind: 'number', value: 2 ** 32 });
    expect(decodeVarbind({ oid: '1', type: 4, value: Buffer.from('eth0') })).toMatchObject({ kind: 'text', value: 'eth0' });
    expect(decodeVarbind({ oid: '1', type: 4, value: Buffer.from([0x00, 0x1a, 0xff]) })).toMatchObject({ kind: 'text', value: '00:1a:ff' });
    expect(decodeVarbind({ oid: '1', type: 128, value: null })).toMatchObject({ kind: 'missing', value: 'noSuchObject' });
  });
  it('ticks as text and row indexes', () => {
    expect(ticksText(151)).toBe('1s');
    expect(ticksText((86400 + 3661) * 100)).toBe('1d1h1m1s');
    expect(rowIndex('1.3.6.1.2.1.2.2.1.10', '1.3.6.1.2.1.2.2.1.10.3')).toBe('3');
    expect(rowIndex('1.3.6.1.2.1.2.2.1.1', '1.3.6.1.2.1.2.2.1.10.3')).toBe('1.3.6.1.2.1.2.2.1.10.3');
  });
});
