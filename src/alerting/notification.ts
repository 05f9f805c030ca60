/**
 * What the dispatcher hands to delivery: Alertmanager's webhook payload (version 4) for one
 * receiver and one aggregation group, plus Kansoku's routing context in `kansoku`. The notify
 * capability can post `toWebhookPayload(n)` unchanged to existing Alertmanager receivers.
 */
import type { Labels } from '../core/labels.js';
import type { Acknowledgement } from './alert-store.js';

export interface NotificationAlert {
  status: 'firing' | 'resolved';
  labels: Labels;
  annotations: Record<string, string>;
  /** RFC 3339, as Go marshals time.Time. */
  startsAt: string;
  /** "0001-01-01T00:00:00Z" while firing, as Alertmanager sends it. */
  endsAt: string;
  generatorURL: string;
  fingerprint: string;
}

export interface Notification {
  version: '4';
  groupKey: string;
  truncatedAlerts: number;
  status: 'firing' | 'resolved';
  receiver: string;
  groupLabels: Labels;
  commonLabels: Labels;
  commonAnnotations: Record<string, string>;
  externalURL: string;
  alerts: NotificationAlert[];
  kansoku: {
    /** Route id ("root/0/db-team") that produced the group. */
    route: string;
    /** Why this notification: the route's receiver, or an escalation step (0-based). */
    reason: 'route' | 'escalation';
    escalationStep?: number;
    /** Acknowledgements of the alerts, by fingerprint. */
    acks: Record<string, Acknowledgement>;
    /** Dispatch time (epoch ms); an idempotency key is groupKey + receiver + this. */
    dispatchedAt: number;
  };
}

/**
 * The port to delivery (Alertmanager's notify pipeline after dedup). Resolve when the
 * notification is durably accepted (e.g. written to the outbox); reject to have the
 * dispatcher retry at the group's next flush.
 */
export type NotifyFunc = (n: Notification) => Promise<void>;

/** Exactly Alertmanager's webhook body. */
export function toWebhookPayload(n: Notification): Omit<Notification, 'kansoku'> {
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  const { kansoku, ...rest } = n;
  return rest;
}

const GO_ZERO_TIME = '0001-01-01T00:00:00Z';

/** time.Time's JSON form: RFC 3339 with fractional seconds only when present. */
export function goTimeString(ms: number | undefined): string {
  if (ms === undefined) return GO_ZERO_TIME;
  return new Date(ms).toISOString().replace(/\.000Z$/, 'Z').replace(/(\.\d*?)0+Z$/, '$1Z');
}

export function commonOf(maps: Record<string, string>[]): Record<string, string> {
  if (maps.length === 0) return {};
  const out: Record<string, string> = { ...maps[0]! };
  for (const m of maps.slice(1)) for (const k of Object.keys(out)) if (m[k] !== out[k]) delete out[k];
  return out;
}

/** Go's model.LabelSet String(): {a="b", c="d"} sorted by name. */
export function formatLabelSet(labels: Labels): string {
  return `{${Object.keys(labels)
    .sort()
    .map((k) => `${k}=${JSON.stringify(labels[k])}`)
    .join(', ')}}`;
}
