import { isEnvelope, type SecretBox } from '../secrets/envelope.js';
import type { StateReader, StateStore, StateTx } from '../store/state-store.js';
import type { KindRegistry } from './kinds.js';
import { mapSecrets } from './secret-paths.js';

export { forEachSecret, mapSecrets } from './secret-paths.js';

/**
 * Encryption at rest of every kind's `secretPaths`. Specs are sealed on their way into the state
 * store and opened on their way out, inside the object service only: everything above it (modules,
 * API, export, plan, history) keeps seeing plain values and redacts them as before, and nothing
 * below it (the database, its dumps and backups) ever holds a secret in the clear.
 */

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
