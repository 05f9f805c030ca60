import { z } from 'zod';
import type { FieldIssue } from '../lib/errors.js';

/**
 * One kind of object users configure (Check, AlertRule, Route, Channel, Runbook, …). Each kind
 * owns its zod spec schema beside its code; registering it here makes it appliable, listable,
 * versioned and audited like every other kind.
 */
export interface KindDefinition<S = unknown> {
  readonly kind: string;
  readonly description: string;
  readonly specSchema: z.ZodType<S>;
  /** Dotted paths inside spec whose values are secrets: redacted in the API and the audit trail. */
  readonly secretPaths?: readonly string[];
  /** Checks that span fields (e.g. timeout < interval), after the schema passed. */
  validate?(spec: S): FieldIssue[];
}

export class KindRegistry {
  private readonly kinds = new Map<string, KindDefinition>();

  register<S>(def: KindDefinition<S>): this {
    if (this.kinds.has(def.kind)) throw new Error(`kind ${def.kind} is registered twice`);
    this.kinds.set(def.kind, def as KindDefinition);
    return this;
  }

  get(kind: string): KindDefinition | undefined {
    return this.kinds.get(kind);
  }

  list(): KindDefinition[] {
    return [...this.kinds.values()].sort((a, b) => a.kind.localeCompare(b.kind));
  }

  names(): string[] {
    return this.list().map((k) => k.kind);
  }
}
