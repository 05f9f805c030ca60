import { ExpositionParseError } from './errors.js';
import {
  C_BACKSLASH,
  C_COMMA,
  C_EQ,
  C_HASH,
  C_LBRACE,
  C_QUOTE,
  C_RBRACE,
  C_SPACE,
  codePointLength,
  decodeBody,
  findDuplicateLabel,
  isMetricNameChar,
  labelKey,
  scanLabelName,
  scanMetricName,
  sliceReusing,
  scanToSpace,
} from './lexing.js';
import { readCanonicalLabelNumber, readOpenMetricsNumber, readRealNumber } from './numbers.js';
import type { Exemplar, MetricFamily, MetricType, SampleSink } from './types.js';

/*
 * OpenMetrics 1.0 text parser. Strict where the spec is: the whole body is rejected on the
 * first violation (spec: "partial or invalid expositions MUST be considered erroneous in their
 * entirety"). Rules beyond the ABNF follow the spec's prose and the official parser test suite
 * (github.com/prometheus/OpenMetrics tests/testdata/parsers): family and metric interleaving,
 * per-type sample suffixes, counter-like values, histogram bucket structure, exemplar
 * placement and size. Deliberate leniency: a raw `"` in HELP text is accepted (the ABNF
 * forbids it, but Prometheus and the reference parsers accept it and exporters emit it).
 */

const TYPES: ReadonlySet<string> = new Set([
  'counter',
  'gauge',
  'histogram',
  'gaugehistogram',
  'stateset',
  'info',
  'summary',
  'unknown',
]);

/** Sample-name suffixes each type allows (the spec's "Suffixes" list). */
const SUFFIXES: Record<MetricType, readonly string[]> = {
  counter: ['_total', '_created'],
  summary: ['', '_count', '_sum', '_created'],
  histogram: ['_count', '_sum', '_bucket', '_created'],
  gaugehistogram: ['_gcount', '_gsum', '_bucket'],
  info: ['_info'],
  gauge: [''],
  stateset: [''],
  unknown: [''],
};

/** The names a family claims: its suffixes plus its bare name (OpenMetrics "Suffixes"). */
const CLAIMED_SUFFIXES = {} as Record<MetricType, readonly string[]>;
for (const t of Object.keys(SUFFIXES) as MetricType[]) CLAIMED_SUFFIXES[t] = [...new Set([...SUFFIXES[t], ''])];

const EXEMPLAR_MAX_CODE_POINTS = 128;

/** Suffix ids, so the per-sample checks compare small integers instead of strings. */
const S_NONE = -1;
const S_EMPTY = 0;
const S_TOTAL = 1;
const S_CREATED = 2;
const S_COUNT = 3;
const S_SUM = 4;
const S_BUCKET = 5;
const S_GCOUNT = 6;
const S_GSUM = 7;
const S_INFO = 8;

const SUFFIX_IDS: Record<string, number> = {
  '': S_EMPTY,
  _total: S_TOTAL,
  _created: S_CREATED,
  _count: S_COUNT,
  _sum: S_SUM,
  _bucket: S_BUCKET,
  _gcount: S_GCOUNT,
  _gsum: S_GSUM,
  _info: S_INFO,
};

interface FamilyState {
  family: MetricFamily;
  line: number;
  typeSet: boolean;
  helpSet: boolean;
  unitLine: number;
  sampleCount: number;
  /** Allowed suffix id per suffix length, for the membership test on every sample. */
  allowed: readonly string[];
}

/** One histogram MetricPoint under construction (a group at one timestamp). */
interface HistogramPoint {
  line: number;
  buckets: number;
  lastLe: number;
  lastBucketValue: number;
  count: number | undefined;
  hasSum: boolean;
  hasGsum: boolean;
  negativeBucket: boolean;
  negativeGsum: boolean;
}

class OpenMetricsScanner {
  private pos = 0;
  private lineNo = 1;
  private lineStart = 0;
  private lineEnd = 0;
  private readonly families: MetricFamily[] = [];
  private cur: FamilyState | undefined;
  /** Every sample name any family so far could produce; family names must not clash. */
  private readonly usedNames = new Set<string>();

