/**
 * One flush block as columns for `appendSeriesColumns`: the rows of the queued batches regrouped
 * per series. A remote-write request holds most series with one sample or a few, so a 100k-row
 * block spans ~100 batches that each name the same series again; a part per run would mean
 * up to one object and two array views per row, more than the row objects this replaces.
 * Instead each series gets one part, a row range of two block-wide arrays filled in one pass.
 * A series' rows keep their queue order (batch, then row), so of two rows for one (series, t)
 * the later still comes later.
 */
import type { AppendSeries, Labels } from '../telemetry-store.js';

export interface QueuedColumns {
  refs: Uint32Array;
  ts: Float64Array;
  vs: Float64Array;
  n: number;
}

export function blockColumns(batches: readonly QueuedColumns[], labelsOf: (ref: number) => Labels): AppendSeries[] {
  let rows = 0;
  for (const b of batches) rows += b.n;
  // Pass 1: rows per series, counted per run (a series' rows in a batch are a run); each run's
  // series slot is kept for pass 2.
  const slotOf = new Map<number, number>();
  const slotRef: number[] = [];
  const start: number[] = [];
  const runSlot = new Int32Array(rows);
  let runs = 0;
  for (const { refs, n } of batches) {
    for (let i = 0; i < n; ) {
      const ref = refs[i]!;
      const from = i;
      while (i < n && refs[i] === ref) i++;
      let slot = slotOf.get(ref);
      if (slot === undefined) {
        slot = slotRef.length;
        slotOf.set(ref, slot);
        slotRef.push(ref);
        start.push(0);
      }
      start[slot]! += i - from;
      runSlot[runs++] = slot;
    }
  }
  // Counts to start offsets; `next` is each series' write position.
  const next = new Array<number>(slotRef.length);
  for (let s = 0, at = 0; s < slotRef.length; s++) {
    const count = start[s]!;
    start[s] = next[s] = at;
    at += count;
  }
  // Pass 2: copy. Values as their two 32-bit words, so a NaN keeps its payload whatever the engine does with doubles.
  const t = new Float64Array(rows);
  const v = new Float64Array(rows);
  const vWords = new Uint32Array(v.buffer);
  let run = 0;
  for (const { refs, ts, vs, n } of batches) {
    const words = new Uint32Array(vs.buffer, vs.byteOffset, 2 * n);
    for (let i = 0; i < n; ) {
      const ref = refs[i]!;
      const slot = runSlot[run++]!;
      let at = next[slot]!;
      for (; i < n && refs[i] === ref; i++, at++) {
        t[at] = ts[i]!;
        vWords[2 * at] = words[2 * i]!;
        vWords[2 * at + 1] = words[2 * i + 1]!;
      }
      next[slot] = at;
    }
  }
  const out = new Array<AppendSeries>(slotRef.length);
  for (let s = 0; s < slotRef.length; s++) {
    const end = s + 1 < slotRef.length ? start[s + 1]! : rows;
    out[s] = { labels: labelsOf(slotRef[s]!), t, v, start: start[s]!, end };
  }
  return out;
}
