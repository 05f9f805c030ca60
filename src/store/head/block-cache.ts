/**
 * Answers of the inner store for whole hours older than the head, kept in memory: a 24 h
 * dashboard refreshed every few seconds otherwise asks chDB for the same 22 hours each time
 * (one statement, 5–15 ms). Prometheus gets the same effect from its immutable blocks (mmapped
 * chunks that stay in the page cache), VictoriaMetrics from its rollup result cache.
 *
 * The older part of a selectSeries is cut into aligned `BLOCK_MS` blocks; each block's answer
 * (per series: labels and t/v columns) is kept under (canonical matchers, block start). A read
 * reuses the blocks it has and asks the store once, over the range covering the missing ones,
 * never once per block. Only blocks that end before the head's start are kept: the head store
 * aligns that start to `BLOCK_MS`, so in the steady state every block of the older part is whole.
 *
 * A kept block must never hide a sample: the head store calls `invalidate(minT, maxT)` after
 * each write of queued rows to the inner store (and `clear()` after anything else that may
 * change it), and flushes the queued rows a read could need before calling `read`. A store read
 * that overlaps an invalidation while it runs is used for that query but not kept.
 *
 * Bounded by the number of samples held (LRU); a query whose older part alone is larger than
 * the bound is not kept at all, since it would only push out other queries' blocks and itself.
 */
import type { LabelMatcher, Labels, SampleColumns, SeriesData } from '../telemetry-store.js';
import { canonicalLabelKey } from '../clickhouse/series-id.js';
import { columnsOf } from '../sample-columns.js';
import { lowerBound } from '../../lib/sorted.js';

/** One hour, as Prometheus's head is cut into blocks by the hour (2 h blocks, 1 h of slack). */
export const BLOCK_MS = 3_600_000;

/** Per series: its labels (shared: callers copy before handing out) and its columns in the block. */
interface BlockSeries {
  key: string;
  labels: Labels;
  t: Float64Array;
  v: Float64Array;
}

interface Block {
  id: string;
  start: number;
  series: BlockSeries[];
  samples: number;
}

/**
 * What a block costs against the bound, in samples (16 bytes): a series' entry (two typed
 * arrays, their buffers) weighs about as much as 24 samples, measured ≈ 400 bytes.
 */
function weight(b: Block): number {
  return b.samples + 24 * b.series.length + 8;
}

/** One series of a read: its labels and the pieces of its columns in time order. */
export interface OlderSeries {
  labels: Labels;
  parts: SampleColumns[];
  /** Whether a lone piece's arrays may be handed out as they are; never for a read's pieces (views into kept blocks). */
  owned: boolean;
}

export interface BlockCacheStats {
  /** Blocks answered from memory. */
  hits: number;
  /** Blocks read from the inner store (including ones not kept). */
  misses: number;
  /** Samples held now. */
  samples: number;
  blocks: number;
}

/** A store read under way, and the invalidated ranges that overlapped it meanwhile. */
interface Fetch {
  invalidated: [number, number][];
}

export function blockStart(t: number): number {
  return Math.floor(t / BLOCK_MS) * BLOCK_MS;
}

/** How far `read(…, endMs, keepBefore, …)` may ask the store: queued rows up to here must be flushed first. */
export function readEnd(endMs: number, keepBefore: number): number {
  return Math.min(blockStart(endMs) + BLOCK_MS - 1, keepBefore - 1);
}

/** Matchers in a canonical order: the same selector written another way shares blocks. */
export function matcherKey(matchers: readonly LabelMatcher[]): string {
  return `[${matchers.map((m) => JSON.stringify([m.name, m.op, m.value])).sort().join(',')}]`;
}

export class BlockCache {
  readonly maxSamples: number;
  /** In LRU order: least recently used first (Map keeps insertion order; a hit re-inserts). */
  #blocks = new Map<string, Block>();
  /** Block start → ids of the blocks kept for it, for invalidation by time. */
  #byStart = new Map<number, Set<string>>();
  #fetches = new Set<Fetch>();
  #reach = -Infinity;
  #samples = 0;
  #weight = 0;
  #hits = 0;
  #misses = 0;

  constructor(maxSamples: number) {
    this.maxSamples = maxSamples;
  }

  /** No kept block, and no store read under way, holds a sample at or after this instant. */
  get reach(): number {
    return this.#reach;
  }

