/**
 * Parser for the subset of Go's text/template that Prometheus alert templates use: output
 * actions with pipelines, variables (`$labels.x`, `$value`), fields (`.Labels.x`), literals,
 * `if / else if / else / end`, `with`, `range` (with `$k, $v :=`), variable declarations,
 * comments and `{{- -}}` trimming. `define`, `template` and `block` are refused: Kansoku keeps
 * each annotation self-contained.
 */
import { FUNCTION_ARITY, REFUSED_FUNCTIONS } from './template-functions.js';

export class TemplateSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateSyntaxError';
  }
}

export type Operand =
  | { t: 'field'; base: 'dot' | 'var'; varName?: string; fields: string[] }
  | { t: 'lit'; v: string | number | bigint | boolean | null }
  | { t: 'fn'; name: string }
  | { t: 'sub'; pipe: Pipeline };

export interface Command {
  args: Operand[];
}

export interface Pipeline {
  decl?: { vars: string[]; op: ':=' | '=' };
  cmds: Command[];
}

export type TemplateNode =
  | { t: 'text'; s: string }
  | { t: 'action'; pipe: Pipeline }
  | { t: 'if' | 'with'; pipe: Pipeline; then: TemplateNode[]; else?: TemplateNode[] }
  | { t: 'range'; pipe: Pipeline; body: TemplateNode[]; else?: TemplateNode[] };

type Tok =
  | { k: 'str' | 'ident' | 'var' | 'field'; s: string }
  | { k: 'num'; v: number | bigint }
  | { k: 'punct'; s: '|' | '(' | ')' | ':=' | '=' | ',' };

const KEYWORDS = new Set(['if', 'else', 'end', 'with', 'range', 'define', 'template', 'block', 'break', 'continue']);

/** Splits one action's inside into tokens. */
function lexAction(src: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  const ident = /[A-Za-z_][A-Za-z0-9_]*/y;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '|' || c === '(' || c === ')' || c === ',' || c === '=') {
      out.push({ k: 'punct', s: c });
      i++;
      continue;
    }
    if (c === ':' && src[i + 1] === '=') {
      out.push({ k: 'punct', s: ':=' });
      i += 2;
      continue;
    }
    if (c === '"') {
      let j = i + 1;
      while (j < src.length && src[j] !== '"') j += src[j] === '\\' ? 2 : 1;
      if (j >= src.length) throw new TemplateSyntaxError('unterminated quoted string');
      const raw = src.slice(i, j + 1);
      try {
        out.push({ k: 'str', s: JSON.parse(raw.replace(/\\x([0-9a-fA-F]{2})/g, '\\u00$1')) as string });
      } catch {
        throw new TemplateSyntaxError(`bad quoted string ${raw}`);
      }
      i = j + 1;
      continue;
    }
    if (c === '`') {
      const j = src.indexOf('`', i + 1);
      if (j < 0) throw new TemplateSyntaxError('unterminated raw quoted string');
      out.push({ k: 'str', s: src.slice(i + 1, j) });
      i = j + 1;
      continue;
    }
    const num = /[-+]?(0[xX][0-9a-fA-F]+|\d+(\.\d*)?([eE][-+]?\d+)?|\.\d+([eE][-+]?\d+)?)/y;
    num.lastIndex = i;
    const nm = num.exec(src);
    if (nm && (/[\d]/.test(c) || ((c === '-' || c === '+' || c === '.') && /[\d]/.test(src[i + 1] ?? '')))) {
      const text = nm[0];
      const isFloat = /[.eE]/.test(text) && !/^[-+]?0[xX]/.test(text);
      out.push({ k: 'num', v: isFloat ? Number(text) : BigInt(text.replace(/^\+/, '')) });
      i += text.length;
      continue;
    }
    if (c === '$' || c === '.') {
      // A variable or field with its chain of fields: $labels.instance, .Labels.job, "." alone.
      const chain = c === '$' ? /\$[A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*/y : /(?:\.[A-Za-z_][A-Za-z0-9_]*)+|\./y;
      chain.lastIndex = i;
      const m = chain.exec(src)!;
      out.push({ k: c === '$' ? 'var' : 'field', s: c === '$' ? m[0] : m[0].slice(1) });
      i += m[0].length;
      continue;
    }
    ident.lastIndex = i;
    const m = ident.exec(src);
    if (m) {
      out.push({ k: 'ident', s: m[0] });
      i += m[0].length;
      continue;
    }
    throw new TemplateSyntaxError(`unexpected "${c}" in action`);
  }
  return out;
}

