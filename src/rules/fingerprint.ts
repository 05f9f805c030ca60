/**
 * Alert fingerprints as Alertmanager computes them (`model.LabelSet.Fingerprint`): FNV-1a 64
 * over the label names and values sorted by name, each followed by the 0xff separator, printed
 * as 16 hex digits. Using the same function makes Kansoku's fingerprints equal to the ones
 * existing webhook receivers already see from Alertmanager.
 */
import type { Labels } from '../core/labels.js';

const SEP = 0xff;
const encoder = new TextEncoder();

/** FNV-1a 64 in four 16-bit limbs (plain numbers; BigInt is several times slower here). */
export function fingerprintLabels(labels: Labels): string {
  // offset basis 0xcbf29ce484222325
  let h0 = 0x2325;
  let h1 = 0x8422;
  let h2 = 0x9ce4;
  let h3 = 0xcbf2;
  const feed = (b: number): void => {
    h0 ^= b;
    // multiply by the prime 0x100000001b3 = 2^40 + 0x1b3
    const p = 0x1b3;
    const t0 = h0 * p;
    let t1 = h1 * p;
    let t2 = h2 * p;
    let t3 = h3 * p;
    // + (h << 40): limb 0 goes to limb 2 shifted by 8 bits, limb 1 to limb 3 shifted by 8
    t2 += (h0 << 8) & 0xffff;
    t3 += ((h0 >>> 8) & 0xff) + ((h1 << 8) & 0xffff);
    t1 += t0 >>> 16;
    h0 = t0 & 0xffff;
    t2 += t1 >>> 16;
    h1 = t1 & 0xffff;
    t3 += t2 >>> 16;
    h2 = t2 & 0xffff;
    h3 = t3 & 0xffff;
  };
  for (const name of Object.keys(labels).sort()) {
    for (const b of encoder.encode(name)) feed(b);
    feed(SEP);
    for (const b of encoder.encode(labels[name]!)) feed(b);
    feed(SEP);
  }
  const hex = (n: number): string => n.toString(16).padStart(4, '0');
  return hex(h3) + hex(h2) + hex(h1) + hex(h0);
}

/** A cheap, exact identity for a label set (sorted name/value pairs), for map keys. */
export function labelsKey(labels: Labels): string {
  const names = Object.keys(labels).sort();
  let out = '';
  for (const n of names) out += n + '\xff' + labels[n] + '\xff';
  return out;
}
