import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openMetricsCases, runOpenMetricsConformance } from './conformance.js';
import { requireConformanceDir } from './conformance-dir.js';
import { ExpositionParseError } from './errors.js';
import { formatExposition, toOpenMetricsFamilies } from './format.js';
import { flattenFamilies, parseExpositionSamples, parseOpenMetrics, parseTextFormat } from './parse.js';
import type { MetricFamily } from './types.js';

const dir = requireConformanceDir('OpenMetrics parser suite');

function suiteCase(name: string): string {
  return readFileSync(path.join(dir!, 'exposition', 'openmetrics-parsers', name, 'metrics'), 'utf8');
}

function family(families: MetricFamily[], name: string): MetricFamily {
  const f = families.find((x) => x.name === name);
  if (!f) throw new Error(`no family ${name}`);
  return f;
}

function parseError(body: string): ExpositionParseError {
  try {
    parseOpenMetrics(body);
  } catch (err) {
    if (err instanceof ExpositionParseError) return err;
    throw err;
  }
  throw new Error('expected the body to be rejected');
}

describe.skipIf(dir === undefined)('OpenMetrics 1.0 parser suite (prometheus/OpenMetrics tests/testdata/parsers)', () => {
  it('accepts every good case and rejects every bad case', () => {
    const r = runOpenMetricsConformance(dir!);
    console.log(`${r.suite}: ${r.passed}/${r.total} passed`);
    expect(r.failures).toEqual([]);
    expect(r.total).toBeGreaterThanOrEqual(211);
    // Both outcomes are exercised: the suite has 44 good and 167 bad cases.
    const cases = openMetricsCases(dir!);
    expect(cases.filter((c) => !c.shouldParse).length).toBe(167);
  });

  it('reads escapes in label values as the spec defines them (\\n, \\", \\\\; others kept)', () => {
    const f = family(parseOpenMetrics(suiteCase('escaping')).families, 'a');
    expect(f.help).toBe('he\n\\l\\tp');
    expect(f.samples.map((s) => s.labels.foo)).toEqual(['b"a\nr', 'b\\a\\z', 'b"a\nr # ', 'b\\a\\z # ']);
  });

  it('unescapes HELP text', () => {
    const fams = parseOpenMetrics(suiteCase('help_escaping')).families;
    expect(fams.map((f) => f.help)).toEqual(['foo', '\\foo', '\\foo', 'foo\\', '\\', '\n', '\\n', '\\\n', '"', '\\"']);
  });

  it('converts timestamps from seconds to milliseconds', () => {
    const fams = parseOpenMetrics(suiteCase('timestamps')).families;
    expect(family(fams, 'a').samples.map((s) => s.timestamp)).toEqual([0, 0, 1100, Math.round(Number('12345678901234567890.1234567890') * 1000), 1500000]);
    expect(family(fams, 'b').samples[0]).toEqual({ name: 'b_total', labels: {}, value: 2, timestamp: 1234567890000 });
  });

  it('keeps exemplars of counters and histogram buckets', () => {
    const c = family(parseOpenMetrics(suiteCase('counter_exemplars')).families, 'a');
    expect(c.samples[0]).toEqual({ name: 'a_total', labels: {}, value: 0, timestamp: 123000, exemplar: { labels: { a: 'b' }, value: 0.5 } });
    const h = family(parseOpenMetrics(suiteCase('histogram_exemplars')).families, 'a');
    expect(h.samples[2]!.exemplar).toMatchObject({ value: 4, timestamp: 123000 });
    const g = family(parseOpenMetrics(suiteCase('exemplars_with_hash_in_label_values')).families, 'a');
    expect(g.samples[0]).toMatchObject({ labels: { le: '1.0', foo: 'bar # ' }, exemplar: { labels: { a: 'b', foo: 'bar # bar' } } });
  });

  it('reads values: infinities, NaN, uint64, leading zeros', () => {
    expect(family(parseOpenMetrics(suiteCase('labels_and_infinite')).families, 'a').samples.map((s) => s.value)).toEqual([Infinity, -Infinity]);
    expect(family(parseOpenMetrics(suiteCase('nan')).families, 'a').samples[0]!.value).toBeNaN();
    expect(family(parseOpenMetrics(suiteCase('uint64_counter')).families, 'a').samples[0]!.value).toBe(9223372036854775808);
    expect(family(parseOpenMetrics(suiteCase('leading_zeros_float_gauge')).families, 'a').samples[0]!.value).toBeCloseTo(0.12, 12);
  });

  it('reports metadata and types', () => {
    const fams = parseOpenMetrics(suiteCase('counter_unit')).families;
    expect(fams).toHaveLength(1);
    expect(fams[0]).toMatchObject({ name: 'cc_seconds', type: 'counter', unit: 'seconds', help: 'A counter' });
    expect(fams[0]!.samples.map((s) => s.name)).toEqual(['cc_seconds_total', 'cc_seconds_created']);
    expect(family(parseOpenMetrics(suiteCase('untyped')).families, 'redis_connected_clients').type).toBe('unknown');
    expect(family(parseOpenMetrics(suiteCase('null_byte')).families, 'a').help).toBe('he\u0000lp');
  });

  it('rejects the client_golang histogram with a negative _sum in strict mode and reads it in compatible mode', () => {
    const body = readFileSync(path.join(dir!, 'exposition', 'textparse-samples', 'alltypes.5mfs.om.txt'));
    expect(() => parseOpenMetrics(body)).toThrow(/line 33: expected a non-negative value/);
    const fams = parseOpenMetrics(body, { mode: 'compatible' }).families;
    expect(fams.map((f) => [f.name, f.type])).toEqual([
      ['go_build_info', 'gauge'],
      ['promhttp_metric_handler_errors', 'counter'],
      ['rpc_durations_histogram_seconds', 'histogram'],
      ['rpc_durations_seconds', 'summary'],
      ['rpc_requests', 'counter'],
    ]);
    const h = family(fams, 'rpc_durations_histogram_seconds');
    expect(h.samples.find((s) => s.name.endsWith('_sum'))!.value).toBe(-8.452185437166741e-5);
    expect(h.samples.filter((s) => s.exemplar !== undefined)).toHaveLength(6);
  });
});

