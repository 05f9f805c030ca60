import { z } from 'zod';
import { compileAnchoredRegex } from './go-regex.js';

export type Labels = Record<string, string>;

/** Label names as Prometheus allows them; names starting with "__" are reserved. */
export const LABEL_NAME_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
/** Object label keys: Kubernetes style, optional "prefix/" then a name with dots and dashes. */
export const OBJECT_LABEL_KEY_RE = /^([a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?\/)?[A-Za-z0-9]([A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?$/;

export const objectLabelsSchema = z.record(
  z.string().regex(OBJECT_LABEL_KEY_RE, 'label keys are letters, digits, "-", "_", "." with an optional "prefix/"'),
  z.string().max(253, 'label values are at most 253 characters'),
);

export type MatchOp = '=' | '!=' | '=~' | '!~';
export interface LabelMatcher {
  name: string;
  op: MatchOp;
  value: string;
}

/**
 * Parses a label selector as kubectl and the Kansoku API accept it: "env=prod,tier!=db",
 * "service=~shop|cart", "!legacy" (label absent) and "team" (label present).
 */
export function parseLabelSelector(selector: string): LabelMatcher[] {
  const out: LabelMatcher[] = [];
  for (const raw of selector.split(',')) {
    const part = raw.trim();
    if (!part) continue;
    const m = /^([^=!~\s]+)\s*(=~|!~|!=|==|=)\s*(.*)$/.exec(part);
    if (m) {
      const op = (m[2] === '==' ? '=' : m[2]) as MatchOp;
      out.push({ name: m[1]!, op, value: m[3]!.trim() });
    } else if (/^![^=!~\s]+$/.test(part)) {
      out.push({ name: part.slice(1), op: '=', value: '' });
    } else if (/^[^=!~\s]+$/.test(part)) {
      out.push({ name: part, op: '!=', value: '' });
    } else {
      throw new Error(`cannot read label selector term "${part}": expected name=value, name!=value, name=~regex, name!~regex, name or !name`);
    }
  }
  return out;
}

/** Prometheus semantics: a missing label matches as the empty string; regexes are RE2, anchored. */
export function matchesLabels(labels: Labels, matchers: LabelMatcher[]): boolean {
  return matchers.every((m) => {
    const v = labels[m.name] ?? '';
    switch (m.op) {
      case '=':
        return v === m.value;
      case '!=':
        return v !== m.value;
      case '=~':
        return compileAnchoredRegex(m.value).test(v);
      case '!~':
        return !compileAnchoredRegex(m.value).test(v);
    }
  });
}
