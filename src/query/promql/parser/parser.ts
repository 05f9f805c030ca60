import type { LabelMatcher, MatchOp } from '../../../core/labels.js';
import { PromqlParseError } from '../errors.js';
import { compileAnchoredRegex } from '../labels.js';
import {
  AGGREGATE_OPS,
  COMPARISON_OPS,
  SET_OPS,
  type AggregateOp,
  type AtModifier,
  type BinaryOp,
  type Expr,
  type PosRange,
  type ValueType,
  type VectorMatching,
  type VectorSelector,
} from './ast.js';
import { FUNCTIONS } from './functions.js';
import { tokenize, type Token } from './lexer.js';
import { typeOf } from './types.js';

const PRECEDENCE: Record<string, number> = {
  or: 1,
  and: 2,
  unless: 2,
  '==': 3,
  '!=': 3,
  '<=': 3,
  '<': 3,
  '>=': 3,
  '>': 3,
  '+': 4,
  '-': 4,
  '*': 5,
  '/': 5,
  '%': 5,
  atan2: 5,
  '^': 6,
};

const DURATION_UNITS: Record<string, number> = {
  y: 365 * 86_400_000,
  w: 7 * 86_400_000,
  d: 86_400_000,
  h: 3_600_000,
  m: 60_000,
  s: 1000,
  ms: 1,
};

/** Parses a Prometheus duration literal ("1h30m", "500ms") into milliseconds. */
export function parseDuration(text: string): number {
  const re = /([0-9]+)(ms|s|m|h|d|w|y)/g;
  let total = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text))) total += Number(m[1]) * DURATION_UNITS[m[2]!]!;
  return total;
}

/** Parses a PromQL number literal: decimal, hex, Inf, NaN. */
export function parseNumberLiteral(text: string): number {
  const lower = text.toLowerCase();
  if (lower === 'inf' || lower === '+inf') return Infinity;
  if (lower === '-inf') return -Infinity;
  if (lower === 'nan') return NaN;
  if (/^0x/i.test(text)) return parseInt(text, 16);
  return Number(text);
}

export function documentedType(t: ValueType): string {
  switch (t) {
    case 'vector':
      return 'instant vector';
    case 'matrix':
      return 'range vector';
    default:
      return t;
  }
}

/** Parses and type-checks a PromQL expression; throws PromqlParseError. */
export function parseExpr(input: string): Expr {
  const p = new Parser(input);
  const expr = p.parseTop();
  return expr;
}

class Parser {
  private readonly tokens: Token[];
  private i = 0;

  constructor(private readonly input: string) {
    this.tokens = tokenize(input);
  }

  parseTop(): Expr {
    if (this.peek().kind === 'eof') throw new PromqlParseError('no expression found in input', 0);
    const e = this.parseBinary(0);
    const t = this.peek();
    if (t.kind !== 'eof') throw this.unexpected(t);
    return e;
  }

  private peek(offset = 0): Token {
    return this.tokens[Math.min(this.i + offset, this.tokens.length - 1)]!;
  }

  private next(): Token {
    const t = this.peek();
    if (this.i < this.tokens.length - 1) this.i++;
    return t;
  }

  private describe(t: Token): string {
    switch (t.kind) {
      case 'eof':
        return 'end of input';
      case 'ident':
        return `identifier "${t.text}"`;
      case 'number':
        return `number "${t.text}"`;
      case 'duration':
        return `duration "${t.text}"`;
      case 'string':
        return `string ${JSON.stringify(t.text)}`;
      default:
        return `"${t.text}"`;
    }
  }

  private unexpected(t: Token, context?: string): PromqlParseError {
    return new PromqlParseError(`unexpected ${this.describe(t)}${context ? ` ${context}` : ''}`, t.pos);
  }

  private expect(kind: Token['kind'], context: string): Token {
    const t = this.peek();
    if (t.kind !== kind) throw this.unexpected(t, context);
    return this.next();
  }

