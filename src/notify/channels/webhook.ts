import { VERSION } from '../../version.js';
import { buildAlertmanagerPayload, encodeAlertmanagerPayload } from '../alertmanager-payload.js';
import type { WebhookChannelSpec } from '../channel-kind.js';
import type { Notifier } from '../notifier.js';
import { sendHttpRequests } from './http-send.js';

/**
 * Generic webhook: POSTs Alertmanager's webhook JSON (version 4) so receivers written for
 * Alertmanager work unchanged (https://prometheus.io/docs/alerting/latest/configuration/#webhook_config).
 * Like Alertmanager, 2xx is success and 5xx is retried. The Idempotency-Key header (IETF
 * draft-ietf-httpapi-idempotency-key-header) lets a receiver drop the duplicate that an
 * at-least-once retry after a lost answer can produce; receivers that do not know it ignore it.
 */
export const webhookNotifier: Notifier<WebhookChannelSpec> = {
  type: 'webhook',
  render(spec, n, cx) {
    const payload = buildAlertmanagerPayload(n, { maxAlerts: spec.maxAlerts });
    const body = encodeAlertmanagerPayload(payload);
    const headers: Record<string, string> = {
      'Content-Type': 'application/json',
      'User-Agent': `Kansoku/${VERSION}`,
      ...(cx.idempotencyKey ? { 'Idempotency-Key': cx.idempotencyKey } : {}),
      ...spec.headers,
      ...(spec.authorization ? { Authorization: spec.authorization } : {}),
    };
    return { text: body, requests: [{ method: 'POST', url: spec.url, headers, body }] };
  },
  send: (_spec, message, cx) => sendHttpRequests(message.requests, cx),
  secrets: (spec) => [spec.url, ...(spec.authorization ? [spec.authorization] : []), ...Object.values(spec.headers)],
};
