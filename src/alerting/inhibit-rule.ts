/**
 * `kind: InhibitRule`: Alertmanager inhibition. A firing alert matching `sourceMatchers`
 * mutes alerts matching `targetMatchers` that have the same values for the `equal` labels
 * (a missing label equals the empty string). An alert matching both sides is not inhibited
 * by itself or by alerts that also match both sides, as in Alertmanager.
 */
import { z } from 'zod';
import { LABEL_NAME_RE, type Labels } from '../core/labels.js';
import type { KindDefinition } from '../inventory/kinds.js';
import type { FieldIssue } from '../lib/errors.js';
import { checkMatchers, compileMatchers, parseMatcherList, type LabelPredicate } from '../rules/index.js';

export const inhibitRuleSpecSchema = z
  .object({
    sourceMatchers: z.array(z.string()).min(1, 'give at least one source matcher').describe('alerts that inhibit, e.g. [\'severity="critical"\']'),
    targetMatchers: z.array(z.string()).min(1, 'give at least one target matcher').describe('alerts that get inhibited, e.g. [\'severity="warning"\']'),
    equal: z.array(z.string().regex(LABEL_NAME_RE, 'expected a label name')).default([]).describe('labels that must be equal in source and target'),
  })
  .strict();

export type InhibitRuleSpec = z.infer<typeof inhibitRuleSpecSchema>;

export function validateInhibitRuleSpec(spec: InhibitRuleSpec): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const s = checkMatchers(spec.sourceMatchers);
  if (s) issues.push({ path: 'sourceMatchers', message: s });
  const t = checkMatchers(spec.targetMatchers);
  if (t) issues.push({ path: 'targetMatchers', message: t });
  return issues;
}

export const inhibitRuleKind: KindDefinition<InhibitRuleSpec> = {
  kind: 'InhibitRule',
  description: 'Mutes target alerts while a matching source alert fires (Alertmanager inhibition)',
  specSchema: inhibitRuleSpecSchema as z.ZodType<InhibitRuleSpec>,
  validate: validateInhibitRuleSpec,
};

export interface InhibitSource {
  fingerprint: string;
  labels: Labels;
}

export class InhibitRule {
  readonly source: LabelPredicate;
  readonly target: LabelPredicate;
  constructor(
    readonly name: string,
    readonly spec: InhibitRuleSpec,
  ) {
    this.source = compileMatchers(parseMatcherList(spec.sourceMatchers));
    this.target = compileMatchers(parseMatcherList(spec.targetMatchers));
  }

  /**
   * The firing alerts that match the source side, by their values of the `equal` labels: a target
   * then looks up only the sources it shares those values with (Alertmanager's inhibitor cache),
   * so listing n alerts is O(n), not O(n²).
   */
  indexSources(firing: readonly InhibitSource[]): Map<string, InhibitSource[]> {
    const index = new Map<string, InhibitSource[]>();
    for (const a of firing) {
      if (!this.source(a.labels)) continue;
      const key = this.#equalKey(a.labels);
      const list = index.get(key);
      if (list) list.push(a);
      else index.set(key, [a]);
    }
    return index;
  }

  /** As inhibitedBy, over an index from indexSources; `self` (the target's own fingerprint) never inhibits it. */
  inhibitedByIndexed(labels: Labels, self: string, index: ReadonlyMap<string, readonly InhibitSource[]>): string | undefined {
    if (!this.target(labels)) return undefined;
    const candidates = index.get(this.#equalKey(labels));
    if (!candidates) return undefined;
    const twoSided = this.source(labels);
    for (const a of candidates) {
      if (a.fingerprint === self) continue;
      if (twoSided && this.target(a.labels)) continue;
      return a.fingerprint;
    }
    return undefined;
  }

  #equalKey(labels: Labels): string {
    let k = '';
    for (const n of this.spec.equal) k += `${labels[n] ?? ''}\u0000`;
    return k;
  }

  /** The fingerprint of a firing source alert that inhibits `labels`, if any. */
  inhibitedBy(labels: Labels, firing: readonly InhibitSource[]): string | undefined {
    if (!this.target(labels)) return undefined;
    const twoSided = this.source(labels);
    outer: for (const a of firing) {
      if (!this.source(a.labels)) continue;
      for (const n of this.spec.equal) if ((a.labels[n] ?? '') !== (labels[n] ?? '')) continue outer;
      if (twoSided && this.target(a.labels)) continue;
      return a.fingerprint;
    }
    return undefined;
  }
}