interface RawAction {
  kind: 'text' | 'action';
  s: string;
}

/** Cuts the template into text and action pieces, applying `{{-` / `-}}` trimming. */
function splitActions(text: string): RawAction[] {
  const out: RawAction[] = [];
  let i = 0;
  let trimNextText = false;
  while (i < text.length) {
    const open = text.indexOf('{{', i);
    let chunk = open < 0 ? text.slice(i) : text.slice(i, open);
    if (trimNextText) chunk = chunk.replace(/^\s+/, '');
    trimNextText = false;
    if (open < 0) {
      if (chunk) out.push({ kind: 'text', s: chunk });
      break;
    }
    let start = open + 2;
    if (/^-[ \t\r\n]/.test(text.slice(start, start + 2))) {
      chunk = chunk.replace(/\s+$/, '');
      start += 1;
    }
    if (chunk) out.push({ kind: 'text', s: chunk });
    let inner: string;
    const afterWs = text.slice(start).match(/^\s*/)![0].length;
    if (text.startsWith('/*', start + afterWs)) {
      const close = text.indexOf('*/', start + afterWs + 2);
      if (close < 0) throw new TemplateSyntaxError('unclosed comment');
      const m = /^(\s+-)?\}\}/.exec(text.slice(close + 2));
      if (!m) throw new TemplateSyntaxError('comment ends before closing delimiter');
      trimNextText = m[1] !== undefined;
      i = close + 2 + m[0].length;
      continue;
    }
    // Find the closing "}}" outside quoted strings.
    let j = start;
    let quote: string | undefined;
    for (; j < text.length; j++) {
      const c = text[j]!;
      if (quote) {
        if (c === '\\' && quote === '"') j++;
        else if (c === quote) quote = undefined;
        continue;
      }
      if (c === '"' || c === '`') quote = c;
      else if (c === '}' && text[j + 1] === '}') break;
    }
    if (j >= text.length) throw new TemplateSyntaxError('unclosed action');
    inner = text.slice(start, j);
    const end = j + 2;
    if (/[ \t\r\n]-$/.test(inner)) {
      inner = inner.slice(0, -1);
      trimNextText = true;
    }
    out.push({ kind: 'action', s: inner });
    i = end;
  }
  return out;
}

class TokenStream {
  pos = 0;
  constructor(readonly toks: Tok[]) {}
  peek(): Tok | undefined {
    return this.toks[this.pos];
  }
  next(): Tok | undefined {
    return this.toks[this.pos++];
  }
  done(): boolean {
    return this.pos >= this.toks.length;
  }
}