  stats(): BlockCacheStats {
    return { hits: this.#hits, misses: this.#misses, samples: this.#samples, blocks: this.#blocks.size };
  }

  /**
   * The series with samples in [startMs, endMs], from kept blocks and one `fetch` over the
   * blocks missing. Blocks ending at or after `keepBefore` (the head's start) are read but
   * not kept; `fetch` is never asked past `keepBefore - 1`. The caller flushes queued rows up
   * to `readEnd(endMs, keepBefore)` first.
   */
  async read(matchers: readonly LabelMatcher[], startMs: number, endMs: number, keepBefore: number, fetch: (startMs: number, endMs: number) => Promise<SeriesData[]>): Promise<Map<string, OlderSeries>> {
    if (keepBefore > this.#reach) this.#reach = keepBefore;
    const mkey = matcherKey(matchers);
    const first = blockStart(startMs);
    const last = blockStart(endMs);
    const blocks: (Block | undefined)[] = [];
    let missFrom = Infinity;
    let missTo = -Infinity;
    for (let b = first; b <= last; b += BLOCK_MS) {
      const hit = b + BLOCK_MS <= keepBefore ? this.#blocks.get(blockId(b, mkey)) : undefined;
      if (hit) {
        this.#hits++;
        this.#blocks.delete(hit.id);
        this.#blocks.set(hit.id, hit);
      } else {
        this.#misses++;
        if (b < missFrom) missFrom = b;
        missTo = b;
      }
      blocks.push(hit);
    }
    if (missTo >= missFrom) {
      const to = readEnd(missTo, keepBefore);
      const f: Fetch = { invalidated: [] };
      this.#fetches.add(f);
      let got: SeriesData[];
      try {
        got = await fetch(missFrom, to);
      } finally {
        this.#fetches.delete(f);
      }
      const fetched = split(got, missFrom, to, mkey);
      // Keep them only when the whole query fits: a larger one would evict itself block by block.
      let total = 0;
      for (let i = 0; i < blocks.length; i++) {
        const block = fetched.get(first + i * BLOCK_MS) ?? blocks[i];
        if (block) total += weight(block);
      }
      for (const [b, block] of fetched) {
        blocks[(b - first) / BLOCK_MS] = block;
        const whole = b + BLOCK_MS <= keepBefore;
        const overlapped = f.invalidated.some(([lo, hi]) => lo < b + BLOCK_MS && hi >= b);
        if (whole && !overlapped && total <= this.maxSamples) this.#keep(block);
      }
    }
    const out = new Map<string, OlderSeries>();
    for (let i = 0; i < blocks.length; i++) {
      const block = blocks[i];
      if (!block) continue;
      const edge = i === 0 || i === blocks.length - 1;
      for (const s of block.series) {
        let t = s.t;
        let v = s.v;
        if (edge) {
          // Only the first and last blocks can stick out of [startMs, endMs].
          const lo = lowerBound(t, startMs);
          const hi = lowerBound(t, endMs + 1);
          if (lo >= hi) continue;
          if (lo > 0 || hi < t.length) {
            t = t.subarray(lo, hi);
            v = v.subarray(lo, hi);
          }
        }
        const o = out.get(s.key);
        if (o) o.parts.push({ t, v });
        else out.set(s.key, { labels: s.labels, parts: [{ t, v }], owned: false });
      }
    }
    return out;
  }

  /** Forgets every kept block that overlaps [minT, maxT]: the inner store got rows there. */
  invalidate(minT: number, maxT: number): void {
    if (!(minT <= maxT)) return;
    for (const f of this.#fetches) f.invalidated.push([minT, maxT]);
    const from = blockStart(minT);
    const to = blockStart(maxT);
    if ((to - from) / BLOCK_MS < this.#byStart.size) {
      for (let b = from; b <= to; b += BLOCK_MS) this.#dropStart(b);
    } else {
      for (const b of [...this.#byStart.keys()]) if (b >= from && b <= to) this.#dropStart(b);
    }
  }

  /** Forgets everything (the inner store may have changed anywhere). */
  clear(): void {
    for (const f of this.#fetches) f.invalidated.push([-Infinity, Infinity]);
    this.#blocks.clear();
    this.#byStart.clear();
    this.#samples = 0;
    this.#weight = 0;
  }

  /** Keeps a copy of the block: the read's answer hands out views of the store's arrays, which the caller owns. */
  #keep(fetched: Block): void {
    const block: Block = { ...fetched, series: fetched.series.map((s) => ({ key: s.key, labels: s.labels, t: s.t.slice(), v: s.v.slice() })) };
    const old = this.#blocks.get(block.id);
    if (old) this.#drop(old);
    this.#blocks.set(block.id, block);
    let ids = this.#byStart.get(block.start);
    if (!ids) this.#byStart.set(block.start, (ids = new Set()));
    ids.add(block.id);
    this.#samples += block.samples;
    this.#weight += weight(block);
    for (const lru of this.#blocks.values()) {
      if (this.#weight <= this.maxSamples) break;
      this.#drop(lru);
    }
  }

  #dropStart(b: number): void {
    const ids = this.#byStart.get(b);
    if (!ids) return;
    for (const id of [...ids]) this.#drop(this.#blocks.get(id)!);
  }

  #drop(block: Block): void {
    this.#blocks.delete(block.id);
    const ids = this.#byStart.get(block.start)!;
    ids.delete(block.id);
    if (!ids.size) this.#byStart.delete(block.start);
    this.#samples -= block.samples;
    this.#weight -= weight(block);
  }
}

function blockId(start: number, mkey: string): string {
  return `${start}\u0000${mkey}`;
}

/** The store's answer for [from, to] cut into blocks (every block of the range, empty ones too), as views of its columns. */
function split(got: SeriesData[], from: number, to: number, mkey: string): Map<number, Block> {
  const blocks = new Map<number, Block>();
  for (let b = from; b <= to; b += BLOCK_MS) blocks.set(b, { id: blockId(b, mkey), start: b, series: [], samples: 0 });
  for (const s of got) {
    const { t, v } = columnsOf(s);
    const key = canonicalLabelKey(s.labels);
    let i = 0;
    while (i < t.length) {
      const b = blockStart(t[i]!);
      const j = lowerBound(t, b + BLOCK_MS, i);
      const block = blocks.get(b);
      // A store answering outside the range asked is not trusted with a block.
      if (block) {
        block.series.push({ key, labels: s.labels, t: t.subarray(i, j), v: v.subarray(i, j) });
        block.samples += j - i;
      }
      i = j;
    }
  }
  return blocks;
}
