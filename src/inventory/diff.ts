/**
 * Field-level differences between two JSON values, as plan and the history view show them:
 * `spec.interval: "30s" → "60s"`. Objects are compared key by key, arrays index by index.
 */
export interface FieldChange {
  path: string;
  op: 'add' | 'remove' | 'change';
  from?: unknown;
  to?: unknown;
}

export function diffValues(a: unknown, b: unknown, path = ''): FieldChange[] {
  if (deepEqual(a, b)) return [];
  if (isPlainObject(a) && isPlainObject(b)) {
    const out: FieldChange[] = [];
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    for (const k of keys) {
      const p = path ? `${path}.${k}` : k;
      if (!(k in a) || a[k] === undefined) out.push({ path: p, op: 'add', to: b[k] });
      else if (!(k in b) || b[k] === undefined) out.push({ path: p, op: 'remove', from: a[k] });
      else out.push(...diffValues(a[k], b[k], p));
    }
    return out;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    const out: FieldChange[] = [];
    const n = Math.max(a.length, b.length);
    for (let i = 0; i < n; i++) {
      const p = `${path}[${i}]`;
      if (i >= a.length) out.push({ path: p, op: 'add', to: b[i] });
      else if (i >= b.length) out.push({ path: p, op: 'remove', from: a[i] });
      else out.push(...diffValues(a[i], b[i], p));
    }
    return out;
  }
  return [{ path: path || '(value)', op: 'change', from: a, to: b }];
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => deepEqual(v, b[i]));
  if (isPlainObject(a) && isPlainObject(b)) {
    const ka = Object.keys(a).filter((k) => a[k] !== undefined);
    const kb = Object.keys(b).filter((k) => b[k] !== undefined);
    return ka.length === kb.length && ka.every((k) => deepEqual(a[k], b[k]));
  }
  return typeof a === 'number' && typeof b === 'number' && Number.isNaN(a) && Number.isNaN(b);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

export function formatChange(c: FieldChange): string {
  const show = (v: unknown) => JSON.stringify(v);
  if (c.op === 'add') return `+ ${c.path}: ${show(c.to)}`;
  if (c.op === 'remove') return `- ${c.path}: ${show(c.from)}`;
  return `~ ${c.path}: ${show(c.from)} → ${show(c.to)}`;
}
