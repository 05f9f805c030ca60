import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runTextFormatConformance } from './conformance.js';
import { requireConformanceDir } from './conformance-dir.js';
import { parseContentType } from './content-type.js';
import { ExpositionParseError } from './errors.js';
import { parseExpositionSamples, parseTextFormat } from './parse.js';

const dir = requireConformanceDir('Prometheus text-format corpus');

function corpus(name: string): string {
  return readFileSync(path.join(dir!, 'exposition', name), 'utf8');
}

describe.skipIf(dir === undefined)('Prometheus text format 0.0.4 corpus (prometheus/common expfmt)', () => {
  it('accepts every valid input and rejects every invalid one', () => {
    const r = runTextFormatConformance(dir!);
    console.log(`${r.suite}: ${r.passed}/${r.total} passed`);
    expect(r.failures).toEqual([]);
    expect(r.total).toBeGreaterThanOrEqual(27);
  });

  it('reads blanks, tabs, trailing commas, escapes and timestamps like the reference parser', () => {
    const fams = parseTextFormat(corpus('expfmt-text-corpus/from_test_parse_2')).families;
    expect(fams.map((f) => [f.name, f.type, f.help])).toEqual([
      ['name', 'counter', 'two-line\n doc  str\\ing'],
      ['name2', 'gauge', 'doc str"ing 2'],
    ]);
    expect(fams[0]!.samples[0]!.value).toBeNaN();
    expect(fams[0]!.samples[1]).toEqual({ name: 'name', labels: { labelname: 'val2', basename: 'base"v\\al\nue' }, value: 0.23, timestamp: 1234567890 });
    expect(fams[1]!.samples).toEqual([
      { name: 'name2', labels: { labelname: 'val2', basename: 'basevalue2' }, value: Infinity, timestamp: 54321 },
      { name: 'name2', labels: { labelname: 'val1' }, value: -Infinity },
    ]);
  });

  it('merges interleaved families and attaches _sum/_count to a declared summary', () => {
    const fams = parseTextFormat(corpus('expfmt-text-corpus/from_test_parse_3')).families;
    expect(fams.map((f) => [f.name, f.type, f.samples.length])).toEqual([
      ['my_summary', 'summary', 8],
      ['decoy', 'unknown', 1],
      ['fake_sum', 'unknown', 1],
      ['another_summary', 'summary', 2],
    ]);
    expect(fams[1]!.samples[0]).toEqual({ name: 'decoy', labels: {}, value: -1, timestamp: -2 });
  });

  it('drops HELP-only names as the reference parser does', () => {
    expect(parseTextFormat(corpus('expfmt-text-corpus/from_test_parse_1')).families.map((f) => f.name)).toEqual([
      'minimal_metric',
      'another_metric',
      'no_labels',
    ]);
  });

  it('reads the same series and values with and without HELP/TYPE (237 real metric families)', () => {
    const withMeta = parseExpositionSamples(corpus('textparse-samples/alltypes.237mfs.prom.txt'), 'text');
    const noMeta = parseExpositionSamples(corpus('textparse-samples/alltypes.237mfs.nometa.prom.txt'), 'text');
    expect(withMeta).toHaveLength(1857);
    expect(noMeta).toEqual(withMeta);
    const fams = parseTextFormat(corpus('textparse-samples/alltypes.237mfs.prom.txt')).families;
    expect(fams).toHaveLength(237);
    const types = new Set(fams.map((f) => f.type));
    expect([...types].sort()).toEqual(['counter', 'gauge', 'histogram', 'summary']);
  });
});

describe('text format errors', () => {
  it.each([
    ['a 1\nb{c="\\t"} 2\n', 2, /only \\\\, \\" or \\n escapes/],
    ['a 1 2.5\n', 1, /timestamp in integer milliseconds/],
    ['a 1', 1, /line feed at the end of the last line/],
    ['# TYPE a gauge\na 1\n# TYPE a gauge\n', 3, /one TYPE line for "a", before its first sample/],
    ['a{__name__="b"} 1\n', 1, /reserved "__name__"/],
  ])('%j → line %i', (body, line, message) => {
    let err: unknown;
    try {
      parseTextFormat(body);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ExpositionParseError);
    expect((err as ExpositionParseError).line).toBe(line);
    expect((err as ExpositionParseError).message).toMatch(message);
  });
});

describe('parseContentType', () => {
  it.each([
    ['application/openmetrics-text; version=1.0.0; charset=utf-8', 'openmetrics'],
    ['Application/OpenMetrics-Text;version=0.0.1', 'openmetrics'],
    ['text/plain; version=0.0.4; charset=utf-8', 'text'],
    ['', 'text'],
    [undefined, 'text'],
    ['application/json', 'text'],
  ] as const)('%j → %s', (header, want) => {
    expect(parseContentType(header)).toBe(want);
  });
});
