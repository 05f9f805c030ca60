/**
 * One series' samples in the head: fixed-size chunks of (Int32 offset from the chunk's first
 * timestamp, Float64 value), 12 bytes a sample plus about 1.5 bytes of chunk overhead, no
 * object per sample. Values stay in a Float64Array, which keeps a NaN's payload.
 *
 * Appends in time order are the fast path. An older timestamp is appended anyway and marks the
 * series unsorted; the next read sorts once (stable, so the last write of a timestamp wins).
 */
import type { Labels, SampleColumns, SamplePoint } from '../telemetry-store.js';

export const CHUNK_SAMPLES = 256;
const INT32_MAX = 2_147_483_647;

interface Chunk {
  base: number;
  dt: Int32Array;
  v: Float64Array;
  /** Samples used; every chunk but the last is full after a sort. */
  n: number;
}

export class HeadSeries {
  #chunks: Chunk[] = [];
  /** Samples dropped from the front of the first chunk. */
  #skip = 0;
  #sorted = true;
  minT = Infinity;
  maxT = -Infinity;
  /** Sequence number of the last append batch that touched this series (for garbage collection). */
  lastSeq = 0;
  /** WAL segment this series was last named in (a segment names each series before use). */
  walSegment = -1;
  removed = false;
  /** The flush block this series last had rows in, and its newest timestamp there. */
  flushBlock = 0;
  flushMaxT = -Infinity;

  constructor(
    readonly ref: number,
    /** Canonical: no empty values, names sorted. Shared, never mutated. */
    readonly labels: Readonly<Labels>,
    readonly pairs: readonly (readonly [string, string])[],
    /** canonicalLabelKey(labels): identity and sort key, as the ClickHouse store orders series. */
    readonly key: string,
  ) {}