  // Grouping state of the current family.
  private seenGroups = new Set<string>();
  private groupKey: string | undefined;
  private groupHasTs = false;
  private groupTs = 0;
  private point: HistogramPoint | undefined;

  // Label scratch space, reused for every sample.
  private readonly ln: string[] = [];
  /** Start of each label's name and end of its closing quote in the body. */
  private readonly labelStart: number[] = [];
  private readonly labelEnd: number[] = [];
  /** Label names strictly ascending and no escapes in values: the raw text is a canonical key. */
  private labelsCanonical = true;
  private suffixName: string | undefined;
  private suffixFamily: FamilyState | undefined;
  private suffixId = S_NONE;
  private readonly lv: string[] = [];
  private lc = 0;
  private lastSampleName: string | undefined;

  constructor(
    private readonly text: string,
    private readonly sink: SampleSink,
    private readonly strict: boolean,
  ) {}

  run(): MetricFamily[] {
    const s = this.text;
    const len = s.length;
    if (len > 0 && s.charCodeAt(0) === 0xfeff) this.fail('the body to start without a byte order mark', '\ufeff');
    let sawEof = false;
    while (this.pos < len) {
      const nl = s.indexOf('\n', this.pos);
      this.lineStart = this.pos;
      this.lineEnd = nl < 0 ? len : nl;
      if (this.lineEnd === this.pos) this.fail('a sample, a metadata line or "# EOF" (blank lines are not allowed)', '');
      if (s.charCodeAt(this.pos) === C_HASH) {
        if (this.lineEnd - this.pos === 5 && s.startsWith('# EOF', this.pos)) {
          sawEof = true;
          if (nl >= 0 && nl + 1 < len) {
            this.lineNo++;
            this.lineStart = nl + 1;
            this.lineEnd = len;
            this.fail('nothing after "# EOF"', s.slice(nl + 1, Math.min(len, nl + 81)));
          }
          break;
        }
        this.metadataLine();
      } else {
        this.sampleLine();
      }
      this.pos = this.lineEnd + 1;
      this.lineNo++;
    }
    if (!sawEof) {
      this.lineStart = this.lineEnd = len;
      this.fail('the body to end with "# EOF"', '');
    }
    this.endFamily();
    return this.families;
  }

  private fail(expected: string, found?: string): never {
    throw new ExpositionParseError(
      'openmetrics',
      this.lineNo,
      expected,
      found ?? this.text.slice(this.lineStart, this.lineEnd),
    );
  }

  private failAt(line: number, expected: string, found: string): never {
    throw new ExpositionParseError('openmetrics', line, expected, found);
  }

  // ---- metadata -------------------------------------------------------------------------

