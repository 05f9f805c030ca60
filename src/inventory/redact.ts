import type { KindDefinition } from './kinds.js';

export const REDACTED = '[redacted]';

/** A copy of spec with each secret path's value replaced, for the API and the audit trail. */
export function redactSpec(def: KindDefinition | undefined, spec: unknown): unknown {
  if (!def?.secretPaths?.length || spec === null || typeof spec !== 'object') return spec;
  const copy = structuredClone(spec) as Record<string, unknown>;
  for (const p of def.secretPaths) redactPath(copy, p.split('.'));
  return copy;
}

function redactPath(node: unknown, parts: string[]): void {
  if (node === null || typeof node !== 'object') return;
  const [head, ...rest] = parts;
  if (head === undefined) return;
  if (head === '*') {
    const obj = node as Record<string, unknown>;
    for (const k of Object.keys(obj)) {
      if (rest.length === 0) {
        if (obj[k] !== undefined && obj[k] !== null && obj[k] !== '') obj[k] = REDACTED;
      } else redactPath(obj[k], rest);
    }
    return;
  }
  const obj = node as Record<string, unknown>;
  if (!(head in obj)) return;
  if (rest.length === 0) {
    if (obj[head] !== undefined && obj[head] !== null && obj[head] !== '') obj[head] = REDACTED;
  } else redactPath(obj[head], rest);
}
