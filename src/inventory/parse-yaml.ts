import { parseAllDocuments } from 'yaml';
import type { FieldIssue } from '../lib/errors.js';
import { invalidDocuments } from './document.js';

/**
 * Reads a multi-document YAML (or JSON, which is YAML) text. Syntax errors name the source and
 * the line and column. Empty documents (a trailing "---") are skipped. A JSON array or a
 * `{items: [...]}` list counts as several documents, as kubectl accepts.
 */
export function parseDocumentsText(text: string, source: string): { raw: unknown; source: string }[] {
  const out: { raw: unknown; source: string }[] = [];
  const issues: FieldIssue[] = [];
  const docs = parseAllDocuments(text, { prettyErrors: true, uniqueKeys: true });
  const list = Array.isArray(docs) ? docs : [docs];
  let index = 0;
  for (const d of list) {
    if (d.errors.length) {
      for (const e of d.errors) {
        const pos = e.linePos?.[0];
        issues.push({ document: `${source}#${index + 1}`, path: '(syntax)', message: `${pos ? `line ${pos.line}, column ${pos.col}: ` : ''}${e.message.split('\n')[0]}` });
      }
      index++;
      continue;
    }
    const value = d.toJS({ maxAliasCount: 100 }) as unknown;
    if (value === null || value === undefined) continue;
    const items = Array.isArray(value)
      ? value
      : typeof value === 'object' && value !== null && 'items' in value && Array.isArray((value as { items: unknown }).items) && !('kind' in value)
        ? (value as { items: unknown[] }).items
        : [value];
    for (const item of items) out.push({ raw: item, source: `${source}#${++index}` });
  }
  if (issues.length) throw invalidDocuments(issues);
  return out;
}
