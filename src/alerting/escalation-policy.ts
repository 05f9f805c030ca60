/**
 * `kind: EscalationPolicy`: who is notified next while alerts stay unacknowledged. A route
 * names a policy in `escalationPolicy`; its receiver is notified first, as always; each step
 * then notifies its receivers `after` the group's first notification if at least one of the
 * group's firing alerts is still unacknowledged (and not suppressed). Acknowledging every
 * firing alert stops the escalation; when the group resolves, every escalated receiver gets
 * the resolved notification, and a new episode starts with the next firing alert.
 */
import { z } from 'zod';
import { durationSchema, parseDurationMs } from '../core/duration.js';
import type { KindDefinition } from '../inventory/kinds.js';
import type { FieldIssue } from '../lib/errors.js';

export const escalationPolicySpecSchema = z
  .object({
    steps: z
      .array(
        z
          .object({
            after: durationSchema.describe('time since the first notification, e.g. "10m"'),
            receivers: z.array(z.string().min(1)).min(1).describe('Channel names to notify at this step'),
          })
          .strict(),
      )
      .min(1, 'an escalation policy needs at least one step')
      .describe('steps in order of `after`'),
    description: z.string().optional().describe('who is on which step, for people reading it'),
  })
  .strict();

export type EscalationPolicySpec = z.infer<typeof escalationPolicySpecSchema>;

export function validateEscalationPolicySpec(spec: EscalationPolicySpec): FieldIssue[] {
  const issues: FieldIssue[] = [];
  let prev = -1;
  spec.steps.forEach((s, i) => {
    const ms = parseDurationMs(s.after) ?? 0;
    if (ms <= prev) issues.push({ path: `steps.${i}.after`, message: `steps must be in increasing order of after (${s.after} is not after the previous step)` });
    prev = ms;
  });
  return issues;
}

export const escalationPolicyKind: KindDefinition<EscalationPolicySpec> = {
  kind: 'EscalationPolicy',
  description: 'Further receivers to notify when alerts stay unacknowledged (notify A; after 10m, B; …)',
  specSchema: escalationPolicySpecSchema as z.ZodType<EscalationPolicySpec>,
  validate: validateEscalationPolicySpec,
};

export interface EscalationStep {
  afterMs: number;
  receivers: string[];
}

export function compileEscalationPolicy(spec: EscalationPolicySpec): EscalationStep[] {
  return spec.steps.map((s) => ({ afterMs: parseDurationMs(s.after) ?? 0, receivers: [...s.receivers] }));
}
