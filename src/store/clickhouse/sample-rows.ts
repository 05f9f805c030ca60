/**
 * Decodes the samples read (RowBinary rows of series_id UInt64, t Int64 ms, v Float64) into
 * per-series points. Rows arrive part by part, each part sorted by (series_id, t), so a series'
 * points are runs that may need one sort; equal timestamps left after sorting mean a re-append
 * no merge has collapsed yet, which the caller resolves with FINAL for those series only.
 */
import type { SamplePoint } from '../telemetry-store.js';

/** Bytes per row: series_id UInt64, t Int64, v Float64. */
const ROW_BYTES = 24;
const TWO_32 = 4_294_967_296;

export interface DecodedSamples {
  /** Series id (decimal text) → points sorted by time. */
  bySeries: Map<string, SamplePoint[]>;
  /** Series with two rows for one timestamp (unmerged re-appends). */
  duplicated: string[];
}

export function decodeSampleRows(bytes: Uint8Array): DecodedSamples {
  if (bytes.length % ROW_BYTES !== 0) throw new Error(`sample rows: ${bytes.length} bytes is not a whole number of ${ROW_BYTES}-byte rows`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const bySeries = new Map<string, SamplePoint[]>();
  let prevLo = -1;
  let prevHi = -1;
  let points: SamplePoint[] | undefined;
  for (let o = 0; o < bytes.length; o += ROW_BYTES) {
    const lo = view.getUint32(o, true);
    const hi = view.getUint32(o + 4, true);
    if (lo !== prevLo || hi !== prevHi || points === undefined) {
      // Only where the series changes: a BigInt per row would dominate the decode.
      prevLo = lo;
      prevHi = hi;
      const id = ((BigInt(hi) << 32n) | BigInt(lo)).toString();
      points = bySeries.get(id);
      if (points === undefined) {
        points = [];
        bySeries.set(id, points);
      }
    }
    const t = view.getInt32(o + 12, true) * TWO_32 + view.getUint32(o + 8, true);
    points.push({ t, v: view.getFloat64(o + 16, true) });
  }
  const duplicated: string[] = [];
  for (const [id, pts] of bySeries) {
    let sorted = true;
    for (let i = 1; i < pts.length; i++) {
      if (pts[i]!.t < pts[i - 1]!.t) {
        sorted = false;
        break;
      }
    }
    if (!sorted) pts.sort((a, b) => a.t - b.t);
    for (let i = 1; i < pts.length; i++) {
      if (pts[i]!.t === pts[i - 1]!.t) {
        duplicated.push(id);
        break;
      }
    }
  }
  return { bySeries, duplicated };
}
