import { SNMP_TYPE, type Varbind } from './net-snmp-api.js';

/** A varbind's value as the check reads it: a number for numeric SMI types, else text. */
export type DecodedValue = { kind: 'number'; value: number; type: string } | { kind: 'text'; value: string; type: string } | { kind: 'missing'; value: string; type: string };

const TYPE_NAMES: Record<number, string> = Object.fromEntries(Object.entries(SNMP_TYPE).map(([k, v]) => [v, k]));

/** OCTET STRING as text when it is printable UTF-8, else as hex (MAC addresses, binary blobs). */
function octetText(b: Buffer): string {
  const text = b.toString('utf8');
  // eslint-disable-next-line no-control-regex -- detecting control bytes is the point
  if (!text.includes('\uFFFD') && !/[\x00-\x08\x0e-\x1f\x7f]/.test(text)) return text;
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join(':');
}

export function decodeVarbind(vb: Varbind): DecodedValue {
  const type = TYPE_NAMES[vb.type] ?? `type${vb.type}`;
  switch (vb.type) {
    case SNMP_TYPE.Integer:
    case SNMP_TYPE.Counter:
    case SNMP_TYPE.Gauge:
    case SNMP_TYPE.TimeTicks:
      return { kind: 'number', value: Number(vb.value), type };
    case SNMP_TYPE.Counter64: {
      // net-snmp hands Counter64 over as a big-endian Buffer of up to 8 bytes.
      const b = Buffer.isBuffer(vb.value) ? vb.value : Buffer.alloc(0);
      let n = 0n;
      for (const byte of b) n = (n << 8n) | BigInt(byte);
      return { kind: 'number', value: Number(n), type };
    }
    case SNMP_TYPE.Boolean:
      return { kind: 'number', value: vb.value ? 1 : 0, type };
    case SNMP_TYPE.OctetString:
    case SNMP_TYPE.Opaque:
      return { kind: 'text', value: Buffer.isBuffer(vb.value) ? octetText(vb.value) : String(vb.value), type };
    case SNMP_TYPE.NoSuchObject:
      return { kind: 'missing', value: 'noSuchObject', type };
    case SNMP_TYPE.NoSuchInstance:
      return { kind: 'missing', value: 'noSuchInstance', type };
    case SNMP_TYPE.EndOfMibView:
      return { kind: 'missing', value: 'endOfMibView', type };
    default:
      return { kind: 'text', value: vb.value === null || vb.value === undefined ? '' : String(vb.value), type };
  }
}

/** TimeTicks (hundredths of a second) as "3d4h5m6s". */
export function ticksText(ticks: number): string {
  let s = Math.floor(ticks / 100);
  const d = Math.floor(s / 86400);
  s -= d * 86400;
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  return `${d ? `${d}d` : ''}${h ? `${h}h` : ''}${m ? `${m}m` : ''}${s}s`;
}

/** The index part of a row's OID under the walked OID: 1.3.6.1.2.1.2.2.1.10.3 under …10 → "3". */
export function rowIndex(base: string, oid: string): string {
  return oid.startsWith(`${base}.`) ? oid.slice(base.length + 1) : oid;
}
