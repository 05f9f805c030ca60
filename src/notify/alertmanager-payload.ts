import type { Labels } from '../core/labels.js';
import {
  groupStatus,
  type AlertNotification,
  type AlertmanagerWebhookAlert,
  type AlertmanagerWebhookPayload,
  type NotificationAlert,
} from './types.js';

/** Go's zero time.Time as encoding/json writes it: what Alertmanager sends for "no end yet". */
export const GO_ZERO_TIME = '0001-01-01T00:00:00Z';

/**
 * Builds the webhook body as Alertmanager does (notify/webhook/webhook.go): alerts beyond
 * `maxAlerts` are cut off first and counted in truncatedAlerts, then status and the common
 * labels and annotations are computed from the alerts that remain (template.Data).
 */
export function buildAlertmanagerPayload(n: AlertNotification, opts: { maxAlerts?: number; externalURL?: string } = {}): AlertmanagerWebhookPayload {
  const max = opts.maxAlerts ?? 0;
  const kept = max > 0 && n.alerts.length > max ? n.alerts.slice(0, max) : n.alerts;
  const alerts = kept.map(toWebhookAlert);
  return {
    receiver: n.receiver,
    status: groupStatus(kept),
    alerts,
    groupLabels: sortKeys(n.groupLabels),
    commonLabels: commonPairs(alerts.map((a) => a.labels)),
    commonAnnotations: commonPairs(alerts.map((a) => a.annotations)),
    externalURL: opts.externalURL ?? n.externalURL ?? '',
    version: '4',
    groupKey: n.groupKey,
    truncatedAlerts: n.alerts.length - kept.length,
  };
}

function toWebhookAlert(a: NotificationAlert): AlertmanagerWebhookAlert {
  // Prometheus convention: severity is a label. Receivers route on labels.severity, so an alert
  // whose rule did not set the label still carries it.
  const labels: Labels = a.labels.severity === undefined ? { ...a.labels, severity: a.severity } : a.labels;
  const annotations: Record<string, string> = {};
  for (const [k, v] of Object.entries(a.annotations)) if (v !== undefined) annotations[k] = v;
  return {
    status: a.status,
    labels: sortKeys(labels),
    annotations: sortKeys(annotations),
    startsAt: a.startsAt,
    endsAt: a.endsAt ?? GO_ZERO_TIME,
    generatorURL: a.generatorURL ?? '',
    fingerprint: a.fingerprint,
  };
}

/** Pairs every map shares with the same value (template.Data CommonLabels / CommonAnnotations). */
function commonPairs(maps: readonly Record<string, string>[]): Record<string, string> {
  if (maps.length === 0) return {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(maps[0]!)) {
    if (maps.every((m) => m[k] === v)) out[k] = v;
  }
  return sortKeys(out);
}

/** Go encodes maps with sorted keys; sorting here makes the bytes match too. */
function sortKeys(m: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of Object.keys(m).sort()) out[k] = m[k]!;
  return out;
}

/**
 * The body bytes as Go's json.Encoder writes them: HTML-sensitive characters escaped
 * (SetEscapeHTML defaults to true) and a trailing newline.
 */
export function encodeAlertmanagerPayload(p: AlertmanagerWebhookPayload): string {
  return (
    JSON.stringify(p)
      .replace(/</g, '\\u003c')
      .replace(/>/g, '\\u003e')
      .replace(/&/g, '\\u0026')
      .replace(/\u2028/g, '\\u2028')
      .replace(/\u2029/g, '\\u2029') + '\n'
  );
}
