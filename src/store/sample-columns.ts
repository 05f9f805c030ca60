/**
 * The columnar form of `SeriesData`: stores that hold samples in typed arrays (the head's
 * chunks, the ClickHouse store's RowBinary reads) hand them out as two Float64Array columns, and
 * the PromQL engine reads those directly. A point object per sample, built by the store and then
 * turned back into columns by the engine, was most of the read path's time.
 *
 * Every other consumer keeps reading `samples`: the array of points is built on first access,
 * once. From then on the points are the series' data (a caller may change or extend them), so
 * `columns` turns undefined and readers fall back to `samples`.
 */
import type { Labels, SampleColumns, SamplePoint, SeriesData } from './telemetry-store.js';

let samplesAccessor: PropertyDescriptor;

export class ColumnarSeries implements SeriesData {
  readonly labels: Labels;
  declare samples: SamplePoint[];
  #columns: SampleColumns | undefined;
  #points: SamplePoint[] | undefined;

  static {
    // `samples` is an own enumerable property (deep equality and spreading see it as on a plain
    // object); one shared descriptor keeps defining it cheap.
    samplesAccessor = {
      enumerable: true,
      configurable: true,
      get(this: ColumnarSeries): SamplePoint[] {
        if (this.#points === undefined) {
          const c = this.#columns!;
          const n = c.t.length;
          const pts = new Array<SamplePoint>(n);
          for (let i = 0; i < n; i++) pts[i] = { t: c.t[i]!, v: c.v[i]! };
          this.#points = pts;
          this.#columns = undefined;
        }
        return this.#points;
      },
      set(this: ColumnarSeries, points: SamplePoint[]) {
        this.#points = points;
        this.#columns = undefined;
      },
    };
  }

  /** `t` and `v` must have the same length, `t` sorted ascending with one entry per timestamp. */
  constructor(labels: Labels, t: Float64Array, v: Float64Array) {
    this.labels = labels;
    this.#columns = { t, v };
    Object.defineProperty(this, 'samples', samplesAccessor);
  }

  /** On the prototype, so not an own property: deep equality compares labels and samples only. */
  get columns(): SampleColumns | undefined {
    return this.#columns;
  }
}

/** The series' samples as columns: its own when it has them, else copied from `samples`. */
export function columnsOf(s: SeriesData): SampleColumns {
  const c = s.columns;
  if (c) return c;
  const pts = s.samples;
  const n = pts.length;
  const t = new Float64Array(n);
  const v = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const p = pts[i]!;
    t[i] = p.t;
    v[i] = p.v;
  }
  return { t, v };
}