  private isIdent(text: string, offset = 0): boolean {
    const t = this.peek(offset);
    return t.kind === 'ident' && t.text.toLowerCase() === text;
  }

  private peekBinaryOp(): BinaryOp | undefined {
    const t = this.peek();
    if (t.kind === 'op' && PRECEDENCE[t.text] !== undefined && t.text !== '=') return t.text as BinaryOp;
    if (t.kind === 'ident' && ['and', 'or', 'unless', 'atan2'].includes(t.text.toLowerCase())) {
      return t.text.toLowerCase() as BinaryOp;
    }
    return undefined;
  }

  private parseBinary(minPrec: number): Expr {
    let lhs = this.parseUnary();
    for (;;) {
      const op = this.peekBinaryOp();
      if (!op) break;
      const prec = PRECEDENCE[op]!;
      if (prec < minPrec) break;
      const opTok = this.next();
      let returnBool = false;
      if (this.isIdent('bool')) {
        this.next();
        returnBool = true;
      }
      let matching: VectorMatching | undefined;
      if (this.isIdent('on') || this.isIdent('ignoring')) {
        const on = this.next().text.toLowerCase() === 'on';
        matching = { card: 'one-to-one', on, labels: this.parseLabelList(), include: [] };
      }
      if (this.isIdent('group_left') || this.isIdent('group_right')) {
        const left = this.next().text.toLowerCase() === 'group_left';
        matching ??= { card: 'one-to-one', on: false, labels: [], include: [] };
        matching.card = left ? 'many-to-one' : 'one-to-many';
        matching.include = this.peek().kind === 'lparen' ? this.parseLabelList() : [];
      }
      const rhs = this.parseBinary(op === '^' ? prec : prec + 1);
      lhs = this.makeBinary(op, lhs, rhs, returnBool, matching, opTok);
    }
    return lhs;
  }

  private makeBinary(
    op: BinaryOp,
    lhs: Expr,
    rhs: Expr,
    returnBool: boolean,
    matching: VectorMatching | undefined,
    opTok: Token,
  ): Expr {
    const pos = { start: lhs.pos.start, end: rhs.pos.end };
    const lt = typeOf(lhs);
    const rt = typeOf(rhs);
    const isComparison = COMPARISON_OPS.has(op);
    const isSet = SET_OPS.has(op);
    const fail = (msg: string, at = pos.start): never => {
      throw new PromqlParseError(msg, at);
    };
    if (returnBool && !isComparison) fail('bool modifier can only be used on comparison operators', opTok.pos);
    if (lt !== 'scalar' && lt !== 'vector') fail('binary expression must contain only scalar and instant vector types', lhs.pos.start);
    if (rt !== 'scalar' && rt !== 'vector') fail('binary expression must contain only scalar and instant vector types', rhs.pos.start);
    if (isComparison && lt === 'scalar' && rt === 'scalar' && !returnBool) fail('comparisons between scalars must use BOOL modifier', opTok.pos);
    if (matching && matching.card !== 'one-to-one') {
      for (const l of matching.include) {
        if (matching.on && matching.labels.includes(l)) fail(`label "${l}" must not occur in ON and GROUP clause at once`);
      }
    }
    if ((lt !== 'vector' || rt !== 'vector') && matching && (matching.labels.length > 0 || matching.on || matching.card !== 'one-to-one')) {
      fail('vector matching only allowed between instant vectors');
    }
    if (isSet) {
      if (lt === 'scalar' || rt === 'scalar') fail(`set operator "${op}" not allowed in binary scalar expression`);
      if (matching && matching.card !== 'one-to-one') fail(`no grouping allowed for "${op}" operation`);
    }
    if (lt === 'vector' && rt === 'vector') {
      matching ??= { card: 'one-to-one', on: false, labels: [], include: [] };
      if (isSet) matching.card = 'many-to-many';
    } else {
      matching = undefined;
    }
    return { type: 'binary', op, lhs, rhs, returnBool, matching, pos };
  }