  private metadataLine(): void {
    const s = this.text;
    const end = this.lineEnd;
    let i = this.pos + 1;
    const kw = i + 1;
    let keyword: 'HELP' | 'TYPE' | 'UNIT' | undefined;
    if (s.charCodeAt(i) === C_SPACE && kw + 4 < end && s.charCodeAt(kw + 4) === C_SPACE) {
      if (s.startsWith('HELP', kw)) keyword = 'HELP';
      else if (s.startsWith('TYPE', kw)) keyword = 'TYPE';
      else if (s.startsWith('UNIT', kw)) keyword = 'UNIT';
    }
    if (keyword === undefined) {
      this.fail('"# HELP", "# TYPE", "# UNIT" or "# EOF" (other comments are not allowed in OpenMetrics)');
    }
    i = kw + 5;
    const nameEnd = scanMetricName(s, i, end);
    if (nameEnd === i) this.fail(`a metric name after "# ${keyword} "`);
    if (nameEnd >= end || s.charCodeAt(nameEnd) !== C_SPACE) {
      this.fail(`a space and then the ${keyword === 'HELP' ? 'help text' : keyword === 'TYPE' ? 'type' : 'unit'} after the metric name`);
    }
    const name = s.slice(i, nameEnd);
    const restStart = nameEnd + 1;

    let st = this.cur;
    if (st !== undefined && st.family.name === name) {
      if (st.sampleCount > 0) this.fail(`${keyword} for "${name}" before its samples (metadata after samples)`);
    } else {
      this.endFamily();
      st = this.startFamily(name, 'unknown');
    }

    if (keyword === 'HELP') {
      if (st.helpSet) this.fail(`at most one HELP line for "${name}"`);
      st.helpSet = true;
      st.family.help = this.readEscaped(restStart, end, 'help text');
    } else if (keyword === 'TYPE') {
      if (st.typeSet) this.fail(`at most one TYPE line for "${name}"`);
      const type = s.slice(restStart, end);
      if (!TYPES.has(type)) {
        this.fail('a type of counter, gauge, histogram, gaugehistogram, stateset, info, summary or unknown', type);
      }
      st.typeSet = true;
      st.family.type = type as MetricType;
      st.allowed = SUFFIXES[type as MetricType];
    } else {
      if (st.unitLine !== 0) this.fail(`at most one UNIT line for "${name}"`);
      for (let k = restStart; k < end; k++) {
        if (!isMetricNameChar(s.charCodeAt(k))) this.fail('a unit made of letters, digits, "_" and ":"', s.slice(restStart, end));
      }
      st.unitLine = this.lineNo;
      st.family.unit = s.slice(restStart, end);
    }
  }

  /** Unescapes `\\`, `\n` and `\"`; any other escaped character is kept as written. */
  private readEscaped(start: number, end: number, what: string): string {
    const s = this.text;
    let bs = start;
    while (bs < end && s.charCodeAt(bs) !== C_BACKSLASH) bs++;
    if (bs === end) return s.slice(start, end);
    let out = '';
    let from = start;
    for (let i = bs; i < end; i++) {
      if (s.charCodeAt(i) !== C_BACKSLASH) continue;
      if (i + 1 >= end) this.fail(`an escaped character after "\\" in the ${what}`);
      out += s.slice(from, i);
      const e = s.charCodeAt(i + 1);
      out += e === 110 ? '\n' : e === C_QUOTE ? '"' : e === C_BACKSLASH ? '\\' : s.slice(i, i + 2);
      i++;
      from = i + 1;
    }
    return out + s.slice(from, end);
  }

  private startFamily(name: string, type: MetricType): FamilyState {
    const family: MetricFamily = { name, type, help: '', unit: '', samples: [] };
    this.families.push(family);
    const st: FamilyState = {
      family,
      line: this.lineNo,
      typeSet: false,
      helpSet: false,
      unitLine: 0,
      sampleCount: 0,
      allowed: SUFFIXES[type],
    };
    this.cur = st;
    this.seenGroups = new Set();
    this.groupKey = undefined;
    this.point = undefined;
    return st;
  }

  /** Checks that need the whole family: name clashes, unit rules, the last histogram point. */
  private endFamily(): void {
    const st = this.cur;
    if (st === undefined) return;
    this.cur = undefined;
    const f = st.family;
    if (this.point !== undefined && this.strict) this.checkHistogramPoint(f, this.point);
    for (const suffix of CLAIMED_SUFFIXES[f.type]) {
      const n = f.name + suffix;
      if (this.usedNames.has(n)) {
        this.failAt(st.line, `metric family "${f.name}" (${f.type}) not to reuse the sample name "${n}" of an earlier family (families must not be interleaved or clash)`, n);
      }
      this.usedNames.add(n);
    }
    if (f.unit !== '') {
      if (!f.name.endsWith(`_${f.unit}`)) {
        this.failAt(st.unitLine, `the metric family name "${f.name}" to end with "_${f.unit}" (its UNIT)`, f.unit);
      }
      if (f.type === 'info' || f.type === 'stateset') {
        this.failAt(st.unitLine, `no UNIT for ${f.type} "${f.name}"`, f.unit);
      }
    }
  }

