/**
 * Alert templates as Prometheus expands them: `{{ $labels.instance }}`, `{{ $value }}`,
 * `{{ humanize $value }}`, `{{ .Labels.job }}`, `{{ if gt $value 0.9 }}…{{ end }}`. Each template
 * runs with `$labels`, `$externalLabels`, `$externalURL` and `$value` predeclared, as Prometheus
 * prepends them. An expansion error yields `<error expanding template: …>` in place of the text,
 * as Prometheus does, so a notification still goes out.
 */
import type { Labels } from '../core/labels.js';
import { TemplateSyntaxError, parseTemplateNodes, type Operand, type Pipeline, type TemplateNode } from './template-parse.js';
import { TemplateExecError, callFunction, isTrue, printValue, type TemplateValue } from './template-functions.js';

export { TemplateSyntaxError } from './template-parse.js';
export { TemplateExecError, humanize, humanize1024, humanizeDuration, humanizeTimestamp, goSprintf, type TemplateValue } from './template-functions.js';

export interface TemplateData {
  labels: Labels;
  value: number;
  externalLabels?: Labels;
  externalURL?: string;
}

const PREDECLARED = ['$labels', '$externalLabels', '$externalURL', '$value'];

/** Bounds runaway `range` output; annotations are short texts. */
const MAX_OUTPUT_CHARS = 64 * 1024;

export class AlertTemplate {
  private constructor(
    readonly text: string,
    private readonly nodes: TemplateNode[],
  ) {}

  /** Parses a template; throws TemplateSyntaxError with the reason (unknown function, unclosed action, …). */
  static parse(text: string): AlertTemplate {
    return new AlertTemplate(text, parseTemplateNodes(text, PREDECLARED));
  }

  /** Expands the template; throws TemplateExecError when a function fails at run time. */
  execute(data: TemplateData): string {
    const root: Record<string, TemplateValue> = {
      Labels: data.labels,
      ExternalLabels: data.externalLabels ?? {},
      ExternalURL: data.externalURL ?? '',
      Value: data.value,
    };
    const vars: Map<string, TemplateValue>[] = [
      new Map<string, TemplateValue>([
        ['$', root as unknown as TemplateValue],
        ['$labels', data.labels],
        ['$externalLabels', data.externalLabels ?? {}],
        ['$externalURL', data.externalURL ?? ''],
        ['$value', data.value],
      ]),
    ];
    const ex = new Executor(vars, root, data.externalURL ?? '');
    return ex.run(this.nodes, root as unknown as TemplateValue);
  }
}

/** Returns the reason a template would be refused, or undefined when it parses. */
export function checkTemplate(text: string): string | undefined {
  try {
    AlertTemplate.parse(text);
    return undefined;
  } catch (err) {
    if (err instanceof TemplateSyntaxError) return err.message;
    throw err;
  }
}

/** Expands a template as Prometheus does for alert labels and annotations, never throwing. */
export function expandAlertTemplate(text: string, data: TemplateData): string {
  if (!text.includes('{{')) return text;
  try {
    return AlertTemplate.parse(text).execute(data);
  } catch (err) {
    if (err instanceof TemplateSyntaxError || err instanceof TemplateExecError) return `<error expanding template: ${err.message}>`;
    throw err;
  }
}

type Root = Record<string, TemplateValue>;

class Executor {
  private out = '';

  constructor(
    private readonly scopes: Map<string, TemplateValue>[],
    private readonly root: Root,
    private readonly externalURL: string,
  ) {}

  run(nodes: TemplateNode[], dot: TemplateValue): string {
    this.walk(nodes, dot);
    return this.out;
  }

  private write(s: string): void {
    this.out += s;
    if (this.out.length > MAX_OUTPUT_CHARS) throw new TemplateExecError(`output longer than ${MAX_OUTPUT_CHARS} characters`);
  }

  private walk(nodes: TemplateNode[], dot: TemplateValue): void {
    for (const n of nodes) {
      switch (n.t) {
        case 'text':
          this.write(n.s);
          break;
        case 'action': {
          const v = this.pipeline(n.pipe, dot);
          if (!n.pipe.decl) this.write(printValue(v));
          break;
        }
        case 'if':
        case 'with': {
          this.scopes.push(new Map());
          const v = this.pipeline(n.pipe, dot);
          if (isTrue(v)) this.walk(n.then, n.t === 'with' ? v : dot);
          else if (n.else) this.walk(n.else, dot);
          this.scopes.pop();
          break;
        }
        case 'range':
          this.range(n, dot);
          break;
      }
    }
  }