function parsePipeline(ts: TokenStream, declared: Set<string>, allowDecl: boolean, stopAtParen = false): Pipeline {
  const pipe: Pipeline = { cmds: [] };
  // Declaration: $x := ..., $k, $v := ... (range only)
  const save = ts.pos;
  if (allowDecl && ts.peek()?.k === 'var') {
    const vars: string[] = [];
    let ok = false;
    for (;;) {
      const v = ts.next();
      if (v?.k !== 'var') break;
      vars.push(v.s);
      const p = ts.peek();
      if (p?.k === 'punct' && p.s === ',') {
        ts.next();
        continue;
      }
      if (p?.k === 'punct' && (p.s === ':=' || p.s === '=')) {
        ts.next();
        pipe.decl = { vars, op: p.s };
        ok = true;
      }
      break;
    }
    if (!ok) {
      ts.pos = save;
    } else {
      for (const v of vars) {
        if (pipe.decl!.op === '=' && !declared.has(v)) throw new TemplateSyntaxError(`undefined variable "${v}"`);
        declared.add(v);
      }
    }
  }
  let cmd: Command = { args: [] };
  for (;;) {
    const t = ts.peek();
    if (!t || (stopAtParen && t.k === 'punct' && t.s === ')')) break;
    ts.next();
    if (t.k === 'punct') {
      if (t.s === '|') {
        if (cmd.args.length === 0) throw new TemplateSyntaxError('missing command before "|"');
        pipe.cmds.push(cmd);
        cmd = { args: [] };
        continue;
      }
      if (t.s === '(') {
        const sub = parsePipeline(ts, declared, false, true);
        const close = ts.next();
        if (close?.k !== 'punct' || close.s !== ')') throw new TemplateSyntaxError('unclosed left paren');
        if (sub.cmds.length === 0) throw new TemplateSyntaxError('missing value in parenthesized pipeline');
        cmd.args.push({ t: 'sub', pipe: sub });
        continue;
      }
      throw new TemplateSyntaxError(`unexpected "${t.s}" in command`);
    }
    cmd.args.push(operandOf(t, declared));
  }
  if (cmd.args.length > 0) pipe.cmds.push(cmd);
  else if (pipe.cmds.length > 0) throw new TemplateSyntaxError('missing command after "|"');
  checkArity(pipe);
  return pipe;
}

function operandOf(t: Tok, declared: Set<string>): Operand {
  switch (t.k) {
    case 'str':
      return { t: 'lit', v: t.s };
    case 'num':
      return { t: 'lit', v: t.v };
    case 'var': {
      const [name, ...fields] = splitFieldChain(t.s);
      if (!declared.has(name!)) throw new TemplateSyntaxError(`undefined variable "${name}"`);
      return { t: 'field', base: 'var', varName: name!, fields };
    }
    case 'field':
      return { t: 'field', base: 'dot', fields: t.s === '' ? [] : t.s.split('.') };
    case 'ident': {
      if (t.s === 'true' || t.s === 'false') return { t: 'lit', v: t.s === 'true' };
      if (t.s === 'nil') return { t: 'lit', v: null };
      if (KEYWORDS.has(t.s)) throw new TemplateSyntaxError(`unexpected keyword "${t.s}" in command`);
      const refused = REFUSED_FUNCTIONS[t.s];
      if (refused) throw new TemplateSyntaxError(`function "${t.s}" is not supported: ${refused}`);
      if (!(t.s in FUNCTION_ARITY)) throw new TemplateSyntaxError(`function "${t.s}" not defined`);
      return { t: 'fn', name: t.s };
    }
    default:
      throw new TemplateSyntaxError('unexpected token');
  }
}

function splitFieldChain(s: string): string[] {
  return s.split('.');
}

function checkArity(pipe: Pipeline): void {
  pipe.cmds.forEach((cmd, idx) => {
    const first = cmd.args[0];
    if (first?.t !== 'fn') {
      if (cmd.args.length > 1) throw new TemplateSyntaxError(`can't give argument to non-function ${describeOperand(first!)}`);
      if (idx > 0) throw new TemplateSyntaxError(`non executable command in pipeline stage ${idx + 1}`);
      return;
    }
    const [min, max] = FUNCTION_ARITY[first.name]!;
    const n = cmd.args.length - 1 + (idx > 0 ? 1 : 0);
    if (n < min || (max >= 0 && n > max)) {
      const want = max === min ? `${min}` : max < 0 ? `at least ${min}` : `${min} to ${max}`;
      throw new TemplateSyntaxError(`wrong number of args for ${first.name}: want ${want} got ${n}`);
    }
  });
}

function describeOperand(o: Operand): string {
  if (o.t === 'field') return (o.base === 'var' ? o.varName! : '') + (o.fields.length ? '.' + o.fields.join('.') : o.base === 'dot' ? '.' : '');
  if (o.t === 'lit') return String(o.v);
  return o.t;
}

