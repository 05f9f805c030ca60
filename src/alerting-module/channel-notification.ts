/**
 * Routing (src/alerting) speaks Alertmanager's webhook payload; delivery (src/notify) takes an
 * AlertNotification that also carries what a human message needs (severity, runbook and its
 * first step). This is the one place the two meet.
 */
import { createHash } from 'node:crypto';
import { SEVERITIES, type Severity } from '../core/severity.js';
import type { Notification } from '../alerting/index.js';
import type { AlertNotification, NotificationAlert } from '../notify/index.js';

export interface RunbookInfo {
  name: string;
  title?: string;
  url?: string;
  firstStep?: string;
}

/** Looks a Runbook object up by name (the `runbook` annotation); undefined when there is none. */
export type RunbookLookup = (name: string) => RunbookInfo | undefined;

const GO_ZERO_TIME = '0001-01-01T00:00:00Z';

export function severityOf(labels: Record<string, string>): Severity {
  const s = labels.severity;
  return (SEVERITIES as readonly string[]).includes(s ?? '') ? (s as Severity) : 'error';
}

/**
 * The outbox key of a dispatch: its content (alerts and their states) plus the repeat period it
 * falls in. Two dispatches of the same content at least repeat_interval apart (a deliberate
 * repeat) land in different periods and both go out; the same content dispatched again within
 * one period (routing state rebuilt after a restart) is the same notification and is not doubled.
 */
export function dispatchKey(n: Notification, repeatIntervalMs: number): string {
  const content = createHash('sha256')
    .update(JSON.stringify(n.alerts.map((a) => [a.fingerprint, a.status, a.startsAt, a.endsAt]).sort()))
    .digest('hex')
    .slice(0, 32);
  const period = Math.floor(n.kansoku.dispatchedAt / Math.max(1, repeatIntervalMs));
  return `${n.receiver}|${n.groupKey}|${n.kansoku.reason}${n.kansoku.escalationStep ?? ''}|${content}|${period}`;
}

/** The delivery form of a routed notification; `key` is dispatchKey's. */
export function toChannelNotification(n: Notification, key: string, runbook: RunbookLookup = () => undefined): AlertNotification {
  const alerts: NotificationAlert[] = n.alerts.map((a) => {
    const rbName = a.annotations.runbook;
    const rb = rbName ? runbook(rbName) : undefined;
    const url = a.annotations.runbook_url ?? rb?.url;
    const runbookField = rb || url ? { ...(rb ? { name: rb.name } : {}), ...(rb?.title ? { title: rb.title } : {}), ...(url ? { url } : {}), ...(rb?.firstStep ? { firstStep: rb.firstStep } : {}) } : undefined;
    const value = a.annotations.value;
    return {
      status: a.status,
      labels: { ...a.labels },
      annotations: { ...a.annotations },
      severity: severityOf(a.labels),
      startsAt: a.startsAt,
      ...(a.status === 'resolved' && a.endsAt !== GO_ZERO_TIME ? { endsAt: a.endsAt } : {}),
      fingerprint: a.fingerprint,
      ...(a.generatorURL ? { generatorURL: a.generatorURL } : {}),
      ...(value !== undefined ? { value } : {}),
      ...(runbookField ? { runbook: runbookField } : {}),
    };
  });
  return {
    receiver: n.receiver,
    groupKey: n.groupKey,
    groupLabels: { ...n.groupLabels },
    alerts,
    ...(n.externalURL ? { externalURL: n.externalURL } : {}),
    key,
  };
}
