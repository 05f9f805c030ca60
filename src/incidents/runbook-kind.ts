import { z } from 'zod';
import type { KindDefinition } from '../inventory/kinds.js';

/**
 * A runbook: the steps any engineer follows to recover, so that recovery is mechanical even
 * while its author is away (MISSION principle 3). Alerts and checks link to runbooks by name.
 */
export const runbookSpecSchema = z
  .object({
    title: z.string().min(1).describe('what the runbook recovers, e.g. "Shop database fail-over"'),
    description: z.string().optional().describe('when to use it and what it affects'),
    owner: z.string().optional().describe('team or person who keeps it current'),
    steps: z
      .array(
        z
          .object({
            title: z.string().min(1).describe('one action, in the imperative'),
            text: z.string().optional().describe('details, expected output, what to do if it fails'),
            command: z.string().optional().describe('a command to run, shown verbatim'),
            confirm: z.string().optional().describe('how to confirm the step worked'),
          })
          .strict(),
      )
      .min(1, 'a runbook needs at least one step')
      .describe('the steps in order'),
    links: z.array(z.object({ title: z.string(), url: z.string().url() }).strict()).default([]).describe('dashboards, documents'),
  })
  .strict();

export type RunbookSpec = z.infer<typeof runbookSpecSchema>;

export const runbookKind: KindDefinition<RunbookSpec> = {
  kind: 'Runbook',
  description: 'Recovery steps linked from checks and alerts',
  specSchema: runbookSpecSchema,
};