  // ---- samples --------------------------------------------------------------------------

  private sampleLine(): void {
    const s = this.text;
    const end = this.lineEnd;
    const start = this.pos;
    const nameEnd = scanMetricName(s, start, end);
    if (nameEnd === start) this.fail('a metric name, "# HELP", "# TYPE", "# UNIT" or "# EOF"');
    const name = (this.lastSampleName = sliceReusing(s, start, nameEnd, this.lastSampleName));
    let i = nameEnd;
    this.lc = 0;
    if (i < end && s.charCodeAt(i) === C_LBRACE) {
      i = this.readLabels(i, end, this.ln, this.lv, false);
    }
    if (i >= end || s.charCodeAt(i) !== C_SPACE) this.fail(`a single space and a value after "${s.slice(start, i)}"`);
    i++;
    const vEnd = scanToSpace(s, i, end);
    const value = readOpenMetricsNumber(s, i, vEnd);
    if (value === undefined) this.fail('a number, +Inf, -Inf or NaN as the sample value', s.slice(i, vEnd));
    i = vEnd;

    let hasTs = false;
    let ts = 0;
    let exemplar: Exemplar | undefined;
    if (i < end) {
      // i is at a space
      i++;
      if (i < end && s.charCodeAt(i) !== C_HASH) {
        const tEnd = scanToSpace(s, i, end);
        const t = readRealNumber(s, i, tEnd);
        if (t === undefined) this.fail('a timestamp (a real number of seconds) after the value', s.slice(i, tEnd));
        hasTs = true;
        ts = t;
        i = tEnd;
        if (i < end) i++;
        else i = -1;
      }
      if (i >= 0) exemplar = this.readExemplar(i, end);
    }

    // Family membership: a name the current family cannot produce starts a new (unknown) one.
    let st = this.cur;
    let suffix = st === undefined ? S_NONE : this.suffixIn(st, name);
    if (suffix === S_NONE) {
      this.endFamily();
      st = this.startFamily(name, 'unknown');
      suffix = S_EMPTY;
    }
    st = st!;
    st.sampleCount++;
    const f = st.family;
    const type = f.type;

    this.checkSample(f, type, suffix, value, exemplar, this.strict);

    // Grouping: MetricPoints of one Metric are contiguous, their timestamps do not go back.
    const skip = type === 'summary' && suffix === S_EMPTY ? 'quantile'
      : type === 'stateset' ? f.name
      : (type === 'histogram' || type === 'gaugehistogram') && suffix === S_BUCKET ? 'le'
      : undefined;
    const key = type === 'info' ? '' : this.groupKeyOf(skip);
    if (key === this.groupKey) {
      if (hasTs !== this.groupHasTs) this.fail('either all or none of the samples of one metric to have timestamps');
      if (hasTs && ts < this.groupTs && type !== 'info') this.fail(`timestamps of "${name}" not to go backwards`);
    } else {
      if (this.seenGroups.has(key)) this.fail(`the samples of one metric of "${f.name}" to be contiguous (metrics must not be interleaved)`);
      this.seenGroups.add(key);
    }
    const newPoint = key !== this.groupKey || hasTs !== this.groupHasTs || ts !== this.groupTs;
    this.groupKey = key;
    this.groupHasTs = hasTs;
    this.groupTs = ts;

    if (this.strict && (type === 'histogram' || type === 'gaugehistogram')) this.trackHistogram(f, suffix, value, newPoint);

    this.sink.sample(f, name, this.ln, this.lv, this.lc, value, hasTs ? Math.round(ts * 1000) : undefined, exemplar);
  }

