/**
 * Loads a Prometheus rule file (`groups: [{name, interval, rules: [...]}]`) unchanged into
 * `kind: AlertRule` documents: `alert`, `expr`, `for`, `keep_firing_for`, `labels` and
 * `annotations` keep their meaning; the group becomes `spec.group` and its interval
 * `spec.interval`; group `labels` (Prometheus 3) are merged under each rule's own labels.
 * Recording rules are not supported yet: each one is listed in `unsupported` with its name and
 * the reason, and the alerting rules of the same file still load.
 */
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { API_VERSION, type ObjectDocument } from '../inventory/document.js';
import type { FieldIssue } from '../lib/errors.js';
import { alertRuleSpecSchema, validateAlertRuleSpec, type AlertRuleSpec } from './alert-rule-kind.js';

const ruleSchema = z
  .object({
    alert: z.string().min(1).optional(),
    record: z.string().min(1).optional(),
    expr: z.union([z.string(), z.number()]).transform(String),
    for: z.string().optional(),
    keep_firing_for: z.string().optional(),
    labels: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]).transform(String)).optional(),
    annotations: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]).transform(String)).optional(),
  })
  .strict();

const groupSchema = z
  .object({
    name: z.string().min(1, 'group name must not be empty'),
    interval: z.string().optional(),
    query_offset: z.string().optional(),
    limit: z.number().int().min(0).optional(),
    labels: z.record(z.string(), z.string()).optional(),
    rules: z.array(z.unknown()).default([]),
  })
  .strict();

const fileSchema = z.object({ groups: z.array(z.unknown()).default([]) }).strict();

export interface UnsupportedRule {
  group: string;
  /** The recording rule's `record` name. */
  record: string;
  reason: string;
}

export interface PrometheusRuleFileResult {
  documents: ObjectDocument<AlertRuleSpec>[];
  unsupported: UnsupportedRule[];
  /** Problems that kept a rule or group from loading, each with its path in the file. */
  issues: FieldIssue[];
  /** Settings that were read but have no effect in Kansoku (e.g. a group `limit`). */
  notes: string[];
}

const RECORDING_REASON = 'recording rules are not supported yet: Kansoku evaluates alerting rules only; query the expression directly or keep this rule in Prometheus';

/** Kebab-case object name from a group and an alert name, e.g. "node/HostDown" → "node-host-down". */
export function ruleObjectName(group: string, alert: string): string {
  const kebab = (s: string): string =>
    s
      .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
      .replace(/([A-Z]+)([A-Z][a-z])/g, '$1-$2')
      .toLowerCase()
      .replace(/[^a-z0-9._-]+/g, '-')
      .replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, '');
  return `${kebab(group)}-${kebab(alert)}`.replace(/^-+|-+$/g, '').slice(0, 240) || 'rule';
}

export function loadPrometheusRuleFile(text: string, source = 'rules.yml'): PrometheusRuleFileResult {
  const out: PrometheusRuleFileResult = { documents: [], unsupported: [], issues: [], notes: [] };
  const doc = parseDocument(text, { uniqueKeys: true });
  if (doc.errors.length) {
    for (const e of doc.errors) out.issues.push({ document: source, path: '(syntax)', message: e.message.split('\n')[0]! });
    return out;
  }
  const file = fileSchema.safeParse(doc.toJS() ?? {});
  if (!file.success) {
    out.issues.push(...file.error.issues.map((i) => ({ document: source, path: i.path.join('.') || '(file)', message: i.message })));
    return out;
  }
  const groupNames = new Set<string>();
  const usedNames = new Set<string>();
  file.data.groups.forEach((rawGroup, gi) => {
    const gp = `groups.${gi}`;
    const g = groupSchema.safeParse(rawGroup);
    if (!g.success) {
      out.issues.push(...g.error.issues.map((i) => ({ document: source, path: [gp, ...i.path].join('.'), message: i.message })));
      return;
    }
    const group = g.data;
    if (groupNames.has(group.name)) {
      out.issues.push({ document: source, path: `${gp}.name`, message: `${group.name}: repeated in the same file` });
      return;
    }
    groupNames.add(group.name);
    if (group.limit) out.notes.push(`group ${group.name}: limit ${group.limit} is ignored (Kansoku does not cap alerts per rule)`);
    if (group.query_offset) out.notes.push(`group ${group.name}: query_offset ${group.query_offset} is ignored`);
    group.rules.forEach((rawRule, ri) => {
      const rp = `${gp}.rules.${ri}`;
      const r = ruleSchema.safeParse(rawRule);
      if (!r.success) {
        out.issues.push(...r.error.issues.map((i) => ({ document: source, path: [rp, ...i.path].join('.'), message: i.message })));
        return;
      }
      const rule = r.data;
      if (rule.record !== undefined && rule.alert !== undefined) {
        out.issues.push({ document: source, path: rp, message: 'only one of "record" and "alert" may be set' });
        return;
      }
      if (rule.record !== undefined) {
        out.unsupported.push({ group: group.name, record: rule.record, reason: RECORDING_REASON });
        return;
      }
      if (rule.alert === undefined) {
        out.issues.push({ document: source, path: rp, message: 'one of "record" or "alert" must be set' });
        return;
      }
      const candidate = {
        alert: rule.alert,
        group: group.name,
        ...(group.interval !== undefined ? { interval: group.interval } : {}),
        expr: rule.expr,
        ...(rule.for !== undefined ? { for: rule.for } : {}),
        ...(rule.keep_firing_for !== undefined ? { keepFiringFor: rule.keep_firing_for } : {}),
        labels: { ...(group.labels ?? {}), ...(rule.labels ?? {}) },
        annotations: rule.annotations ?? {},
      };
      const parsed = alertRuleSpecSchema.safeParse(candidate);
      const where = `${rp} (${rule.alert})`;
      if (!parsed.success) {
        out.issues.push(...parsed.error.issues.map((i) => ({ document: source, path: [where, ...i.path.map(mapField)].join('.'), message: i.message })));
        return;
      }
      const problems = validateAlertRuleSpec(parsed.data);
      if (problems.length) {
        out.issues.push(...problems.map((p) => ({ document: source, path: `${where}.${mapField(p.path)}`, message: p.message })));
        return;
      }
      let name = ruleObjectName(group.name, rule.alert);
      for (let n = 2; usedNames.has(name); n++) name = `${ruleObjectName(group.name, rule.alert)}-${n}`;
      usedNames.add(name);
      out.documents.push({
        apiVersion: API_VERSION,
        kind: 'AlertRule',
        metadata: { name, labels: {}, annotations: { 'kansoku.io/imported-from': `${source}#${group.name}` } },
        spec: parsed.data,
      });
    });
  });
  return out;
}

/** Reports Kansoku field names in the Prometheus file's spelling. */
function mapField(p: PropertyKey): string {
  const s = String(p);
  return s === 'keepFiringFor' ? 'keep_firing_for' : s;
}
