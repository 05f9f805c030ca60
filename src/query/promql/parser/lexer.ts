import { PromqlParseError } from '../errors.js';

export type TokenKind =
  | 'ident'
  | 'number'
  | 'duration'
  | 'string'
  | 'op'
  | 'lparen'
  | 'rparen'
  | 'lbrace'
  | 'rbrace'
  | 'lbracket'
  | 'rbracket'
  | 'comma'
  | 'colon'
  | 'at'
  | 'eof';

export interface Token {
  kind: TokenKind;
  /** Raw text; for strings the unquoted value. */
  text: string;
  pos: number;
  end: number;
}

const OPERATORS = ['==', '!=', '<=', '>=', '=~', '!~', '+', '-', '*', '/', '%', '^', '<', '>', '='];
const DURATION_RE = /^(?:[0-9]+(?:ms|s|m|h|d|w|y))+/;
const NUMBER_RE = /^(?:0[xX][0-9a-fA-F]+|(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)/;
const IDENT_RE = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;

/** Splits a PromQL query into tokens; comments (`# ...`) and whitespace are skipped. */
export function tokenize(input: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const c = input[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    if (c === '#') {
      while (i < input.length && input[i] !== '\n') i++;
      continue;
    }
    const rest = input.slice(i);
    const single: Record<string, TokenKind> = {
      '(': 'lparen',
      ')': 'rparen',
      '{': 'lbrace',
      '}': 'rbrace',
      '[': 'lbracket',
      ']': 'rbracket',
      ',': 'comma',
      ':': 'colon',
      '@': 'at',
    };
    if (c === '"' || c === "'" || c === '`') {
      const { value, end } = readString(input, i);
      tokens.push({ kind: 'string', text: value, pos: i, end });
      i = end;
      continue;
    }
    if (/[0-9.]/.test(c)) {
      const d = DURATION_RE.exec(rest);
      if (d && !/[a-zA-Z0-9_.]/.test(rest[d[0].length] ?? '')) {
        tokens.push({ kind: 'duration', text: d[0], pos: i, end: i + d[0].length });
        i += d[0].length;
        continue;
      }
      const n = NUMBER_RE.exec(rest);
      if (n && n[0] !== '.') {
        if (/[a-zA-Z_]/.test(rest[n[0].length] ?? '')) {
          throw new PromqlParseError(`bad number or duration syntax: "${rest.slice(0, n[0].length + 1)}"`, i);
        }
        tokens.push({ kind: 'number', text: n[0], pos: i, end: i + n[0].length });
        i += n[0].length;
        continue;
      }
    }
    if (c === ':' && /^:[a-zA-Z_:]/.test(rest) && tokens[tokens.length - 1]?.kind !== 'duration' && tokens[tokens.length - 1]?.kind !== 'number') {
      // A metric name may start with a colon (recording rules), but `[5m:1m]` must lex as a colon.
      const prev = tokens[tokens.length - 1];
      if (prev?.kind !== 'lbracket') {
        const m = IDENT_RE.exec(rest)!;
        tokens.push({ kind: 'ident', text: m[0], pos: i, end: i + m[0].length });
        i += m[0].length;
        continue;
      }
    }
    if (single[c]) {
      tokens.push({ kind: single[c]!, text: c, pos: i, end: i + 1 });
      i++;
      continue;
    }
    const id = IDENT_RE.exec(rest);
    if (id) {
      let text = id[0];
      // Inside a subquery `[5m:1m]` the colon belongs to the brackets, not to an identifier.
      if (text.includes(':') && insideBrackets(tokens)) text = text.slice(0, text.indexOf(':')) || text;
      tokens.push({ kind: 'ident', text, pos: i, end: i + text.length });
      i += text.length;
      continue;
    }
    const op = OPERATORS.find((o) => rest.startsWith(o));
    if (op) {
      tokens.push({ kind: 'op', text: op, pos: i, end: i + op.length });
      i += op.length;
      continue;
    }
    throw new PromqlParseError(`unexpected character: ${JSON.stringify(c)}`, i);
  }
  tokens.push({ kind: 'eof', text: '', pos: input.length, end: input.length });
  return tokens;
}

function insideBrackets(tokens: Token[]): boolean {
  let depth = 0;
  for (let k = tokens.length - 1; k >= 0; k--) {
    const t = tokens[k]!;
    if (t.kind === 'rbracket') depth++;
    if (t.kind === 'lbracket') {
      if (depth === 0) return true;
      depth--;
    }
    if (t.kind === 'lbrace' || t.kind === 'lparen') return false;
  }
  return false;
}

/** Reads a quoted string at `start` with Go escape rules (backquotes are raw). */
export function readString(input: string, start: number): { value: string; end: number } {
  const q = input[start]!;
  let i = start + 1;
  let out = '';
  while (i < input.length) {
    const c = input[i]!;
    if (c === q) return { value: out, end: i + 1 };
    if (q !== '`' && c === '\n') throw new PromqlParseError('unterminated quoted string', start);
    if (c === '\\' && q !== '`') {
      const n = input[i + 1];
      const simple: Record<string, string> = {
        a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\', '"': '"', "'": "'",
      };
      if (n !== undefined && simple[n] !== undefined) {
        if ((n === '"' && q !== '"') || (n === "'" && q !== "'")) {
          throw new PromqlParseError(`unknown escape sequence \\${n}`, i);
        }
        out += simple[n];
        i += 2;
        continue;
      }
      const hexLen = n === 'x' ? 2 : n === 'u' ? 4 : n === 'U' ? 8 : 0;
      if (hexLen) {
        const hex = input.slice(i + 2, i + 2 + hexLen);
        if (!new RegExp(`^[0-9a-fA-F]{${hexLen}}$`).test(hex)) throw new PromqlParseError('invalid escape sequence', i);
        const cp = parseInt(hex, 16);
        if (n === 'x') out += String.fromCharCode(cp);
        else out += String.fromCodePoint(cp);
        i += 2 + hexLen;
        continue;
      }
      if (n !== undefined && /[0-7]/.test(n)) {
        const oct = input.slice(i + 1, i + 4);
        if (!/^[0-7]{3}$/.test(oct)) throw new PromqlParseError('invalid octal escape sequence', i);
        out += String.fromCharCode(parseInt(oct, 8));
        i += 4;
        continue;
      }
      throw new PromqlParseError(`unknown escape sequence \\${n ?? ''}`, i);
    }
    out += c;
    i++;
  }
  throw new PromqlParseError('unterminated quoted string', start);
}