  get size(): number {
    let n = 0;
    for (const c of this.#chunks) n += c.n;
    return n - this.#skip;
  }

  get chunkCount(): number {
    return this.#chunks.length;
  }

  append(t: number, v: number): void {
    const last = this.#chunks.at(-1);
    if (last && t === this.maxT && this.#sorted) {
      last.v[last.n - 1] = v;
      return;
    }
    if (t < this.maxT) this.#sorted = false;
    if (!last || last.n === CHUNK_SAMPLES || Math.abs(t - last.base) > INT32_MAX) {
      // One buffer for both columns: every ArrayBuffer carries its own backing-store overhead.
      const buf = new ArrayBuffer(CHUNK_SAMPLES * 12);
      const c: Chunk = { base: t, dt: new Int32Array(buf, CHUNK_SAMPLES * 8, CHUNK_SAMPLES), v: new Float64Array(buf, 0, CHUNK_SAMPLES), n: 0 };
      this.#chunks.push(c);
      c.dt[0] = 0;
      c.v[0] = v;
      c.n = 1;
    } else {
      last.dt[last.n] = t - last.base;
      last.v[last.n] = v;
      last.n++;
    }
    if (t > this.maxT) this.maxT = t;
    if (t < this.minT) this.minT = t;
  }

  /** Sorts by time after out-of-order appends; of equal timestamps the later write stays. */
  #normalize(): void {
    if (this.#sorted) return;
    const n = this.size;
    const ts = new Float64Array(n);
    const vs = new Float64Array(n);
    let k = 0;
    this.#forEachRaw((t, i, c) => {
      ts[k] = t;
      vs[k] = c.v[i]!;
      k++;
    });
    const order = Array.from({ length: n }, (_, i) => i);
    order.sort((a, b) => ts[a]! - ts[b]! || a - b);
    this.#chunks = [];
    this.#skip = 0;
    this.#sorted = true;
    this.maxT = -Infinity;
    this.minT = Infinity;
    for (let j = 0; j < n; j++) {
      const i = order[j]!;
      // A run of equal timestamps: only the last (latest written) survives.
      if (j + 1 < n && ts[order[j + 1]!] === ts[i]) continue;
      this.append(ts[i]!, vs[i]!);
    }
  }

  #forEachRaw(fn: (t: number, i: number, c: Chunk) => void): void {
    for (let ci = 0; ci < this.#chunks.length; ci++) {
      const c = this.#chunks[ci]!;
      for (let i = ci === 0 ? this.#skip : 0; i < c.n; i++) fn(c.base + c.dt[i]!, i, c);
    }
  }

  /** Samples with startMs <= t <= endMs, sorted. */
  range(startMs: number, endMs: number): SamplePoint[] {
    const out: SamplePoint[] = [];
    if (this.maxT < startMs || this.minT > endMs) return out;
    this.#normalize();
    const chunks = this.#chunks;
    let ci = 0;
    // Chunks are disjoint and ordered once sorted: skip whole chunks before the range.
    while (ci < chunks.length - 1) {
      // A sorted chunk starts at its base (offset 0); only the first chunk has skipped samples.
      if (chunks[ci + 1]!.base > startMs) break;
      ci++;
    }
    for (; ci < chunks.length; ci++) {
      const c = chunks[ci]!;
      const base = c.base;
      const dt = c.dt;
      const v = c.v;
      for (let i = ci === 0 ? this.#skip : 0; i < c.n; i++) {
        const t = base + dt[i]!;
        if (t < startMs) continue;
        if (t > endMs) return out;
        out.push({ t, v: v[i]! });
      }
    }
    return out;
  }

  /**
   * Samples with startMs <= t <= endMs as columns, copied out of the chunks (the caller may keep
   * them while appends go on); undefined when there are none.
   */
  rangeColumns(startMs: number, endMs: number): SampleColumns | undefined {
    if (this.maxT < startMs || this.minT > endMs) return undefined;
    this.#normalize();
    const chunks = this.#chunks;
    // Chunks are disjoint and ordered once sorted; only the first chunk has skipped samples.
    let ci = 0;
    while (ci < chunks.length - 1 && chunks[ci + 1]!.base <= startMs) ci++;
    const first = chunks[ci]!;
    const from = lowerBound(first, ci === 0 ? this.#skip : 0, startMs);
    // Count first, then copy: two short passes over the chunks beat growing the arrays.
    let n = 0;
    let cEnd = ci;
    let lastTo = 0;
    for (; cEnd < chunks.length; cEnd++) {
      const c = chunks[cEnd]!;
      if (c.base > endMs) break;
      const lo = cEnd === ci ? from : 0;
      lastTo = c.base + c.dt[c.n - 1]! <= endMs ? c.n : lowerBound(c, lo, endMs + 1);
      n += lastTo - lo;
      if (lastTo < c.n) {
        cEnd++;
        break;
      }
    }
    if (n <= 0) return undefined;
    const t = new Float64Array(n);
    const v = new Float64Array(n);
    let k = 0;
    for (let c0 = ci; c0 < cEnd; c0++) {
      const c = chunks[c0]!;
      const lo = c0 === ci ? from : 0;
      const hi = c0 === cEnd - 1 ? lastTo : c.n;
      copyOut(c, lo, hi, t, v, k);
      k += hi - lo;
    }
    return { t, v };
  }

  /** Whether any sample lies in [startMs, endMs]. */
  hasSampleIn(startMs: number, endMs: number): boolean {
    if (this.maxT < startMs || this.minT > endMs) return false;
    if (this.minT >= startMs || this.maxT <= endMs) return true;
    this.#normalize();
    for (let ci = 0; ci < this.#chunks.length; ci++) {
      const c = this.#chunks[ci]!;
      const last = c.base + c.dt[c.n - 1]!;
      if (last < startMs) continue;
      for (let i = ci === 0 ? this.#skip : 0; i < c.n; i++) {
        const t = c.base + c.dt[i]!;
        if (t >= startMs) return t <= endMs;
      }
    }
    return false;
  }

  /** Drops samples older than `cutoff`; returns how many. */
  dropBefore(cutoff: number): number {
    if (this.minT >= cutoff) return 0;
    this.#normalize();
    const before = this.size;
    while (this.#chunks.length) {
      const c = this.#chunks[0]!;
      if (c.base + c.dt[c.n - 1]! < cutoff) {
        this.#chunks.shift();
        this.#skip = 0;
        continue;
      }
      while (c.base + c.dt[this.#skip]! < cutoff) this.#skip++;
      break;
    }
    if (this.#chunks.length) {
      const c = this.#chunks[0]!;
      this.minT = c.base + c.dt[this.#skip]!;
    } else {
      this.minT = Infinity;
      this.maxT = -Infinity;
    }
    return before - this.size;
  }

  /** Bytes held by this series' chunks (typed-array payloads). */
  get bytes(): number {
    return this.#chunks.length * CHUNK_SAMPLES * 12;
  }
}

/** The first index >= from in the chunk whose time is >= x (c.n when none). */
function lowerBound(c: Chunk, from: number, x: number): number {
  let lo = from;
  let hi = c.n;
  const rel = x - c.base;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (c.dt[mid]! < rel) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function copyOut(c: Chunk, lo: number, hi: number, t: Float64Array, v: Float64Array, at: number): void {
  const base = c.base;
  const dt = c.dt;
  const cv = c.v;
  for (let j = lo, k = at; j < hi; j++, k++) {
    t[k] = base + dt[j]!;
    v[k] = cv[j]!;
  }
}
