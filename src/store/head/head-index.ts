/**
 * The head's series and its postings index (label name → value → series), as in Prometheus's
 * head block: selecting series for label matchers narrows candidates with the postings of the
 * most selective equality matcher (or a regex over one label's values), then checks every
 * matcher on the candidates' labels with PromQL's own predicate.
 */
import type { LabelMatcher, Labels } from '../telemetry-store.js';
import { compileAnchoredRegex, matcherPredicate } from '../../query/promql/labels.js';
import { canonicalLabels } from '../clickhouse/series-id.js';
import { HeadSeries } from './head-series.js';

/** RE2 has no look-around or back-references; JavaScript would accept them, ClickHouse refuses. */
const NOT_RE2 = /\(\?<?[=!]|\\[1-9]/;

export class RegexNotSupportedHere extends Error {}

export class HeadIndex {
  readonly #byKey = new Map<string, HeadSeries>();
  readonly #byRef = new Map<number, HeadSeries>();
  /** Labels objects' own entry order → series: skips canonicalising a set seen before. */
  #byEntries = new Map<string, HeadSeries>();
  readonly #postings = new Map<string, Map<string, HeadSeries[]>>();
  #nextRef = 1;

  get seriesCount(): number {
    return this.#byKey.size;
  }

  all(): IterableIterator<HeadSeries> {
    return this.#byKey.values();
  }

  byRef(ref: number): HeadSeries | undefined {
    return this.#byRef.get(ref);
  }

  /**
   * Frozen labels objects → series. Remote-write hands the same frozen object for a series in
   * every batch (see AppendSeries), so most lookups skip building the text key below.
   */
  #byObject = new WeakMap<Labels, HeadSeries>();

  /** The series for a label set (any key order, empty values ignored), created when new. */
  getOrCreate(labels: Labels): HeadSeries {
    const frozen = Object.isFrozen(labels);
    if (frozen) {
      const known = this.#byObject.get(labels);
      if (known && !known.removed) return known;
    }
    const s = this.#getOrCreateByEntries(labels);
    if (frozen) this.#byObject.set(labels, s);
    return s;
  }

  #getOrCreateByEntries(labels: Labels): HeadSeries {
    let entries = '';
    for (const name in labels) {
      const value = labels[name]!;
      entries += `${name.length}:${name}${value.length}:${value}`;
    }
    const cached = this.#byEntries.get(entries);
    if (cached && !cached.removed) return cached;
    const s = this.getOrCreateCanonical(canonicalLabels(labels));
    if (this.#byEntries.size >= 500_000) this.#byEntries = new Map();
    this.#byEntries.set(entries, s);
    return s;
  }

  /** `pairs` sorted by name, without empty values. */
  getOrCreateCanonical(pairs: [string, string][]): HeadSeries {
    const key = JSON.stringify(pairs);
    let s = this.#byKey.get(key);
    if (s) return s;
    const labels: Labels = {};
    for (const [n, v] of pairs) labels[n] = v;
    s = new HeadSeries(this.#nextRef++, Object.freeze(labels), pairs, key);
    this.#byKey.set(key, s);
    this.#byRef.set(s.ref, s);
    for (const [n, v] of pairs) {
      let values = this.#postings.get(n);
      if (!values) this.#postings.set(n, (values = new Map()));
      const list = values.get(v);
      if (list) list.push(s);
      else values.set(v, [s]);
    }
    return s;
  }

  /** Forgets series (garbage collection); the caller guarantees nothing pending refers to them. */
  remove(series: readonly HeadSeries[]): void {
    if (!series.length) return;
    const names = new Set<string>();
    for (const s of series) {
      s.removed = true;
      this.#byKey.delete(s.key);
      this.#byRef.delete(s.ref);
      for (const [n] of s.pairs) names.add(n);
    }
    for (const n of names) {
      const values = this.#postings.get(n)!;
      for (const [v, list] of values) {
        const kept = list.filter((s) => !s.removed);
        if (!kept.length) values.delete(v);
        else if (kept.length !== list.length) values.set(v, kept);
      }
      if (!values.size) this.#postings.delete(n);
    }
    for (const [k, s] of this.#byEntries) if (s.removed) this.#byEntries.delete(k);
  }

  /**
   * Series matching every matcher, unsorted. Throws RegexNotSupportedHere when a regex does not
   * compile here (the caller asks the telemetry store, whose RE2 error names the problem).
   */
  match(matchers: readonly LabelMatcher[] | undefined): HeadSeries[] {
    const ms = matchers ?? [];
    const preds: ((l: Labels) => boolean)[] = [];
    for (const m of ms) {
      if ((m.op === '=~' || m.op === '!~') && NOT_RE2.test(m.value)) throw new RegexNotSupportedHere(m.value);
      try {
        preds.push(matcherPredicate(m));
      } catch (err) {
        throw new RegexNotSupportedHere((err as Error).message);
      }
    }
    let candidates: Iterable<HeadSeries> | undefined;
    let best = Infinity;
    for (const m of ms) {
      if (m.op !== '=' || m.value === '') continue;
      const list = this.#postings.get(m.name)?.get(m.value);
      if (!list) return [];
      if (list.length < best) {
        best = list.length;
        candidates = list;
      }
    }
    if (!candidates) {
      const re = ms.find((m) => m.op === '=~' && !compileAnchoredRegex(m.value).test(''));
      if (re) {
        const rx = compileAnchoredRegex(re.value);
        const union: HeadSeries[] = [];
        for (const [v, list] of this.#postings.get(re.name) ?? []) if (rx.test(v)) for (const s of list) union.push(s);
        candidates = union;
      }
    }
    const out: HeadSeries[] = [];
    for (const s of candidates ?? this.#byKey.values()) {
      let ok = true;
      for (const p of preds) {
        if (!p(s.labels)) {
          ok = false;
          break;
        }
      }
      if (ok) out.push(s);
    }
    return out;
  }
}
