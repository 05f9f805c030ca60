import { z } from 'zod';
import { durationSchema } from '../core/duration.js';
import { LABEL_NAME_RE } from '../core/labels.js';
import { SEVERITIES } from '../core/severity.js';
import type { KindDefinition } from '../inventory/kinds.js';
import type { FieldIssue } from '../lib/errors.js';
import { parseExpr, PromqlParseError } from '../query/promql/index.js';
import { checkMatchers } from './alert-matchers.js';
import { checkTemplate } from './template.js';

/**
 * `kind: AlertRule`: a Prometheus alerting rule with Kansoku's additions (missing-data policy,
 * threshold hysteresis, check-state conditions, dependencies). Field names follow Kansoku's
 * camelCase; Prometheus rule files load into these documents through `loadPrometheusRuleFile`.
 */
const labelMapSchema = z.record(
  z.string().regex(LABEL_NAME_RE, 'label names are letters, digits and "_", not starting with a digit'),
  z.string(),
);

export const checkStateConditionSchema = z
  .object({
    checks: z.array(z.string().min(1)).optional().describe('check names to watch (metadata.name of Check objects); all checks when neither checks nor selector is given'),
    selector: z.string().optional().describe('label selector over the checks\' labels, e.g. "tier=db,env=prod"'),
    states: z.array(z.enum(['critical', 'warning', 'unknown'])).min(1).default(['critical']).describe('check statuses that count as failing'),
    hard: z.boolean().default(true).describe('count only HARD states (after the check\'s attempts); false also counts SOFT ones'),
    minLocations: z.number().int().min(1).default(1).describe('how many probe locations must be failing at once (k of n)'),
  })
  .strict();

export const alertRuleSpecSchema = z
  .object({
    alert: z.string().min(1).optional().describe('the alertname label; defaults to metadata.name'),
    group: z.string().min(1).default('default').describe('evaluation group: rules of a group run in order, on one schedule'),
    interval: durationSchema.optional().describe('evaluation interval of the group (default 1m; the shortest interval of its rules wins)'),
    expr: z.string().min(1).optional().describe('PromQL expression; every returned series becomes an alert'),
    checkState: checkStateConditionSchema.optional().describe('condition on check states instead of expr: fires per check failing in at least minLocations locations'),
    for: durationSchema.default('0s').describe('how long the condition must hold before the alert fires (pending until then)'),
    keepFiringFor: durationSchema.default('0s').describe('how long a firing alert keeps firing after the condition cleared (time hysteresis)'),
    recoverExpr: z.string().min(1).optional().describe('threshold hysteresis: a firing alert resolves only when this PromQL returns its series, e.g. "cpu < 80" for expr "cpu > 90"'),
    noData: z.enum(['ok', 'alert', 'keep']).default('ok').describe('when expr returns nothing at all: ok = resolve (Prometheus), alert = raise a NoData alert, keep = keep the current alerts unchanged'),
    labels: labelMapSchema.default({}).describe('labels added to every alert (templated with $labels and $value); severity must be critical, error, warning or info'),
    annotations: z.record(z.string(), z.string()).default({}).describe('annotations (summary, description, runbook_url…), Go templates as in Prometheus'),
    dependsOn: z
      .array(z.string().min(1))
      .default([])
      .describe('dependency: each entry is a matcher set (e.g. \'{alertname="RouterDown", site="{{ $labels.site }}"}\') selecting parent alerts; while one of them fires, this rule\'s alerts are suppressed and not routed'),
    disabled: z.boolean().default(false).describe('keep the rule but do not evaluate it'),
  })
  .strict();

export type AlertRuleSpec = z.infer<typeof alertRuleSpecSchema>;
export type AlertRuleInput = z.input<typeof alertRuleSpecSchema>;
export type CheckStateCondition = z.infer<typeof checkStateConditionSchema>;

/** Checks a PromQL expression parses and yields an instant vector or a scalar. */
export function checkPromqlExpr(expr: string): string | undefined {
  try {
    let node = parseExpr(expr);
    while (node.type === 'paren') node = node.expr;
    if (node.type === 'matrixSelector' || node.type === 'subquery') return 'an alerting expression must return an instant vector or a scalar, not a range vector';
    if (node.type === 'string') return 'an alerting expression must return an instant vector or a scalar, not a string';
    return undefined;
  } catch (err) {
    if (err instanceof PromqlParseError) return err.message;
    throw err;
  }
}

export function validateAlertRuleSpec(spec: AlertRuleSpec): FieldIssue[] {
  const issues: FieldIssue[] = [];
  if ((spec.expr === undefined) === (spec.checkState === undefined)) {
    issues.push({ path: 'expr', message: 'set exactly one of expr (PromQL) and checkState' });
  }
  if (spec.expr !== undefined) {
    const why = checkPromqlExpr(spec.expr);
    if (why) issues.push({ path: 'expr', message: `invalid PromQL: ${why}` });
  }
  if (spec.recoverExpr !== undefined) {
    if (spec.expr === undefined) issues.push({ path: 'recoverExpr', message: 'recoverExpr needs expr' });
    const why = checkPromqlExpr(spec.recoverExpr);
    if (why) issues.push({ path: 'recoverExpr', message: `invalid PromQL: ${why}` });
  }
  if (spec.checkState?.selector !== undefined) {
    if (!/^\s*[^=!~\s,]+\s*(=~|!~|!=|==|=)|^!?[^=!~\s,]+$/.test(spec.checkState.selector.split(',')[0] ?? '')) {
      issues.push({ path: 'checkState.selector', message: 'expected a label selector like "tier=db,env!=test"' });
    }
  }
  if (spec.alert !== undefined && spec.alert.includes('{{')) issues.push({ path: 'alert', message: 'the alert name cannot be a template' });
  for (const [k, v] of Object.entries(spec.labels)) {
    const why = checkTemplate(v);
    if (why) issues.push({ path: `labels.${k}`, message: `invalid template: ${why}` });
  }
  const sev = spec.labels.severity;
  if (sev !== undefined && !sev.includes('{{') && !(SEVERITIES as readonly string[]).includes(sev)) {
    issues.push({ path: 'labels.severity', message: `severity must be one of ${SEVERITIES.join(', ')}; got "${sev}"` });
  }
  if ('alertname' in spec.labels) issues.push({ path: 'labels.alertname', message: 'alertname is set from spec.alert (or metadata.name), not from labels' });
  for (const [k, v] of Object.entries(spec.annotations)) {
    const why = checkTemplate(v);
    if (why) issues.push({ path: `annotations.${k}`, message: `invalid template: ${why}` });
  }
  spec.dependsOn.forEach((d, i) => {
    const why = checkTemplate(d) ?? checkMatchers([d.replace(/\{\{.*?\}\}/gs, 'x')]);
    if (why) issues.push({ path: `dependsOn.${i}`, message: why });
  });
  return issues;
}

export const alertRuleKind: KindDefinition<AlertRuleSpec> = {
  kind: 'AlertRule',
  description: 'An alerting rule: a PromQL or check-state condition, how long it must hold, labels, annotations and dependencies',
  specSchema: alertRuleSpecSchema as z.ZodType<AlertRuleSpec>,
  validate: validateAlertRuleSpec,
};
