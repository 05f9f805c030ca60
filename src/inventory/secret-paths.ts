import type { KindDefinition } from './kinds.js';

/**
 * Walking a kind's `secretPaths` ("password", "headers.*", "v3.authKey") through a spec: one
 * walker for sealing at rest, and for finding "[redacted]" values in documents sent back.
 */

/** Calls `fn` for every value present at one of the kind's secret paths, with its concrete path. */
export function forEachSecret(def: KindDefinition | undefined, spec: unknown, fn: (value: unknown, path: string) => void): void {
  if (!def?.secretPaths?.length) return;
  for (const p of def.secretPaths) visit(spec, p.split('.'), [], (v, at) => fn(v, at));
}

/** A copy of spec with every value at a secret path replaced by `fn(value, path)`. */
export function mapSecrets(def: KindDefinition | undefined, spec: unknown, fn: (value: unknown, path: string) => unknown): unknown {
  if (!def?.secretPaths?.length || spec === null || typeof spec !== 'object') return spec;
  const copy = structuredClone(spec);
  for (const p of def.secretPaths) {
    visit(copy, p.split('.'), [], (v, at, holder, key) => {
      holder[key] = fn(v, at);
    });
  }
  return copy;
}

function visit(node: unknown, parts: string[], at: string[], fn: (value: unknown, path: string, holder: Record<string, unknown>, key: string) => void): void {
  if (node === null || typeof node !== 'object') return;
  const [head, ...rest] = parts;
  if (head === undefined) return;
  const obj = node as Record<string, unknown>;
  for (const k of head === '*' ? Object.keys(obj) : [head]) {
    if (!Object.hasOwn(obj, k)) continue;
    const v = obj[k];
    if (rest.length === 0) {
      if (v !== undefined && v !== null) fn(v, [...at, k].join('.'), obj, k);
    } else visit(v, rest, [...at, k], fn);
  }
}
