/**
 * EVALUATE: alerting rules (`kind: AlertRule`, Prometheus rule files), their pending / firing /
 * resolved state machine, templates, check-state conditions, dependencies and evaluation groups.
 */
export { alertRuleKind, alertRuleSpecSchema, checkStateConditionSchema, validateAlertRuleSpec, checkPromqlExpr, type AlertRuleSpec, type AlertRuleInput, type CheckStateCondition } from './alert-rule-kind.js';
export { AlertingRule, RuleEvaluationError, RESOLVED_RETENTION_MS, type RuleDeps, type RuleOptions, type RuleEvalOutcome } from './alerting-rule.js';
export type { AlertState, RuleAlert, PostableAlert, AlertSink } from './alert-types.js';
export { RuleManager, DEFAULT_EVALUATION_INTERVAL_MS, toPostable, type RuleDocument, type RoundReport, type RuleManagerOptions } from './rule-manager.js';
export { restoreForState, DEFAULT_FOR_GRACE_PERIOD_MS, DEFAULT_FOR_OUTAGE_TOLERANCE_MS, type RestoreForStateOptions, type SavedRuleAlert } from './restore-for-state.js';
export { engineQueryFunc, type QueryFunc, type QuerySample } from './query-func.js';
export { evaluateCheckCondition, type CheckStateSource, type CheckStateSnapshot, type CheckLocationState, type CheckLocationStatus } from './check-state.js';
export { loadPrometheusRuleFile, ruleObjectName, type PrometheusRuleFileResult, type UnsupportedRule } from './prometheus-rule-file.js';
export { AlertTemplate, checkTemplate, expandAlertTemplate, TemplateSyntaxError, TemplateExecError, humanize, humanize1024, humanizeDuration, humanizeTimestamp, goSprintf, type TemplateData, type TemplateValue } from './template.js';
export { parseMatchers, parseMatcherList, compileMatchers, checkMatchers, formatMatcher, formatMatchers, MatcherSyntaxError, type LabelPredicate, type LabelMatcher, type MatchOp } from './alert-matchers.js';
export { fingerprintLabels, labelsKey } from './fingerprint.js';
export { formatGoFloat, formatGoG } from './go-format.js';
export { systemClock, FakeClock, settle, type Clock, type TimerHandle } from '../lib/clock.js';
export { benchRuleEvaluation, type RuleBenchOptions, type RuleBenchResult } from './bench.js';
