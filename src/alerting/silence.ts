/**
 * `kind: Silence`: Alertmanager silences: matchers, a start and an end, who and why. A silenced
 * alert is still recorded (state `suppressed`, `silencedBy` the silence's name) but not notified.
 */
import { z } from 'zod';
import type { Labels } from '../core/labels.js';
import type { KindDefinition } from '../inventory/kinds.js';
import type { FieldIssue } from '../lib/errors.js';
import { checkMatchers, compileMatchers, parseMatcherList, type LabelPredicate } from '../rules/index.js';

export const silenceSpecSchema = z
  .object({
    matchers: z.array(z.string()).min(1, 'a silence needs at least one matcher').describe('Alertmanager matchers, e.g. [\'alertname="DiskFull"\', \'instance=~"db-.*"\']'),
    startsAt: z.iso.datetime({ offset: true }).describe('when the silence begins (ISO 8601)'),
    endsAt: z.iso.datetime({ offset: true }).describe('when it ends (ISO 8601)'),
    createdBy: z.string().min(1).describe('who created it'),
    comment: z.string().min(1, 'say why (a ticket or the reason)').describe('why'),
  })
  .strict();

export type SilenceSpec = z.infer<typeof silenceSpecSchema>;

export function validateSilenceSpec(spec: SilenceSpec): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const why = checkMatchers(spec.matchers);
  if (why) issues.push({ path: 'matchers', message: why });
  if (Date.parse(spec.endsAt) <= Date.parse(spec.startsAt)) issues.push({ path: 'endsAt', message: 'endsAt must be after startsAt' });
  // Alertmanager refuses silences that match every alert (all matchers match the empty string).
  if (!why) {
    const pred = compileMatchers(parseMatcherList(spec.matchers));
    if (pred({})) issues.push({ path: 'matchers', message: 'at least one matcher must not match the empty string, or the silence would mute every alert' });
  }
  return issues;
}

export const silenceKind: KindDefinition<SilenceSpec> = {
  kind: 'Silence',
  description: 'Mutes notifications of matching alerts for a time; the alerts are still recorded',
  specSchema: silenceSpecSchema as z.ZodType<SilenceSpec>,
  validate: validateSilenceSpec,
};

export class Silence {
  private readonly match: LabelPredicate;
  readonly startsAtMs: number;
  readonly endsAtMs: number;
  constructor(
    readonly name: string,
    readonly spec: SilenceSpec,
  ) {
    this.match = compileMatchers(parseMatcherList(spec.matchers));
    this.startsAtMs = Date.parse(spec.startsAt);
    this.endsAtMs = Date.parse(spec.endsAt);
  }
  isActive(ms: number): boolean {
    return ms >= this.startsAtMs && ms < this.endsAtMs;
  }
  mutes(labels: Labels, ms: number): boolean {
    return this.isActive(ms) && this.match(labels);
  }
}