  private parseUnary(): Expr {
    const t = this.peek();
    if (t.kind === 'op' && (t.text === '+' || t.text === '-')) {
      this.next();
      const operand = this.parseBinary(PRECEDENCE['^']!);
      const pos = { start: t.pos, end: operand.pos.end };
      if (operand.type === 'number') {
        return { type: 'number', value: t.text === '-' ? -operand.value : operand.value, pos };
      }
      const ty = typeOf(operand);
      if (ty !== 'scalar' && ty !== 'vector') {
        throw new PromqlParseError(
          `unary expression only allowed on expressions of type scalar or instant vector, got "${documentedType(ty)}"`,
          t.pos,
        );
      }
      return { type: 'unary', op: t.text, expr: operand, pos };
    }
    return this.parsePostfix(this.parsePrimary());
  }

  private parsePostfix(expr: Expr): Expr {
    let e = expr;
    for (;;) {
      const t = this.peek();
      if (t.kind === 'lbracket') {
        e = this.parseRangeOrSubquery(e);
      } else if (this.isIdent('offset')) {
        this.next();
        e = this.applyOffset(e, this.parseSignedDuration());
      } else if (t.kind === 'at') {
        this.next();
        e = this.applyAt(e, this.parseAt());
      } else {
        return e;
      }
    }
  }

  private parseSignedDuration(): number {
    let sign = 1;
    const t = this.peek();
    if (t.kind === 'op' && (t.text === '-' || t.text === '+')) {
      this.next();
      if (t.text === '-') sign = -1;
    }
    return sign * this.parseDurationToken('offset');
  }

  private parseDurationToken(context: string): number {
    const t = this.next();
    if (t.kind === 'duration') return parseDuration(t.text);
    if (t.kind === 'number') {
      const v = parseNumberLiteral(t.text);
      if (!Number.isFinite(v)) throw new PromqlParseError(`duration out of range`, t.pos);
      return Math.round(v * 1000);
    }
    throw this.unexpected(t, `in ${context}, expected duration`);
  }

  private parseAt(): AtModifier {
    const t = this.peek();
    if (t.kind === 'ident' && (t.text === 'start' || t.text === 'end') && this.peek(1).kind === 'lparen') {
      this.next();
      this.next();
      this.expect('rparen', 'in @ modifier, expected ")"');
      return { kind: t.text };
    }
    let sign = 1;
    if (t.kind === 'op' && (t.text === '-' || t.text === '+')) {
      this.next();
      if (t.text === '-') sign = -1;
    }
    const n = this.next();
    if (n.kind !== 'number' && !(n.kind === 'ident' && /^(inf|nan)$/i.test(n.text)) && n.kind !== 'duration') {
      throw this.unexpected(n, 'in @ modifier, expected timestamp');
    }
    const v = n.kind === 'duration' ? parseDuration(n.text) / 1000 : sign * parseNumberLiteral(n.text);
    const ms = Math.round(v * 1000);
    if (!Number.isFinite(v) || Math.abs(ms) > 9.2e18) {
      throw new PromqlParseError(`timestamp out of bounds for @ modifier: ${v}`, n.pos);
    }
    return { kind: 'time', ms };
  }

  private applyOffset(e: Expr, offsetMs: number): Expr {
    const target = e.type === 'matrixSelector' ? e.selector : e;
    if (target.type !== 'vectorSelector' && target.type !== 'subquery') {
      throw new PromqlParseError(
        'offset modifier must be preceded by an instant vector selector or range vector selector or a subquery',
        e.pos.start,
      );
    }
    if (target.offsetMs !== 0 || (target as { offsetSet?: boolean }).offsetSet) {
      throw new PromqlParseError('offset may not be set multiple times', e.pos.start);
    }
    target.offsetMs = offsetMs;
    (target as { offsetSet?: boolean }).offsetSet = true;
    e.pos = { start: e.pos.start, end: this.peek(-1).end };
    return e;
  }

