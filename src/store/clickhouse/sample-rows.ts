/**
 * Decodes the samples read (RowBinary rows of series_id UInt64, t Int64 ms, v Float64) into
 * per-series columns, without an object per sample. Rows arrive part by part, each part sorted
 * by (series_id, t), so a series' rows are runs; the runs are laid out in order of their first
 * timestamp, which is already time order when parts hold disjoint time ranges (the usual case)
 * and is sorted once otherwise. Equal timestamps left after that mean a re-append no merge has
 * collapsed yet, which the caller resolves with FINAL for those series only.
 */
import type { SampleColumns } from '../telemetry-store.js';

/** Bytes per row: series_id UInt64, t Int64, v Float64. */
const ROW_BYTES = 24;
const TWO_32 = 4_294_967_296;

export interface DecodedSamples {
  /** Series id (decimal text) → columns sorted by time. */
  bySeries: Map<string, SampleColumns>;
  /** Series with two rows for one timestamp (unmerged re-appends). */
  duplicated: string[];
}

export function decodeSampleRows(bytes: Uint8Array): DecodedSamples {
  if (bytes.length % ROW_BYTES !== 0) throw new Error(`sample rows: ${bytes.length} bytes is not a whole number of ${ROW_BYTES}-byte rows`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const rows = bytes.length / ROW_BYTES;
  const rowT = (r: number) => view.getInt32(r * ROW_BYTES + 12, true) * TWO_32 + view.getUint32(r * ROW_BYTES + 8, true);

  // Pass 1: runs of one series (first row, row count), grouped per series.
  const ids: string[] = [];
  const runsOf: number[][] = [];
  const countOf: number[] = [];
  const indexOf = new Map<string, number>();
  let prevLo = -1;
  let prevHi = -1;
  let runs: number[] | undefined;
  let runStart = 0;
  let series = -1;
  const endRun = (r: number) => {
    if (runs === undefined) return;
    runs.push(runStart, r - runStart);
    countOf[series]! += r - runStart;
  };
  for (let r = 0, o = 0; r < rows; r++, o += ROW_BYTES) {
    const lo = view.getUint32(o, true);
    const hi = view.getUint32(o + 4, true);
    if (lo === prevLo && hi === prevHi && runs !== undefined) continue;
    endRun(r);
    // Only where the series changes: a BigInt per row would dominate the decode.
    prevLo = lo;
    prevHi = hi;
    const id = ((BigInt(hi) << 32n) | BigInt(lo)).toString();
    let k = indexOf.get(id);
    if (k === undefined) {
      k = ids.length;
      indexOf.set(id, k);
      ids.push(id);
      runsOf.push([]);
      countOf.push(0);
    }
    series = k;
    runs = runsOf[k]!;
    runStart = r;
  }
  endRun(rows);

  // Pass 2: each series' runs copied into its columns in order of their first timestamp.
  const bySeries = new Map<string, SampleColumns>();
  const duplicated: string[] = [];
  for (let k = 0; k < ids.length; k++) {
    const rs = runsOf[k]!;
    let order = Array.from({ length: rs.length / 2 }, (_, i) => i * 2);
    if (order.length > 1) {
      const first = order.map((i) => rowT(rs[i]!));
      order = order.map((i, j) => [i, first[j]!] as const).sort((a, b) => a[1] - b[1]).map(([i]) => i);
    }
    const n = countOf[k]!;
    const t = new Float64Array(n);
    const v = new Float64Array(n);
    let w = 0;
    for (const i of order) {
      const start = rs[i]!;
      const len = rs[i + 1]!;
      for (let r = start, o = start * ROW_BYTES; r < start + len; r++, o += ROW_BYTES, w++) {
        t[w] = view.getInt32(o + 12, true) * TWO_32 + view.getUint32(o + 8, true);
        v[w] = view.getFloat64(o + 16, true);
      }
    }
    let sorted = true;
    let dup = false;
    for (let i = 1; i < n; i++) {
      if (t[i]! < t[i - 1]!) {
        sorted = false;
        break;
      }
      if (t[i] === t[i - 1]) dup = true;
    }
    const cols = sorted ? { t, v } : sortColumns(t, v);
    if (!sorted) for (let i = 1; i < n && !dup; i++) dup = cols.t[i] === cols.t[i - 1];
    if (dup) duplicated.push(ids[k]!);
    bySeries.set(ids[k]!, cols);
  }
  return { bySeries, duplicated };
}

/** Overlapping runs (unmerged parts over the same time): a stable sort by time. */
function sortColumns(t: Float64Array, v: Float64Array): SampleColumns {
  const order = Array.from({ length: t.length }, (_, i) => i);
  order.sort((a, b) => t[a]! - t[b]! || a - b);
  const st = new Float64Array(t.length);
  const sv = new Float64Array(t.length);
  for (let i = 0; i < order.length; i++) {
    st[i] = t[order[i]!]!;
    sv[i] = v[order[i]!]!;
  }
  return { t: st, v: sv };
}