  /** The suffix id of `name` within the current family, or S_NONE when it is not a member. */
  private suffixIn(st: FamilyState, name: string): number {
    // Names are reused strings (sliceReusing), so a repeat is an identity hit.
    if (name === this.suffixName && st === this.suffixFamily) return this.suffixId;
    const fam = st.family.name;
    let id = S_NONE;
    if (name.startsWith(fam)) {
      const rest = name.length === fam.length ? '' : name.slice(fam.length);
      for (const a of st.allowed) if (a === rest) id = SUFFIX_IDS[a]!;
    }
    this.suffixName = name;
    this.suffixFamily = st;
    this.suffixId = id;
    return id;
  }

  /**
   * The group (Metric) key of the current sample: its labels without the per-point label
   * (`le`, `quantile`, the stateset name). When names are sorted and values unescaped, the
   * raw label text is already canonical and a slice of the body serves as the key, which
   * avoids building and hashing a new string for most samples.
   */
  private groupKeyOf(skip: string | undefined): string {
    const n = this.lc;
    if (n === 0) return '';
    if (this.labelsCanonical) {
      const ln = this.ln;
      let first = 0;
      let last = n - 1;
      if (skip !== undefined) {
        if (ln[last] === skip) last--;
        else if (ln[first] === skip) first++;
        else {
          for (let k = 1; k < last; k++) if (ln[k] === skip) return labelKey(ln, this.lv, n, skip);
        }
      }
      return last < first ? '' : this.text.slice(this.labelStart[first]!, this.labelEnd[last]!);
    }
    return labelKey(this.ln, this.lv, n, skip);
  }

  private checkSample(f: MetricFamily, type: MetricType, suffix: number, value: number, exemplar: Exemplar | undefined, strict: boolean): void {
    const ln = this.ln;
    const lv = this.lv;
    const lc = this.lc;
    const find = (label: string): string | undefined => {
      for (let k = 0; k < lc; k++) if (ln[k] === label) return lv[k];
      return undefined;
    };
    switch (type) {
      case 'stateset':
        if (find(f.name) === undefined) this.fail(`a label named "${f.name}" (the state) on a stateset sample`);
        if (strict && value !== 0 && value !== 1) this.fail('a stateset value of 0 or 1');
        break;
      case 'info':
        if (strict && value !== 1) this.fail('an info value of 1');
        break;
      case 'summary':
        if (suffix === S_EMPTY) {
          const q = find('quantile');
          const qv = q === undefined ? undefined : readCanonicalLabelNumber(q);
          if (qv === undefined || !(qv >= 0 && qv <= 1)) this.fail('a "quantile" label between 0 and 1 on a summary quantile sample');
          if (strict && value < 0) this.fail('a non-negative quantile value');
        }
        break;
      case 'histogram':
      case 'gaugehistogram':
        if (suffix === S_BUCKET) {
          const le = find('le');
          const lev = le === undefined ? undefined : readCanonicalLabelNumber(le);
          if (lev === undefined || Number.isNaN(lev)) this.fail('an "le" label holding a number or "+Inf" on a bucket sample');
        }
        break;
    }
    if (!strict) {
      // Prometheus-compatible mode: values are data, not syntax; keep what the target sent.
    } else if (suffix === S_BUCKET || suffix === S_COUNT || suffix === S_GCOUNT) {
      if (!Number.isInteger(value)) this.fail(`an integer value for a ${suffix === S_BUCKET ? 'bucket' : 'count'}`);
    }
    if (strict && suffix >= S_TOTAL && suffix !== S_CREATED && suffix !== S_INFO) {
      if (Number.isNaN(value)) this.fail('a value that is not NaN (counter-like samples cannot be NaN)');
      if (value < 0 && suffix !== S_GSUM) this.fail('a non-negative value (counter-like samples cannot be negative)');
    }
    if (exemplar !== undefined) {
      const ok = ((type === 'histogram' || type === 'gaugehistogram') && suffix === S_BUCKET) || (type === 'counter' && suffix === S_TOTAL);
      if (!ok) this.fail('no exemplar (only counter _total and histogram _bucket samples may have one)');
    }
  }

