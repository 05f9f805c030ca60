import type { Labels } from '../../../core/labels.js';
import { labelsKey, METRIC_NAME } from '../labels.js';
import type { Annotations, Sample } from '../eval/values.js';

interface Bucket {
  upper: number;
  count: number;
}

const SMALL_DELTA_TOLERANCE = 1e-12;

function almostEqual(a: number, b: number, eps: number): boolean {
  if (a === b) return true;
  if (Number.isNaN(a) && Number.isNaN(b)) return true;
  const diff = Math.abs(a - b);
  const minNormal = 2.2250738585072014e-308;
  if (a === 0 || b === 0 || Math.abs(a) + Math.abs(b) < minNormal) return diff < eps * minNormal;
  return diff / Math.min(Math.abs(a) + Math.abs(b), Number.MAX_VALUE) < eps;
}

function sortAndCoalesce(buckets: Bucket[]): Bucket[] {
  buckets.sort((a, b) => a.upper - b.upper);
  const out: Bucket[] = [];
  for (const b of buckets) {
    const last = out[out.length - 1];
    if (last && last.upper === b.upper) last.count += b.count;
    else out.push({ ...b });
  }
  return out;
}

/** Parses the `le` label as Go's strconv.ParseFloat would. */
function parseLe(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const s = v.trim() === v ? v : '';
  if (/^[+-]?inf(inity)?$/i.test(s)) return s.startsWith('-') ? -Infinity : Infinity;
  if (/^nan$/i.test(s)) return NaN;
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s) || /^[+-]?0[xX][0-9a-fA-F]+$/.test(s)) return Number(s);
  return undefined;
}

interface BucketGroup {
  labels: Labels;
  buckets: Bucket[];
}

/** What one bucket series contributes, worked out once per label-set object. */
interface BucketInfo {
  upper: number | undefined;
  /** The labels without `le`, and their key. */
  rest: Labels;
  key: string;
}

/**
 * Per-node cache of BucketInfo across the steps of a query: parsing `le` and keying the labels
 * without it is otherwise done for every bucket series at every step.
 */
export type BucketCache = Map<Labels, BucketInfo>;

function bucketInfo(labels: Labels, cache: BucketCache | undefined): BucketInfo {
  let info = cache?.get(labels);
  if (!info) {
    const rest: Labels = { ...labels };
    delete rest.le;
    info = { upper: parseLe(labels.le), rest, key: labelsKey(rest) };
    cache?.set(labels, info);
  }
  return info;
}

/** Groups classic-histogram bucket samples by their labels without `le`. */
function groupBuckets(vec: Sample[], annos: Annotations, cache?: BucketCache): BucketGroup[] {
  if (cache && cache.size > 4 * vec.length + 1024) cache.clear();
  const groups = new Map<string, BucketGroup>();
  for (const s of vec) {
    const info = bucketInfo(s.labels, cache);
    const upper = info.upper;
    if (upper === undefined) {
      annos.warn(
        `bucket label "le" is missing or has a malformed value of ${JSON.stringify(s.labels.le ?? '')} for metric name ${JSON.stringify(s.labels[METRIC_NAME] ?? '')}`,
      );
      continue;
    }
    let g = groups.get(info.key);
    if (!g) {
      g = { labels: info.rest, buckets: [] };
      groups.set(info.key, g);
    }
    g.buckets.push({ upper, count: s.value });
  }
  return [...groups.values()];
}

function bucketQuantile(q: number, raw: Bucket[]): { value: number; forced: boolean } {
  if (Number.isNaN(q)) return { value: NaN, forced: false };
  if (q < 0) return { value: -Infinity, forced: false };
  if (q > 1) return { value: Infinity, forced: false };
  raw.sort((a, b) => a.upper - b.upper);
  if (raw[raw.length - 1]!.upper !== Infinity) return { value: NaN, forced: false };
  const buckets = sortAndCoalesce(raw);
  let forced = false;
  let prev = buckets[0]!.count;
  for (let i = 1; i < buckets.length; i++) {
    const curr = buckets[i]!.count;
    if (curr === prev) continue;
    if (almostEqual(prev, curr, SMALL_DELTA_TOLERANCE)) {
      buckets[i]!.count = prev;
      continue;
    }
    if (curr < prev) {
      buckets[i]!.count = prev;
      forced = true;
      continue;
    }
    prev = curr;
  }
  if (buckets.length < 2) return { value: NaN, forced };
  const observations = buckets[buckets.length - 1]!.count;
  if (observations === 0) return { value: NaN, forced };
  let rank = q * observations;
  let b = 0;
  while (b < buckets.length - 1 && !(buckets[b]!.count >= rank)) b++;
  if (b === buckets.length - 1) return { value: buckets[buckets.length - 2]!.upper, forced };
  if (b === 0 && buckets[0]!.upper <= 0) return { value: buckets[0]!.upper, forced };
  let start = 0;
  const end = buckets[b]!.upper;
  let count = buckets[b]!.count;
  if (b > 0) {
    start = buckets[b - 1]!.upper;
    count -= buckets[b - 1]!.count;
    rank -= buckets[b - 1]!.count;
  }
  return { value: start + (end - start) * (rank / count), forced };
}