/** Parses a template into nodes; `predeclared` are the variables set before it runs ($labels, …). */
export function parseTemplateNodes(text: string, predeclared: readonly string[]): TemplateNode[] {
  const pieces = splitActions(text);
  const declared = new Set<string>(['$', ...predeclared]);
  let idx = 0;

  // Parses nodes until an `else` or `end` at this level; returns which one stopped it.
  function parseList(inBlock: boolean): { nodes: TemplateNode[]; stop?: { word: 'else' | 'end'; rest: TokenStream } } {
    const nodes: TemplateNode[] = [];
    while (idx < pieces.length) {
      const p = pieces[idx++]!;
      if (p.kind === 'text') {
        nodes.push({ t: 'text', s: p.s });
        continue;
      }
      const ts = new TokenStream(lexAction(p.s));
      const head = ts.peek();
      if (!head) throw new TemplateSyntaxError('missing value for command');
      if (head.k === 'ident' && KEYWORDS.has(head.s)) {
        ts.next();
        switch (head.s) {
          case 'end':
          case 'else':
            if (!inBlock) throw new TemplateSyntaxError(`unexpected {{${head.s}}}`);
            return { nodes, stop: { word: head.s, rest: ts } };
          case 'if':
          case 'with':
            nodes.push(parseBlock(head.s, ts));
            continue;
          case 'range':
            nodes.push(parseRange(ts));
            continue;
          case 'define':
          case 'template':
          case 'block':
            throw new TemplateSyntaxError(`{{${head.s}}} is not supported: each annotation must be a self-contained template`);
          default:
            throw new TemplateSyntaxError(`{{${head.s}}} outside range`);
        }
      }
      const pipe = parsePipeline(ts, declared, true);
      if (!ts.done()) throw new TemplateSyntaxError('unexpected token after pipeline');
      if (pipe.decl && pipe.decl.vars.length > 1) throw new TemplateSyntaxError('too many declarations in command');
      nodes.push({ t: 'action', pipe });
    }
    if (inBlock) throw new TemplateSyntaxError('unexpected EOF: missing {{end}}');
    return { nodes };
  }

  function parseBlock(kind: 'if' | 'with', ts: TokenStream): TemplateNode {
    const scope = new Set(declared);
    const pipe = parsePipeline(ts, declared, true);
    if (pipe.cmds.length === 0) throw new TemplateSyntaxError(`missing value for ${kind}`);
    const body = parseList(true);
    let elseNodes: TemplateNode[] | undefined;
    if (body.stop!.word === 'else') {
      const rest = body.stop!.rest;
      const nxt = rest.peek();
      if (nxt?.k === 'ident' && (nxt.s === 'if' || nxt.s === 'with')) {
        // `{{else if x}}` is an if nested in the else branch that shares this block's {{end}}.
        rest.next();
        elseNodes = [parseBlock(nxt.s, rest)];
      } else {
        if (!rest.done()) throw new TemplateSyntaxError('unexpected token after else');
        const e = parseList(true);
        if (e.stop!.word !== 'end') throw new TemplateSyntaxError('expected {{end}} after {{else}}');
        elseNodes = e.nodes;
      }
    }
    restore(scope);
    return { t: kind, pipe, then: body.nodes, ...(elseNodes ? { else: elseNodes } : {}) };
  }

  function parseRange(ts: TokenStream): TemplateNode {
    const scope = new Set(declared);
    const pipe = parsePipeline(ts, declared, true);
    if (pipe.cmds.length === 0) throw new TemplateSyntaxError('missing value for range');
    if (pipe.decl && pipe.decl.vars.length > 2) throw new TemplateSyntaxError('too many declarations in range');
    const body = parseList(true);
    let elseNodes: TemplateNode[] | undefined;
    if (body.stop!.word === 'else') {
      const e = parseList(true);
      if (e.stop!.word !== 'end') throw new TemplateSyntaxError('expected {{end}} after {{else}}');
      elseNodes = e.nodes;
    }
    restore(scope);
    return { t: 'range', pipe, body: body.nodes, ...(elseNodes ? { else: elseNodes } : {}) };
  }

  function restore(scope: Set<string>): void {
    declared.clear();
    for (const v of scope) declared.add(v);
  }

  return parseList(false).nodes;
}
