/**
 * `kind: Route`: one node of Alertmanager's routing tree. The Route named `root` is the root.
 * Children are listed in `routes`, in order, either by name (a separate Route object, so a
 * team can own its sub-tree) or inline (a nested spec, as Alertmanager writes them and as the
 * Alertmanager importer produces them). Unset receiver, groupBy and timings are inherited from
 * the parent; `muteTimeIntervals` / `activeTimeIntervals` are not inherited (as in Alertmanager).
 */
import { z } from 'zod';
import { durationSchema, parseDurationMs } from '../core/duration.js';
import { LABEL_NAME_RE } from '../core/labels.js';
import type { KindDefinition } from '../inventory/kinds.js';
import type { FieldIssue } from '../lib/errors.js';
import { checkMatchers } from '../rules/index.js';

export interface RouteSpec {
  receiver?: string | undefined;
  matchers: string[];
  continue: boolean;
  groupBy?: string[] | undefined;
  groupWait?: string | undefined;
  groupInterval?: string | undefined;
  repeatInterval?: string | undefined;
  muteTimeIntervals: string[];
  activeTimeIntervals: string[];
  escalationPolicy?: string | undefined;
  routes: (string | RouteSpec)[];
}

export const routeSpecSchema: z.ZodType<RouteSpec> = z.lazy(() =>
  z
    .object({
      receiver: z.string().min(1).optional().describe('the Channel (receiver) notified for alerts that stop at this route; inherited when unset'),
      matchers: z.array(z.string()).default([]).describe('Alertmanager matchers, e.g. [\'service="shop"\', \'severity=~"critical|error"\']'),
      continue: z.boolean().default(false).describe('after matching, keep trying the following sibling routes'),
      groupBy: z.array(z.string()).optional().describe('labels that form notification groups; ["..."] groups by all labels'),
      groupWait: durationSchema.optional().describe('wait before the first notification of a new group (default 30s)'),
      groupInterval: durationSchema.optional().describe('wait before notifying changes to a group (default 5m)'),
      repeatInterval: durationSchema.optional().describe('wait before repeating an unchanged notification (default 4h)'),
      muteTimeIntervals: z.array(z.string()).default([]).describe('TimeInterval names during which this route does not notify'),
      activeTimeIntervals: z.array(z.string()).default([]).describe('TimeInterval names outside of which this route does not notify'),
      escalationPolicy: z.string().optional().describe('EscalationPolicy that notifies further receivers while alerts stay unacknowledged'),
      routes: z.array(z.union([z.string().min(1), routeSpecSchema])).default([]).describe('child routes in order: Route names or inline route specs'),
    })
    .strict(),
) as z.ZodType<RouteSpec>;

export function validateRouteSpec(spec: RouteSpec, path = ''): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const at = (p: string): string => (path ? `${path}.${p}` : p);
  const why = checkMatchers(spec.matchers);
  if (why) issues.push({ path: at('matchers'), message: why });
  if (spec.groupBy) {
    if (spec.groupBy.includes('...') && spec.groupBy.length > 1) issues.push({ path: at('groupBy'), message: 'groupBy "..." (all labels) cannot be combined with other labels' });
    spec.groupBy.forEach((l, i) => {
      if (l !== '...' && !LABEL_NAME_RE.test(l)) issues.push({ path: at(`groupBy.${i}`), message: `"${l}" is not a label name` });
    });
    if (new Set(spec.groupBy).size !== spec.groupBy.length) issues.push({ path: at('groupBy'), message: 'groupBy lists a label twice' });
  }
  if (spec.groupInterval !== undefined && parseDurationMs(spec.groupInterval) === 0) issues.push({ path: at('groupInterval'), message: 'groupInterval cannot be zero' });
  if (spec.repeatInterval !== undefined && parseDurationMs(spec.repeatInterval) === 0) issues.push({ path: at('repeatInterval'), message: 'repeatInterval cannot be zero' });
  spec.routes.forEach((c, i) => {
    if (typeof c !== 'string') issues.push(...validateRouteSpec(c, at(`routes.${i}`)));
  });
  return issues;
}

export const routeKind: KindDefinition<RouteSpec> = {
  kind: 'Route',
  description: 'A node of the alert routing tree (the Route named root is the root): matchers, receiver, grouping and timing',
  specSchema: routeSpecSchema,
  validate: (spec) => validateRouteSpec(spec),
};