  private range(n: Extract<TemplateNode, { t: 'range' }>, dot: TemplateValue): void {
    this.scopes.push(new Map());
    const decl = n.pipe.decl;
    const v = this.pipeline({ cmds: n.pipe.cmds }, dot);
    let items: [TemplateValue, TemplateValue][];
    if (Array.isArray(v)) items = v.map((x, i) => [BigInt(i), x]);
    else if (v && typeof v === 'object') items = Object.keys(v).sort().map((k) => [k, v[k]!]);
    else if (typeof v === 'bigint') items = Array.from({ length: Number(v) }, (_x, i) => [BigInt(i), BigInt(i)]);
    else if (v === undefined || v === null) items = [];
    else throw new TemplateExecError(`range can't iterate over ${printValue(v)}`);
    if (items.length === 0) {
      if (n.else) this.walk(n.else, dot);
    } else {
      for (const [k, x] of items) {
        const scope = new Map<string, TemplateValue>();
        if (decl?.vars.length === 1) scope.set(decl.vars[0]!, x);
        if (decl?.vars.length === 2) {
          scope.set(decl.vars[0]!, k);
          scope.set(decl.vars[1]!, x);
        }
        this.scopes.push(scope);
        this.walk(n.body, x);
        this.scopes.pop();
      }
    }
    this.scopes.pop();
  }

  private pipeline(p: Pipeline, dot: TemplateValue): TemplateValue {
    let piped: TemplateValue | typeof NONE = NONE;
    for (const cmd of p.cmds) {
      const [first, ...rest] = cmd.args;
      if (first!.t === 'fn') {
        const args = rest.map((a) => this.operand(a, dot));
        if (piped !== NONE) args.push(piped);
        piped = callFunction(first!.name, args, { externalURL: this.externalURL });
      } else {
        piped = this.operand(first!, dot);
      }
    }
    const v = piped === NONE ? undefined : piped;
    if (p.decl) {
      for (const name of p.decl.vars) {
        if (p.decl.op === ':=') this.scopes[this.scopes.length - 1]!.set(name, v);
        else this.assign(name, v);
      }
    }
    return v;
  }

  private assign(name: string, v: TemplateValue): void {
    for (let i = this.scopes.length - 1; i >= 0; i--) {
      if (this.scopes[i]!.has(name)) {
        this.scopes[i]!.set(name, v);
        return;
      }
    }
    throw new TemplateExecError(`undefined variable: ${name}`);
  }

  private lookupVar(name: string): TemplateValue {
    for (let i = this.scopes.length - 1; i >= 0; i--) {
      const s = this.scopes[i]!;
      if (s.has(name)) return s.get(name);
    }
    throw new TemplateExecError(`undefined variable: ${name}`);
  }

  private operand(o: Operand, dot: TemplateValue): TemplateValue {
    switch (o.t) {
      case 'lit':
        return o.v;
      case 'sub':
        return this.pipeline(o.pipe, dot);
      case 'fn':
        return callFunction(o.name, [], { externalURL: this.externalURL });
      case 'field': {
        let cur = o.base === 'var' ? this.lookupVar(o.varName!) : dot;
        for (const f of o.fields) cur = this.field(cur, f);
        return cur;
      }
    }
  }

  private field(cur: TemplateValue, name: string): TemplateValue {
    if (cur === (this.root as unknown as TemplateValue)) {
      if (name in this.root) return this.root[name];
      throw new TemplateExecError(`can't evaluate field ${name} in type *template.tmplData`);
    }
    if (cur && typeof cur === 'object' && !Array.isArray(cur)) {
      // Go returns an invalid value for a missing map key; printed it reads "<no value>".
      return Object.hasOwn(cur, name) ? cur[name] : undefined;
    }
    if (cur === undefined || cur === null) throw new TemplateExecError(`nil pointer evaluating interface {}.${name}`);
    throw new TemplateExecError(`can't evaluate field ${name} in type ${typeof cur === 'number' ? 'float64' : typeof cur}`);
  }
}

const NONE = Symbol('none');