  private trackHistogram(f: MetricFamily, suffix: number, value: number, newPoint: boolean): void {
    if (newPoint && this.point !== undefined) {
      this.checkHistogramPoint(f, this.point);
      this.point = undefined;
    }
    let p = this.point;
    if (p === undefined) {
      p = this.point = {
        line: this.lineNo,
        buckets: 0,
        lastLe: -Infinity,
        lastBucketValue: 0,
        count: undefined,
        hasSum: false,
        hasGsum: false,
        negativeBucket: false,
        negativeGsum: false,
      };
    }
    switch (suffix) {
      case S_BUCKET: {
        let le = 0;
        for (let k = 0; k < this.lc; k++) if (this.ln[k] === 'le') le = readCanonicalLabelNumber(this.lv[k]!)!;
        if (le < 0) p.negativeBucket = true;
        if (p.buckets > 0 && le <= p.lastLe) this.fail(`buckets of "${f.name}" in increasing order of "le"`);
        if (value < p.lastBucketValue) this.fail(`cumulative bucket values for "${f.name}" (a bucket holds less than the one before)`);
        p.buckets++;
        p.lastLe = le;
        p.lastBucketValue = value;
        break;
      }
      case S_COUNT:
      case S_GCOUNT:
        p.count = value;
        break;
      case S_SUM:
        p.hasSum = true;
        break;
      case S_GSUM:
        p.hasGsum = true;
        if (value < 0) p.negativeGsum = true;
        break;
    }
  }

  private checkHistogramPoint(f: MetricFamily, p: HistogramPoint): void {
    const at = (expected: string): never => this.failAt(p.line, `${expected} in the ${f.type} "${f.name}" point starting here`, f.name);
    const countName = f.type === 'histogram' ? '_count' : '_gcount';
    const sumName = f.type === 'histogram' ? '_sum' : '_gsum';
    if (p.buckets === 0 || p.lastLe !== Infinity) at('a bucket with le="+Inf" last');
    if (p.count !== undefined && p.count !== p.lastBucketValue) at(`${countName} equal to the +Inf bucket`);
    if ((p.hasSum || p.hasGsum) && p.count === undefined) at(`${countName} together with ${sumName}`);
    if (!(p.hasSum || p.hasGsum) && p.count !== undefined) at(`${sumName} together with ${countName}`);
    if (p.negativeBucket && p.hasSum) at('no _sum when there are negative buckets');
    if (!p.negativeBucket && p.negativeGsum) at('a non-negative _gsum when no bucket is negative');
  }

  // ---- labels and exemplars -------------------------------------------------------------

  /**
   * Reads `{name="value",...}` starting at the brace into the given arrays (this.lc counts the
   * sample's labels; exemplar labels use their own arrays). Returns the index after `}`.
   */
  private readLabels(i: number, end: number, names: string[], values: string[], exemplar: boolean): number {
    const s = this.text;
    let n = 0;
    let canonical = true;
    i++; // '{'
    if (i < end && s.charCodeAt(i) === C_RBRACE) {
      if (!exemplar) this.lc = 0;
      return i + 1;
    }
    for (;;) {
      const nEnd = scanLabelName(s, i, end);
      if (nEnd === i) this.fail('a label name ([a-zA-Z_][a-zA-Z0-9_]*)', s.slice(i, Math.min(end, i + 20)));
      const lname = sliceReusing(s, i, nEnd, names[n]);
      if (!exemplar) this.labelStart[n] = i;
      i = nEnd;
      if (i >= end || s.charCodeAt(i) !== C_EQ) this.fail(`"=" after label name "${lname}"`);
      i++;
      if (i >= end || s.charCodeAt(i) !== C_QUOTE) this.fail(`a double-quoted value for label "${lname}"`);
      i++;
      const vStart = i;
      let escaped = false;
      while (i < end) {
        const c = s.charCodeAt(i);
        if (c === C_QUOTE) break;
        if (c === C_BACKSLASH) {
          escaped = true;
          i++;
        }
        i++;
      }
      if (i >= end) this.fail(`a closing quote for the value of label "${lname}"`);
      const value = escaped ? this.readEscaped(vStart, i, 'label value') : s.slice(vStart, i);
      i++; // closing quote
      if (!exemplar) {
        this.labelEnd[n] = i;
        if (escaped || (n > 0 && !(lname > names[n - 1]!))) canonical = false;
      }
      if (lname === '__name__') this.fail('a label name other than "__name__" (it is the metric name)');
      names[n] = lname;
      values[n] = value;
      n++;
      if (i >= end) this.fail('"," or "}" after a label value');
      const c = s.charCodeAt(i);
      if (c === C_COMMA) {
        i++;
        continue;
      }
      if (c === C_RBRACE) {
        i++;
        break;
      }
      this.fail('"," or "}" after a label value', s.slice(i, Math.min(end, i + 20)));
    }
    const dup = findDuplicateLabel(names, n);
    if (dup >= 0) this.fail(`label "${names[dup]}" at most once`);
    if (!exemplar) {
      this.lc = n;
      this.labelsCanonical = canonical;
    } else names.length = values.length = n;
    return i;
  }

