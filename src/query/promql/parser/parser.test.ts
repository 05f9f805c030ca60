import { describe, expect, it } from 'vitest';
import { PromqlParseError } from '../errors.js';
import { parseExpr } from './parser.js';

describe('parseExpr', () => {
  it('honours operator precedence and right-associative power', () => {
    const e = parseExpr('1 + 2 * 3 ^ 2 ^ 1');
    expect(e.type).toBe('binary');
    if (e.type !== 'binary') return;
    expect(e.op).toBe('+');
    expect(e.rhs.type === 'binary' && e.rhs.op).toBe('*');
  });

  it('binds unary minus looser than ^', () => {
    const e = parseExpr('-a ^ 2');
    expect(e.type).toBe('unary');
  });

  it('parses selectors with matchers, range, offset and @', () => {
    const e = parseExpr('rate(http_requests_total{job=~"api.*", code!="500"}[5m] offset -1m @ 100)');
    expect(e.type).toBe('call');
    if (e.type !== 'call') return;
    const ms = e.args[0]!;
    expect(ms.type).toBe('matrixSelector');
    if (ms.type !== 'matrixSelector') return;
    expect(ms.rangeMs).toBe(300_000);
    expect(ms.selector.offsetMs).toBe(-60_000);
    expect(ms.selector.at).toEqual({ kind: 'time', ms: 100_000 });
    expect(ms.selector.matchers).toEqual([
      { name: '__name__', op: '=', value: 'http_requests_total' },
      { name: 'job', op: '=~', value: 'api.*' },
      { name: 'code', op: '!=', value: '500' },
    ]);
  });

  it('parses aggregations with the modifier before or after the body, and subqueries', () => {
    const a = parseExpr('sum by (job) (rate(x[5m]))');
    const b = parseExpr('sum(rate(x[5m])) by (job)');
    expect(a.type === 'aggregate' && a.grouping).toEqual(['job']);
    expect(b.type === 'aggregate' && b.grouping).toEqual(['job']);
    const s = parseExpr('max_over_time(rate(x[1m])[10m:30s])');
    expect(s.type === 'call' && s.args[0]!.type).toBe('subquery');
  });

  it('records vector matching', () => {
    const e = parseExpr('a * on(instance) group_left(role) b');
    expect(e.type === 'binary' && e.matching).toEqual({ card: 'many-to-one', on: true, labels: ['instance'], include: ['role'] });
  });

  it.each([
    ['sum(x', /parse error at char 6: unexpected end of input/],
    ['1 > 2', /comparisons between scalars must use BOOL modifier/],
    ['rate(x)', /expected type range vector in call to function "rate", got instant vector/],
    ['foo(x)', /unknown function with name "foo"/],
    ['{job=""}', /vector selector must contain at least one non-empty matcher/],
    ['x and 1', /set operator "and" not allowed in binary scalar expression/],
    ['abs(x[5m])', /expected type instant vector/],
    ['x[5m][1m:]', /subquery is only allowed on instant vector, got matrix/],
    ['(x + y)[5m]', /ranges only allowed for vector selectors/],
  ])('rejects %s with a Prometheus-style message', (q, msg) => {
    expect(() => parseExpr(q)).toThrow(PromqlParseError);
    expect(() => parseExpr(q)).toThrow(msg);
  });
});
