import { z } from 'zod';
import { SEVERITIES, type Severity } from '../core/severity.js';
import type { Labels } from '../core/labels.js';

/**
 * What routing hands to delivery: one group of alerts for one receiver, as Alertmanager's
 * dispatcher hands an aggregation group to its notification pipeline. Everything a message needs
 * (what, where, since when, severity, value, impact, runbook) travels with the alerts, so a
 * notification can be rendered long after it was enqueued, on another node, after a restart.
 */

export const ALERT_STATUSES = ['firing', 'resolved'] as const;
export type AlertStatus = (typeof ALERT_STATUSES)[number];

/** Annotation names every template understands; others are carried through untouched. */
export interface AlertAnnotations {
  summary?: string;
  description?: string;
  runbook_url?: string;
  impact?: string;
  [name: string]: string | undefined;
}

export interface NotificationAlert {
  status: AlertStatus;
  labels: Labels;
  annotations: AlertAnnotations;
  severity: Severity;
  /** RFC 3339 time the alert started firing. */
  startsAt: string;
  /** RFC 3339 time the alert resolved; absent while firing. */
  endsAt?: string;
  /** Stable identity of the alert (hash of its labels), as Alertmanager's fingerprint. */
  fingerprint: string;
  /** The current (or last) value of the expression, already formatted, e.g. "97.3%". */
  value?: string;
  /** Link back to the rule or check that produced the alert. */
  generatorURL?: string;
  /** The linked runbook, resolved by alerting from `kind: Runbook`; its first step is quoted. */
  runbook?: { name?: string; title?: string; url?: string; firstStep?: string };
}

export interface AlertNotification {
  /** The receiver (route) name that chose the channel. */
  receiver: string;
  /** Alertmanager-style group key, e.g. `{}/{severity="critical"}:{alertname="Down"}`. */
  groupKey: string;
  /** The labels the route grouped by, with the group's values. */
  groupLabels: Labels;
  alerts: NotificationAlert[];
  /** Kansoku's own URL, for links back to the alert (Alertmanager's externalURL). */
  externalURL?: string;
  /**
   * Identifies this notification across retries, restarts and nodes. Routing sets it when the
   * same content is sent again on purpose (repeat_interval), e.g. `${groupKey}@${flushTime}`;
   * when absent the content decides (identical content is delivered once).
   */
  key?: string;
}

const labelsSchema = z.record(z.string(), z.string());

export const notificationAlertSchema = z
  .object({
    status: z.enum(ALERT_STATUSES).describe('firing or resolved'),
    labels: labelsSchema.describe('identifying labels (alertname, service, instance, …)'),
    annotations: z.record(z.string(), z.string()).default({}).describe('summary, description, runbook_url, impact, …'),
    severity: z.enum(SEVERITIES).describe('critical, error, warning or info'),
    startsAt: z.string().describe('RFC 3339 time the alert started firing'),
    endsAt: z.string().optional().describe('RFC 3339 time the alert resolved'),
    fingerprint: z.string().min(1).describe('stable identity of the alert'),
    value: z.string().optional().describe('current value, formatted'),
    generatorURL: z.string().optional().describe('link to the rule or check'),
    runbook: z
      .object({
        name: z.string().optional(),
        title: z.string().optional(),
        url: z.string().optional(),
        firstStep: z.string().optional(),
      })
      .strict()
      .optional()
      .describe('the linked runbook and its first step'),
  })
  .strict();

export const alertNotificationSchema = z
  .object({
    receiver: z.string().min(1).describe('receiver (route) name'),
    groupKey: z.string().describe('group key'),
    groupLabels: labelsSchema.default({}).describe('labels the route grouped by'),
    alerts: z.array(notificationAlertSchema).min(1, 'a notification carries at least one alert'),
    externalURL: z.string().optional().describe("Kansoku's external URL"),
    key: z.string().optional().describe('idempotency key of this notification'),
  })
  .strict();

/** Firing when any alert fires, as Alertmanager's template data does. */
export function groupStatus(alerts: readonly NotificationAlert[]): AlertStatus {
  return alerts.some((a) => a.status === 'firing') ? 'firing' : 'resolved';
}

const SEVERITY_RANK: Record<Severity, number> = { critical: 4, error: 3, warning: 2, info: 1 };

/** The most severe alert decides how loud the message is; resolved alerts count when none fire. */
export function groupSeverity(alerts: readonly NotificationAlert[]): Severity {
  const firing = alerts.filter((a) => a.status === 'firing');
  const pool = firing.length ? firing : alerts;
  let worst: Severity = 'info';
  for (const a of pool) if (SEVERITY_RANK[a.severity] > SEVERITY_RANK[worst]) worst = a.severity;
  return worst;
}

/** The outcome of one delivery attempt (Alertmanager's Notifier: retryable, err). */
export type DeliveryResult =
  | { ok: true; status?: number; detail?: string }
  | { ok: false; retryable: boolean; error: string; status?: number; retryAfterMs?: number };

/**
 * The JSON body Alertmanager's webhook_config POSTs (notify/webhook/webhook.go `Message`: the
 * template data plus version, groupKey and truncatedAlerts), field for field and in the same
 * order, so receivers written for Alertmanager accept Kansoku's unchanged.
 * https://prometheus.io/docs/alerting/latest/configuration/#webhook_config
 */
export interface AlertmanagerWebhookPayload {
  receiver: string;
  status: AlertStatus;
  alerts: AlertmanagerWebhookAlert[];
  groupLabels: Labels;
  commonLabels: Labels;
  commonAnnotations: Record<string, string>;
  externalURL: string;
  version: '4';
  groupKey: string;
  truncatedAlerts: number;
}

export interface AlertmanagerWebhookAlert {
  status: AlertStatus;
  labels: Labels;
  annotations: Record<string, string>;
  startsAt: string;
  /** Go's zero time, "0001-01-01T00:00:00Z", while the alert has no end. */
  endsAt: string;
  generatorURL: string;
  fingerprint: string;
}