  private applyAt(e: Expr, at: AtModifier): Expr {
    const target = e.type === 'matrixSelector' ? e.selector : e;
    if (target.type !== 'vectorSelector' && target.type !== 'subquery') {
      throw new PromqlParseError(
        '@ modifier must be preceded by an instant vector selector or range vector selector or a subquery',
        e.pos.start,
      );
    }
    if (target.at) throw new PromqlParseError('@ <timestamp> may not be set multiple times', e.pos.start);
    target.at = at;
    return e;
  }

  private parseRangeOrSubquery(e: Expr): Expr {
    const open = this.next();
    const rangeMs = this.parseDurationToken('range');
    const t = this.next();
    if (t.kind === 'rbracket') {
      if (e.type !== 'vectorSelector') {
        throw new PromqlParseError('ranges only allowed for vector selectors', e.pos.start);
      }
      if ((e as { offsetSet?: boolean }).offsetSet) throw new PromqlParseError('no offset modifiers allowed before range', open.pos);
      if (e.at) throw new PromqlParseError('no @ modifiers allowed before range', open.pos);
      if (rangeMs <= 0) throw new PromqlParseError('range duration must be greater than 0', open.pos);
      return { type: 'matrixSelector', selector: e, rangeMs, pos: { start: e.pos.start, end: t.end } };
    }
    if (t.kind !== 'colon') throw this.unexpected(t, 'in subquery or range selector, expected "]" or ":"');
    let stepMs: number | undefined;
    if (this.peek().kind !== 'rbracket') stepMs = this.parseDurationToken('subquery step');
    const close = this.expect('rbracket', 'in subquery selector, expected "]"');
    const ty = typeOf(e);
    if (ty !== 'vector') {
      throw new PromqlParseError(`subquery is only allowed on instant vector, got ${ty} instead`, e.pos.start);
    }
    return {
      type: 'subquery',
      expr: e,
      rangeMs,
      stepMs: stepMs === 0 ? undefined : stepMs,
      offsetMs: 0,
      at: undefined,
      pos: { start: e.pos.start, end: close.end },
    };
  }

  private parsePrimary(): Expr {
    const t = this.peek();
    switch (t.kind) {
      case 'number': {
        this.next();
        return { type: 'number', value: parseNumberLiteral(t.text), pos: { start: t.pos, end: t.end } };
      }
      case 'duration': {
        this.next();
        return { type: 'number', value: parseDuration(t.text) / 1000, pos: { start: t.pos, end: t.end } };
      }
      case 'string':
        this.next();
        return { type: 'string', value: t.text, pos: { start: t.pos, end: t.end } };
      case 'lparen': {
        this.next();
        const inner = this.parseBinary(0);
        const close = this.expect('rparen', 'in parenthesized expression, expected ")"');
        return { type: 'paren', expr: inner, pos: { start: t.pos, end: close.end } };
      }
      case 'lbrace':
        return this.parseSelector(undefined, t.pos);
      case 'ident':
        return this.parseIdentExpr();
      default:
        throw this.unexpected(t);
    }
  }

