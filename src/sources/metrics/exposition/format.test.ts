import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openMetricsCases } from './conformance.js';
import { requireConformanceDir } from './conformance-dir.js';
import { formatExposition } from './format.js';
import { parseOpenMetrics, parseTextFormat } from './parse.js';

const dir = requireConformanceDir('exposition round trip');

describe.skipIf(dir === undefined)('formatExposition', () => {
  it('writes OpenMetrics that parses back to the same families, for every good suite case', () => {
    let n = 0;
    for (const c of openMetricsCases(dir!).filter((x) => x.shouldParse)) {
      const first = parseOpenMetrics(readFileSync(c.file), { mode: c.mode ?? 'strict' });
      const again = parseOpenMetrics(formatExposition(first.families, 'openmetrics'), { mode: c.mode ?? 'strict' });
      expect(again, c.name).toEqual(first);
      n++;
    }
    expect(n).toBeGreaterThanOrEqual(44);
  });

  it('writes the text format that parses back to the same families (237 real families)', () => {
    const first = parseTextFormat(readFileSync(path.join(dir!, 'exposition', 'textparse-samples', 'alltypes.237mfs.prom.txt')));
    const text = formatExposition(first.families, 'text');
    expect(parseTextFormat(text)).toEqual(first);
  });

  it('escapes label values and help, and writes special values', () => {
    const fams = [{ name: 'x', type: 'gauge' as const, help: 'a\\b\nc', unit: '', samples: [{ name: 'x', labels: { v: 'q"\\\n' }, value: -Infinity, timestamp: 1500 }] }];
    expect(formatExposition(fams, 'text')).toBe('# HELP x a\\\\b\\nc\n# TYPE x gauge\nx{v="q\\"\\\\\\n"} -Inf 1500\n');
    expect(formatExposition(fams, 'openmetrics')).toBe('# TYPE x gauge\n# HELP x a\\\\b\\nc\nx{v="q\\"\\\\\\n"} -Inf 1.5\n# EOF\n');
  });
});