describe.skipIf(dir === undefined)('real expositions in strict mode', () => {
  it('reads the 237-family exposition rewritten as OpenMetrics to the same samples as the text original', () => {
    const text = readFileSync(path.join(dir!, 'exposition', 'textparse-samples', 'alltypes.237mfs.prom.txt'), 'utf8');
    const om = formatExposition(toOpenMetricsFamilies(parseTextFormat(text).families), 'openmetrics');
    const fromOm = parseExpositionSamples(om, 'openmetrics');
    expect(fromOm).toHaveLength(1857);
    expect(fromOm).toEqual(parseExpositionSamples(text, 'text'));
  });
});

describe('grouping of metrics', () => {
  it('accepts a histogram whose only label besides le is shared with _sum and _count', () => {
    const body = '# TYPE h histogram\nh_bucket{path="/",le="1"} 2\nh_bucket{path="/",le="+Inf"} 3\nh_sum{path="/"} 4\nh_count{path="/"} 3\n' +
      'h_bucket{path="/x",le="1"} 0\nh_bucket{path="/x",le="+Inf"} 1\nh_sum{path="/x"} 1\nh_count{path="/x"} 1\n# EOF\n';
    expect(parseOpenMetrics(body).families[0]!.samples).toHaveLength(8);
  });

  it('treats a label set written in another order as the same metric', () => {
    expect(parseOpenMetrics('# TYPE a counter\na_total{y="1",x="2"} 1\na_created{x="2",y="1"} 5\n# EOF\n').families[0]!.samples).toHaveLength(2);
    const err = parseError('# TYPE a gauge\na{y="1",x="2"} 1\na{x="3"} 1\na{x="2",y="1"} 1\n# EOF\n');
    expect(err.line).toBe(4);
    expect(err.message).toMatch(/contiguous/);
  });

  it('treats escaped and plain spellings of a value as the same metric', () => {
    const err = parseError('# TYPE a gauge\na{x="q\\\\"} 1\na{x="r"} 1\na{x="q\\\\"} 1\n# EOF\n');
    expect(err.line).toBe(4);
  });
});

describe('OpenMetrics parser errors name the line and what was expected', () => {
  it.each([
    ['# TYPE a gauge\na 1\na{b="c"} 2\na 3\n# EOF\n', 4, /samples of one metric of "a" to be contiguous/],
    ['a 1\n', 2, /end with "# EOF"/],
    ['# TYPE a counter\na_total 1\nb 1 2 3\n# EOF\n', 3, /exemplar/],
    ['a{b="1",b="2"} 1\n# EOF\n', 1, /label "b" at most once/],
    ['# TYPE a gauge\n# HELP a x\n\na 1\n# EOF', 3, /blank lines are not allowed/],
    ['a 1\r\n# EOF\n', 1, /as the sample value/],
  ])('%j → line %i', (body, line, message) => {
    const err = parseError(body);
    expect(err.line).toBe(line);
    expect(err.message).toMatch(message);
    expect(err.message).toContain(`line ${line}:`);
    expect(err.code).toBe('KSK_EXPO_OPENMETRICS_INVALID');
  });

  it('rejects invalid UTF-8 and a byte order mark', () => {
    expect(() => parseOpenMetrics(new Uint8Array([0x61, 0x20, 0x31, 0x0a, 0xff, 0x0a]))).toThrow(/UTF-8/);
    expect(() => parseOpenMetrics('\ufeffa 1\n# EOF\n')).toThrow(/byte order mark/);
  });
});

describe('flat samples', () => {
  it('match the flattened families, with __name__ and millisecond timestamps', () => {
    const body = '# TYPE a counter\na_total{x="1"} 3 1.5\na_created{x="1"} 10 1.5\n# TYPE b gauge\nb 2\n# EOF\n';
    const flat = parseExpositionSamples(body, 'openmetrics');
    expect(flat).toEqual([
      { labels: { __name__: 'a_total', x: '1' }, value: 3, timestampMs: 1500 },
      { labels: { __name__: 'a_created', x: '1' }, value: 10, timestampMs: 1500 },
      { labels: { __name__: 'b' }, value: 2 },
    ]);
    expect(flattenFamilies(parseOpenMetrics(body))).toEqual(flat);
  });

  it('hands exemplars to a callback', () => {
    const seen: string[] = [];
    parseExpositionSamples('# TYPE a counter\na_total 1 # {trace_id="x"} 1\n# EOF\n', 'openmetrics', {
      onExemplar: (s, e) => seen.push(`${s.labels.__name__}:${e.labels.trace_id}`),
    });
    expect(seen).toEqual(['a_total:x']);
  });
});
