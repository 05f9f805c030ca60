import { describe, expect, it } from 'vitest';
import { parseSeriesLine } from './series-notation.js';

describe('series notation', () => {
  it('expands increments, repeats, blanks and stale markers', () => {
    const s = parseSeriesLine('m{a="1"} -2+4x3 1x2 _x2 stale 0x2');
    expect(s.labels).toEqual({ __name__: 'm', a: '1' });
    expect(s.values.map((v) => (v.kind === 'float' ? v.v : v.kind))).toEqual([
      -2, 2, 6, 10, 1, 1, 1, 'omitted', 'omitted', 'stale', 0, 0, 0,
    ]);
  });
});
