import { parseChannelSpec, type ChannelSpec, type ChannelType } from './channel-kind.js';
import type { OutboundRequest } from './notifier.js';
import { alertsForChannel, notifierFor, NOTIFIERS, type NotifierRegistry } from './registry.js';
import type { AlertNotification } from './types.js';

export const REDACTED = '[redacted]';

export interface ChannelRef {
  name: string;
  spec: ChannelSpec;
}

export interface NotificationPreview {
  channel: string;
  type: ChannelType;
  /** True when the channel would send nothing (resolved-only notification, sendResolved off). */
  skipped: boolean;
  subject?: string;
  text: string;
  html?: string;
  /** The (first) request exactly as sent, secrets redacted. */
  request?: OutboundRequest;
  /** Every request (one per recipient for Twilio), secrets redacted. */
  requests: OutboundRequest[];
}

/**
 * Renders the exact message a channel would send for a notification, without sending it: the
 * same code path as delivery up to the wire, then the channel's secrets blanked out.
 */
export function renderPreview(
  channel: ChannelRef | { name: string; spec: unknown },
  notification: AlertNotification,
  opts: { now?: Date; idempotencyKey?: string; registry?: NotifierRegistry } = {},
): NotificationPreview {
  const spec = parseChannelSpec(channel.spec);
  const notifier = notifierFor(spec, opts.registry ?? NOTIFIERS);
  const n = alertsForChannel(spec, notification);
  const rendered = notifier.render(spec, n ?? notification, { now: opts.now ?? new Date(), ...(opts.idempotencyKey ? { idempotencyKey: opts.idempotencyKey } : {}) });
  const secrets = notifier.secrets(spec);
  const requests = rendered.requests.map((r) => redactRequest(r, secrets));
  return {
    channel: channel.name,
    type: spec.type,
    skipped: n === undefined,
    ...(rendered.subject !== undefined ? { subject: rendered.subject } : {}),
    text: redactText(rendered.text, secrets),
    ...(rendered.html !== undefined ? { html: rendered.html } : {}),
    ...(requests[0] ? { request: requests[0] } : {}),
    requests,
  };
}

const SECRET_HEADER = /authorization|token|password|secret|cookie|api[-_]?key/i;

/** A copy of the request with credentials gone: secret headers, and every secret value anywhere. */
export function redactRequest(req: OutboundRequest, secrets: readonly string[]): OutboundRequest {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) headers[k] = SECRET_HEADER.test(k) ? REDACTED : redactText(v, secrets);
  return { ...req, url: redactUrl(req.url, secrets), headers, body: redactText(req.body, secrets) };
}

function redactUrl(url: string, secrets: readonly string[]): string {
  // A URL that is itself the credential (Slack, webhook SecretURL) keeps only its origin.
  if (secrets.includes(url)) {
    try {
      return `${new URL(url).origin}/${REDACTED}`;
    } catch {
      return REDACTED;
    }
  }
  return redactText(url, secrets);
}

/** Replaces each secret as written, URL-encoded, form-encoded and JSON-escaped. */
export function redactText(text: string, secrets: readonly string[]): string {
  let out = text;
  const forms = new Set<string>();
  for (const s of secrets) {
    if (!s || s.length < 3) continue;
    forms.add(s);
    forms.add(encodeURIComponent(s));
    forms.add(new URLSearchParams({ x: s }).toString().slice(2));
    forms.add(JSON.stringify(s).slice(1, -1));
  }
  // Longest first, so a secret that contains another is replaced whole.
  for (const f of [...forms].sort((a, b) => b.length - a.length)) out = out.split(f).join(REDACTED);
  return out;
}
