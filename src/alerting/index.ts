/**
 * ROUTE: Alertmanager semantics in Kansoku: the route tree (`kind: Route`), aggregation groups
 * with group_wait / group_interval / repeat_interval, deduplication, inhibition, silences,
 * maintenance windows, time intervals, acknowledgements, escalation policies, and an importer
 * for Alertmanager configuration files.
 */
export { Dispatcher, groupLabels, type AlertingConfig, type DispatcherOptions, type GroupInfo, type DispatcherState, type DispatchLogState, type EscalationState, type EpisodeState } from './dispatcher.js';
export { toWebhookPayload, goTimeString, formatLabelSet, type Notification, type NotificationAlert, type NotifyFunc } from './notification.js';
export { AlertStore, isResolved, DEFAULT_ALERT_RETENTION_MS, type StoredAlert, type AlertStatus, type AlertStatusState, type Acknowledgement } from './alert-store.js';
export { routeKind, routeSpecSchema, validateRouteSpec, type RouteSpec } from './route-kind.js';
export { RouteTree, RouteTreeError, ROOT_ROUTE, DEFAULT_GROUP_WAIT_MS, DEFAULT_GROUP_INTERVAL_MS, DEFAULT_REPEAT_INTERVAL_MS, type ResolvedRoute, type RouteTreeCheck } from './route-tree.js';
export { InhibitRule, inhibitRuleKind, inhibitRuleSpecSchema, type InhibitRuleSpec } from './inhibit-rule.js';
export { Silence, silenceKind, silenceSpecSchema, type SilenceSpec } from './silence.js';
export { MaintenanceWindow, maintenanceWindowKind, maintenanceWindowSpecSchema, hostOf, type MaintenanceWindowSpec } from './maintenance-window.js';
export { TimeInterval, timeIntervalKind, timeIntervalSpecSchema, type TimeIntervalSpec } from './time-interval.js';
export { escalationPolicyKind, escalationPolicySpecSchema, compileEscalationPolicy, type EscalationPolicySpec, type EscalationStep } from './escalation-policy.js';
export { buildAlertingConfig, ALERTING_KINDS, type AlertingDocument, type BuildOptions } from './alerting-config.js';
export { importAlertmanagerConfig, kansokuName, type AlertmanagerImportResult } from './alertmanager-import.js';
export { zonedParts, isValidTimeZone, type ZonedParts } from './zoned-time.js';
// Matchers are shared with rule dependencies; they live in rules/ and are re-exported here.
export { parseMatchers, parseMatcherList, compileMatchers, formatMatchers } from '../rules/index.js';
