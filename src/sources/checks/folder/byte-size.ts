/**
 * Sizes as people write them in config: 1048576, "500KB", "10MiB", "1.5GB". KB/MB/GB/TB are
 * powers of 1000 and KiB/MiB/GiB/TiB powers of 1024, as in IEC 80000-13; "B" or no unit = bytes.
 */
import { z } from 'zod';

const UNITS: Record<string, number> = {
  '': 1,
  B: 1,
  KB: 1e3,
  MB: 1e6,
  GB: 1e9,
  TB: 1e12,
  KIB: 1024,
  MIB: 1024 ** 2,
  GIB: 1024 ** 3,
  TIB: 1024 ** 4,
};
const SIZE_RE = /^(\d+(?:\.\d+)?)\s*([KMGT]i?B|B)?$/i;

export function parseByteSize(text: string): number | undefined {
  const m = SIZE_RE.exec(text.trim());
  if (!m) return undefined;
  const mult = UNITS[(m[2] ?? '').toUpperCase()];
  return mult === undefined ? undefined : Math.round(Number(m[1]) * mult);
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = -1;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[u]}`;
}

export const byteSizeSchema = z
  .union([z.number().int().min(0), z.string()])
  .refine((v) => typeof v === 'number' || parseByteSize(v) !== undefined, {
    message: 'expected bytes as a number or a size like "500KB", "10MiB", "1.5GB"',
  });
