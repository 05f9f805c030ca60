import { isEnvelope, type SecretBox } from '../secrets/envelope.js';
import type { StateReader, StateStore, StateTx } from '../store/state-store.js';
import type { KindDefinition, KindRegistry } from './kinds.js';

/**
 * Encryption at rest of every kind's `secretPaths`. Specs are sealed on their way into the state
 * store and opened on their way out, inside the object service only: everything above it (modules,
 * API, export, plan, history) keeps seeing plain values and redacts them as before, and nothing
 * below it (the database, its dumps and backups) ever holds a secret in the clear.
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

interface HasSpec {
  kind: string;
  name: string;
  spec: unknown;
}

/** Seals and opens the secret fields of objects and versions with one key. */
export class SpecSealer {
  constructor(
    readonly registry: KindRegistry,
    readonly box: SecretBox,
  ) {}

  /** A copy whose secret values are envelopes; any value already sealed is sealed again as a value, never trusted. */
  seal<T extends HasSpec>(o: T): T {
    const def = this.registry.get(o.kind);
    if (!def?.secretPaths?.length) return o;
    return { ...o, spec: mapSecrets(def, o.spec, (v, path) => this.box.seal(v, { kind: o.kind, name: o.name, path })) };
  }

  /** A copy with envelopes opened; plain values (from before encryption at rest) pass through. */
  open<T extends HasSpec>(o: T): T;
  open<T extends HasSpec>(o: T | undefined): T | undefined;
  open<T extends HasSpec>(o: T | undefined): T | undefined {
    if (!o) return o;
    const def = this.registry.get(o.kind);
    if (!def?.secretPaths?.length) return o;
    return { ...o, spec: mapSecrets(def, o.spec, (v, path) => (isEnvelope(v) ? this.box.open(v, { kind: o.kind, name: o.name, path }) : v)) };
  }
}

const READS = new Set(['getObject', 'listObjects', 'listVersions', 'getVersion', 'listKindVersions']);
const WRITES = new Set(['insertObject', 'updateObject', 'appendVersion']);

/**
 * The store as the object service sees it: object and version specs opened on read and sealed on
 * write. Every other method (audit, tokens, methods added to the port later) passes through.
 */
export function sealedStore(store: StateStore, sealer: SpecSealer): StateStore {
  return wrap(store, sealer, true);
}

function wrap<T extends StateReader>(target: T, sealer: SpecSealer, isStore: boolean): T {
  return new Proxy(target, {
    get(t, prop) {
      const value: unknown = Reflect.get(t, prop, t);
      if (typeof prop !== 'string' || typeof value !== 'function') return value;
      const fn = value as (...args: unknown[]) => unknown;
      if (READS.has(prop)) {
        return async (...args: unknown[]) => {
          const r = (await fn.apply(t, args)) as HasSpec | HasSpec[] | undefined;
          return Array.isArray(r) ? r.map((o) => sealer.open(o)) : sealer.open(r);
        };
      }
      if (WRITES.has(prop)) return (o: HasSpec, ...rest: unknown[]) => fn.call(t, sealer.seal(o), ...rest);
      if (isStore && prop === 'transaction') {
        return (body: (tx: StateTx) => Promise<unknown>) => fn.call(t, (tx: StateTx) => body(wrap(tx, sealer, false)));
      }
      return fn.bind(t);
    },
  });
}