  /** `# {labels} value [timestamp]` starting at the `#`. */
  private readExemplar(i: number, end: number): Exemplar {
    const s = this.text;
    if (!(s.charCodeAt(i) === C_HASH && s.charCodeAt(i + 1) === C_SPACE && i + 2 < end && s.charCodeAt(i + 2) === C_LBRACE)) {
      this.fail('a timestamp or an exemplar "# {labels} value" after the value', s.slice(i, end));
    }
    const names: string[] = [];
    const values: string[] = [];
    i = this.readLabels(i + 2, end, names, values, true);
    let size = 0;
    const labels: Record<string, string> = {};
    for (let k = 0; k < names.length; k++) {
      size += codePointLength(names[k]!) + codePointLength(values[k]!);
      labels[names[k]!] = values[k]!;
    }
    if (size > EXEMPLAR_MAX_CODE_POINTS) this.fail(`exemplar labels of at most ${EXEMPLAR_MAX_CODE_POINTS} characters in total (found ${size})`);
    if (i >= end || s.charCodeAt(i) !== C_SPACE) this.fail('a space and a value after the exemplar labels');
    i++;
    const vEnd = scanToSpace(s, i, end);
    const value = readOpenMetricsNumber(s, i, vEnd);
    if (value === undefined) this.fail('a number as the exemplar value', s.slice(i, vEnd));
    if (vEnd === end) return { labels, value };
    i = vEnd + 1;
    const tEnd = scanToSpace(s, i, end);
    const t = readRealNumber(s, i, tEnd);
    if (t === undefined) this.fail('a timestamp (a real number of seconds) after the exemplar value', s.slice(i, tEnd));
    if (tEnd !== end) this.fail('the end of the line after the exemplar timestamp', s.slice(tEnd, end));
    return { labels, value, timestamp: Math.round(t * 1000) };
  }
}

/**
 * `strict` (the default) enforces every rule of the spec and the official parser suite.
 * `compatible` keeps all syntax, metadata, ordering and "# EOF" rules but accepts sample
 * values the spec forbids and Prometheus ingests anyway: negative or NaN counter-like values,
 * non-integer counts, stateset/info values other than 0/1, negative quantile values, and
 * histogram points that break bucket rules (client_golang writes a negative `_sum` next to
 * negative buckets, for one). Use it for scraping third-party targets.
 */
export type OpenMetricsMode = 'strict' | 'compatible';

/**
 * Scans an OpenMetrics body, handing every sample to `sink`; returns the families (their
 * `samples` arrays are filled only if the sink does so). Throws ExpositionParseError.
 */
export function scanOpenMetrics(body: string | Uint8Array, sink: SampleSink, mode: OpenMetricsMode = 'strict'): MetricFamily[] {
  const text = decodeBody(body);
  if (text === undefined) throw new ExpositionParseError('openmetrics', 1, 'a UTF-8 encoded body', '');
  return new OpenMetricsScanner(text, sink, mode === 'strict').run();
}
