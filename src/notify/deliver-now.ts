import { parseDurationMs } from '../core/duration.js';
import { parseChannelSpec } from './channel-kind.js';
import type { SendResult } from './notifier.js';
import { renderPreview, type NotificationPreview } from './preview.js';
import { alertsForChannel, NOTIFIERS, notifierFor, type NotifierRegistry } from './registry.js';
import type { AlertNotification } from './types.js';

export interface DirectDelivery {
  preview: NotificationPreview;
  result: SendResult;
  latencyMs: number;
}

/**
 * Sends one notification to one channel right now, bypassing the outbox: no retry, no record.
 * For "test this channel" in the API and the last hop of a drill, which report the outcome and
 * latency to the person waiting; alerts themselves always go through the outbox.
 */
export async function deliverNow(
  channel: { name: string; spec: unknown },
  notification: AlertNotification,
  opts: { signal?: AbortSignal; now?: Date; registry?: NotifierRegistry } = {},
): Promise<DirectDelivery> {
  const spec = parseChannelSpec(channel.spec);
  const now = opts.now ?? new Date();
  const preview = renderPreview({ name: channel.name, spec }, notification, { now, ...(opts.registry ? { registry: opts.registry } : {}) });
  const n = alertsForChannel(spec, notification);
  if (!n) return { preview, result: { ok: true, detail: 'skipped: the channel does not send resolved notifications' }, latencyMs: 0 };
  const notifier = notifierFor(spec, opts.registry ?? NOTIFIERS);
  const t0 = performance.now();
  const result = await notifier.send(spec, notifier.render(spec, n, { now }), {
    signal: opts.signal ?? new AbortController().signal,
    timeoutMs: parseDurationMs(spec.timeout) ?? 10_000,
    completedParts: [],
  });
  return { preview, result, latencyMs: performance.now() - t0 };
}
