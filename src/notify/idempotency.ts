import { createHash } from 'node:crypto';
import type { AlertNotification } from './types.js';

/**
 * The outbox key of a notification for one channel. Routing's own key (AlertNotification.key)
 * wins; otherwise the content decides: the same alerts in the same states, for the same group
 * and channel, are one notification however often they are enqueued (a retried evaluation, a
 * restart between enqueue and acknowledgement).
 */
export function notificationKey(channel: string, n: AlertNotification): string {
  const identity =
    n.key ??
    JSON.stringify({
      receiver: n.receiver,
      groupKey: n.groupKey,
      alerts: n.alerts
        .map((a) => [a.fingerprint, a.status, a.startsAt, a.endsAt ?? ''])
        .sort((x, y) => (x.join('\u0000') < y.join('\u0000') ? -1 : 1)),
    });
  return `${channel}:${createHash('sha256').update(identity).digest('hex').slice(0, 40)}`;
}