  private parseIdentExpr(): Expr {
    const t = this.next();
    const lower = t.text.toLowerCase();
    const next = this.peek();
    if (AGGREGATE_OPS.has(lower) && (next.kind === 'lparen' || this.isIdent('by') || this.isIdent('without'))) {
      return this.parseAggregate(lower as AggregateOp, t);
    }
    if (next.kind === 'lparen') {
      if (!FUNCTIONS.has(t.text)) throw new PromqlParseError(`unknown function with name "${t.text}"`, t.pos);
      return this.parseCall(t);
    }
    if (lower === 'inf' || lower === 'nan') {
      return { type: 'number', value: parseNumberLiteral(lower), pos: { start: t.pos, end: t.end } };
    }
    if (['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'offset', 'and', 'or', 'unless', 'atan2'].includes(lower)) {
      throw this.unexpected(t);
    }
    return this.parseSelector(t.text, t.pos);
  }

  private parseCall(nameTok: Token): Expr {
    const fn = FUNCTIONS.get(nameTok.text)!;
    this.next(); // (
    const args: Expr[] = [];
    if (this.peek().kind !== 'rparen') {
      for (;;) {
        args.push(this.parseBinary(0));
        if (this.peek().kind === 'comma') {
          this.next();
          if (this.peek().kind === 'rparen') break;
          continue;
        }
        break;
      }
    }
    const close = this.expect('rparen', `in call to function "${fn.name}", expected ")" or ","`);
    const pos = { start: nameTok.pos, end: close.end };
    const n = fn.argTypes.length;
    if (fn.variadic === 0 && args.length !== n) {
      throw new PromqlParseError(`expected ${n} argument(s) in call to "${fn.name}", got ${args.length}`, pos.start);
    }
    if (fn.variadic !== 0) {
      const minArgs = n - 1;
      if (args.length < minArgs) {
        throw new PromqlParseError(`expected at least ${minArgs} argument(s) in call to "${fn.name}", got ${args.length}`, pos.start);
      }
      if (fn.variadic > 0 && args.length > minArgs + fn.variadic) {
        throw new PromqlParseError(`expected at most ${minArgs + fn.variadic} argument(s) in call to "${fn.name}", got ${args.length}`, pos.start);
      }
    }
    args.forEach((a, i) => {
      const want = fn.argTypes[Math.min(i, n - 1)]!;
      const got = typeOf(a);
      if (got !== want) {
        throw new PromqlParseError(
          `expected type ${documentedType(want)} in call to function "${fn.name}", got ${documentedType(got)}`,
          a.pos.start,
        );
      }
    });
    return { type: 'call', func: fn.name, args, pos };
  }

  private parseAggregate(op: AggregateOp, opTok: Token): Expr {
    let grouping: string[] = [];
    let without = false;
    let hadModifier = false;
    if (this.isIdent('by') || this.isIdent('without')) {
      without = this.next().text.toLowerCase() === 'without';
      grouping = this.parseLabelList();
      hadModifier = true;
    }
    this.expect('lparen', `in aggregation, expected "("`);
    const args: Expr[] = [];
    if (this.peek().kind !== 'rparen') {
      for (;;) {
        args.push(this.parseBinary(0));
        if (this.peek().kind !== 'comma') break;
        this.next();
        if (this.peek().kind === 'rparen') break;
      }
    }
    const close = this.expect('rparen', 'in aggregation, expected ")" or ","');
    let end = close.end;
    if (this.isIdent('by') || this.isIdent('without')) {
      if (hadModifier) throw this.unexpected(this.peek(), 'in aggregation');
      without = this.next().text.toLowerCase() === 'without';
      grouping = this.parseLabelList();
      end = this.peek(-1).end;
    }
    const pos = { start: opTok.pos, end };
    const needsParam = ['topk', 'bottomk', 'quantile', 'count_values', 'limitk', 'limit_ratio'].includes(op);
    if (args.length === 0) throw new PromqlParseError('no arguments for aggregate expression provided', pos.start);
    const want = needsParam ? 2 : 1;
    if (args.length !== want) {
      throw new PromqlParseError(
        `wrong number of arguments for aggregate expression provided, expected ${want}, got ${args.length}`,
        pos.start,
      );
    }
    const expr = args[want - 1]!;
    const param = needsParam ? args[0] : undefined;
    const et = typeOf(expr);
    if (et !== 'vector') {
      throw new PromqlParseError(`expected type instant vector in aggregation expression, got ${documentedType(et)}`, expr.pos.start);
    }
    if (param) {
      const pt = typeOf(param);
      const wantParam: ValueType = op === 'count_values' ? 'string' : 'scalar';
      if (pt !== wantParam) {
        throw new PromqlParseError(
          `expected type ${documentedType(wantParam)} in aggregation parameter, got ${documentedType(pt)}`,
          param.pos.start,
        );
      }
    }
    return { type: 'aggregate', op, expr, param, grouping, without, pos };
  }

  /** `(a, b, "c")` as used by by/without/on/ignoring/group_left. */
  private parseLabelList(): string[] {
    this.expect('lparen', 'in grouping opts, expected "("');
    const out: string[] = [];
    while (this.peek().kind !== 'rparen') {
      const t = this.next();
      if (t.kind === 'ident' || t.kind === 'string') out.push(t.text);
      else throw this.unexpected(t, 'in grouping opts, expected label');
      if (this.peek().kind === 'comma') this.next();
      else if (this.peek().kind !== 'rparen') throw this.unexpected(this.peek(), 'in grouping opts, expected "," or ")"');
    }
    this.next();
    return out;
  }

  private parseSelector(name: string | undefined, start: number): VectorSelector {
    const matchers: LabelMatcher[] = [];
    let metricName = name;
    let end = name === undefined ? start : this.peek(-1).end;
    if (this.peek().kind === 'lbrace') {
      this.next();
      while (this.peek().kind !== 'rbrace') {
        const lt = this.next();
        if (lt.kind !== 'ident' && lt.kind !== 'string') throw this.unexpected(lt, 'in label matching, expected label');
        const op = this.peek();
        if (lt.kind === 'string' && (op.kind === 'comma' || op.kind === 'rbrace')) {
          // A bare quoted string is the metric name (UTF-8 names, Prometheus 3).
          if (metricName !== undefined) {
            throw new PromqlParseError(`metric name must not be set twice: "${metricName}" or "${lt.text}"`, start);
          }
          metricName = lt.text;
        } else {
          if (op.kind !== 'op' || !['=', '!=', '=~', '!~'].includes(op.text)) {
            throw this.unexpected(op, 'in label matching, expected label matching operator');
          }
          this.next();
          const vt = this.next();
          if (vt.kind !== 'string') throw this.unexpected(vt, 'in label matching, expected string');
          if (op.text === '=~' || op.text === '!~') {
            try {
              compileAnchoredRegex(vt.text);
            } catch (err) {
              throw new PromqlParseError(`error parsing regexp: ${(err as Error).message}`, vt.pos);
            }
          }
          matchers.push({ name: lt.text, op: op.text as MatchOp, value: vt.text });
        }
        if (this.peek().kind === 'comma') this.next();
        else if (this.peek().kind !== 'rbrace') throw this.unexpected(this.peek(), 'in label matching, expected "," or "}"');
      }
      end = this.next().end;
    }
    if (metricName !== undefined) {
      for (const m of matchers) {
        if (m.name === '__name__') {
          throw new PromqlParseError(`metric name must not be set twice: "${metricName}" or "${m.value}"`, start);
        }
      }
      matchers.unshift({ name: '__name__', op: '=', value: metricName });
    }
    const pos: PosRange = { start, end };
    const nonEmpty = matchers.some((m) => !matcherMatchesEmpty(m));
    if (!nonEmpty) throw new PromqlParseError('vector selector must contain at least one non-empty matcher', start);
    return { type: 'vectorSelector', name: metricName, matchers, offsetMs: 0, at: undefined, pos };
  }
}

function matcherMatchesEmpty(m: LabelMatcher): boolean {
  switch (m.op) {
    case '=':
      return m.value === '';
    case '!=':
      return m.value !== '';
    case '=~':
      return compileAnchoredRegex(m.value).test('');
    case '!~':
      return !compileAnchoredRegex(m.value).test('');
  }
}