function bucketFraction(lower: number, upper: number, raw: Bucket[]): number {
  raw.sort((a, b) => a.upper - b.upper);
  if (raw[raw.length - 1]!.upper !== Infinity) return NaN;
  const buckets = sortAndCoalesce(raw);
  const count = buckets[buckets.length - 1]!.count;
  if (count === 0 || Number.isNaN(lower) || Number.isNaN(upper)) return NaN;
  if (lower >= upper) return 0;
  let rank = 0;
  let lowerRank = 0;
  let upperRank = 0;
  let lowerSet = false;
  let upperSet = false;
  let lowerBound = buckets[0]!.upper <= 0 ? -Infinity : 0;
  for (let i = 0; i < buckets.length; i++) {
    const b = buckets[i]!;
    if (i > 0) lowerBound = buckets[i - 1]!.upper;
    const upperBound = b.upper;
    const interpolate = (v: number): number =>
      lowerBound === -Infinity ? b.count : rank + ((b.count - rank) * (v - lowerBound)) / (upperBound - lowerBound);
    if (!lowerSet && lowerBound >= lower) {
      lowerRank = rank;
      lowerSet = true;
    }
    if (!upperSet && lowerBound >= upper) {
      upperRank = rank;
      upperSet = true;
    }
    if (lowerSet && upperSet) break;
    if (!lowerSet && lowerBound < lower && upperBound > lower) {
      lowerRank = interpolate(lower);
      lowerSet = true;
    }
    if (!upperSet && lowerBound < upper && upperBound > upper) {
      upperRank = interpolate(upper);
      upperSet = true;
    }
    if (lowerSet && upperSet) break;
    rank = b.count;
  }
  if (!lowerSet || lowerRank > count) lowerRank = count;
  if (!upperSet || upperRank > count) upperRank = count;
  return (upperRank - lowerRank) / count;
}

export function histogramQuantile(q: number, vec: Sample[], annos: Annotations, cache?: BucketCache): Sample[] {
  if (Number.isNaN(q) || q < 0 || q > 1) annos.warn(`quantile value should be between 0 and 1, got ${Number.isNaN(q) ? 'NaN' : String(q)}`);
  const out: Sample[] = [];
  for (const g of groupBuckets(vec, annos, cache)) {
    if (g.buckets.length === 0) continue;
    const { value, forced } = bucketQuantile(q, g.buckets);
    if (forced) {
      const name = g.labels[METRIC_NAME];
      annos.info(
        `input to histogram_quantile needed to be fixed for monotonicity (see https://prometheus.io/docs/prometheus/latest/querying/functions/#histogram_quantile)${name ? ` for metric name ${JSON.stringify(name)}` : ''}`,
      );
    }
    out.push({ labels: g.labels, value, dropName: true });
  }
  return out;
}

export function histogramFraction(lower: number, upper: number, vec: Sample[], annos: Annotations): Sample[] {
  return groupBuckets(vec, annos)
    .filter((g) => g.buckets.length > 0)
    .map((g) => ({ labels: g.labels, value: bucketFraction(lower, upper, g.buckets), dropName: true }));
}

/** OpenMetrics float text: integers keep a ".0" so quantile labels read "0.0", "1.0". */
function openMetricsFloat(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  const s = String(v);
  return Number.isInteger(v) && !s.includes('e') ? `${s}.0` : s;
}

export function histogramQuantiles(vec: Sample[], label: string, qs: number[], annos: Annotations): Sample[] {
  for (const q of qs) {
    if (Number.isNaN(q) || q < 0 || q > 1) annos.warn(`quantile value should be between 0 and 1, got ${Number.isNaN(q) ? 'NaN' : String(q)}`);
  }
  const groups = groupBuckets(vec, annos);
  const out: Sample[] = [];
  for (const q of qs) {
    for (const g of groups) {
      if (g.buckets.length === 0) continue;
      const { value, forced } = bucketQuantile(q, g.buckets.map((b) => ({ ...b })));
      if (forced) {
        const name = g.labels[METRIC_NAME];
        annos.info(
          `input to histogram_quantile needed to be fixed for monotonicity (see https://prometheus.io/docs/prometheus/latest/querying/functions/#histogram_quantile)${name ? ` for metric name ${JSON.stringify(name)}` : ''}`,
        );
      }
      out.push({ labels: { ...g.labels, [label]: openMetricsFloat(q) }, value, dropName: true });
    }
  }
  return out;
}
