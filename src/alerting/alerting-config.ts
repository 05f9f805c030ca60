/**
 * Builds the dispatcher's configuration from Kansoku documents (Route, InhibitRule, Silence,
 * MaintenanceWindow, TimeInterval, EscalationPolicy), reporting every cross-object problem
 * (unknown receiver, unreachable route, missing time interval) at once.
 */
import type { FieldIssue } from '../lib/errors.js';
import type { AlertingConfig } from './dispatcher.js';
import { compileEscalationPolicy, escalationPolicySpecSchema, escalationPolicyKind, type EscalationStep } from './escalation-policy.js';
import { InhibitRule, inhibitRuleKind, inhibitRuleSpecSchema } from './inhibit-rule.js';
import { MaintenanceWindow, maintenanceWindowKind, maintenanceWindowSpecSchema } from './maintenance-window.js';
import { routeKind, routeSpecSchema, type RouteSpec } from './route-kind.js';
import { RouteTree, RouteTreeError } from './route-tree.js';
import { Silence, silenceKind, silenceSpecSchema } from './silence.js';
import { TimeInterval, timeIntervalKind, timeIntervalSpecSchema } from './time-interval.js';

/** Every kind this folder adds, for the server's kind registry. */
export const ALERTING_KINDS = [routeKind, inhibitRuleKind, silenceKind, maintenanceWindowKind, timeIntervalKind, escalationPolicyKind] as const;

export interface AlertingDocument {
  kind: string;
  metadata: { name: string };
  spec: unknown;
}

export interface BuildOptions {
  /** Channel names; when given, routes and escalation steps naming another receiver are refused. */
  receivers?: ReadonlySet<string>;
}

export function buildAlertingConfig(docs: readonly AlertingDocument[], opts: BuildOptions = {}): { config?: AlertingConfig; issues: FieldIssue[] } {
  const issues: FieldIssue[] = [];
  const routes = new Map<string, RouteSpec>();
  const inhibitRules: InhibitRule[] = [];
  const silences: Silence[] = [];
  const windows: MaintenanceWindow[] = [];
  const timeIntervals = new Map<string, TimeInterval>();
  const policies = new Map<string, EscalationStep[]>();
  for (const d of docs) {
    const doc = `${d.kind}/${d.metadata.name}`;
    const parse = <T>(schema: { safeParse(x: unknown): { success: true; data: T } | { success: false; error: { issues: { path: PropertyKey[]; message: string }[] } } }, validate?: (s: T) => FieldIssue[]): T | undefined => {
      const r = schema.safeParse(d.spec);
      if (!r.success) {
        issues.push(...r.error.issues.map((i) => ({ document: doc, path: i.path.map(String).join('.') || '(spec)', message: i.message })));
        return undefined;
      }
      const extra = validate?.(r.data) ?? [];
      if (extra.length) {
        issues.push(...extra.map((i) => ({ ...i, document: doc })));
        return undefined;
      }
      return r.data;
    };
    try {
      switch (d.kind) {
        case 'Route': {
          const s = parse(routeSpecSchema, routeKind.validate);
          if (s) routes.set(d.metadata.name, s);
          break;
        }
        case 'InhibitRule': {
          const s = parse(inhibitRuleSpecSchema, inhibitRuleKind.validate);
          if (s) inhibitRules.push(new InhibitRule(d.metadata.name, s));
          break;
        }
        case 'Silence': {
          const s = parse(silenceSpecSchema, silenceKind.validate);
          if (s) silences.push(new Silence(d.metadata.name, s));
          break;
        }
        case 'MaintenanceWindow': {
          const s = parse(maintenanceWindowSpecSchema, maintenanceWindowKind.validate);
          if (s) windows.push(new MaintenanceWindow(d.metadata.name, s));
          break;
        }
        case 'TimeInterval': {
          const s = parse(timeIntervalSpecSchema, timeIntervalKind.validate);
          if (s) timeIntervals.set(d.metadata.name, new TimeInterval(d.metadata.name, s));
          break;
        }
        case 'EscalationPolicy': {
          const s = parse(escalationPolicySpecSchema, escalationPolicyKind.validate);
          if (s) {
            s.steps.forEach((st, i) =>
              st.receivers.forEach((r) => {
                if (opts.receivers && !opts.receivers.has(r)) issues.push({ document: doc, path: `steps.${i}.receivers`, message: `unknown receiver "${r}": no Channel with that name` });
              }),
            );
            policies.set(d.metadata.name, compileEscalationPolicy(s));
          }
          break;
        }
        default:
          break;
      }
    } catch (err) {
      issues.push({ document: doc, path: '(spec)', message: (err as Error).message });
    }
  }
  let tree: RouteTree | undefined;
  try {
    tree = RouteTree.build(routes, {
      ...(opts.receivers ? { receivers: opts.receivers } : {}),
      timeIntervals: new Set(timeIntervals.keys()),
      escalationPolicies: new Set(policies.keys()),
    });
  } catch (err) {
    if (err instanceof RouteTreeError) issues.push(...err.issues);
    else throw err;
  }
  if (issues.length > 0 || !tree) return { issues };
  return { config: { routes: tree, inhibitRules, silences, maintenanceWindows: windows, timeIntervals, escalationPolicies: policies }, issues };
}
