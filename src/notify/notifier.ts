import type { ChannelSpec } from './channel-kind.js';
import type { AlertNotification, DeliveryResult } from './types.js';

/**
 * One channel type's delivery: render the exact message and request(s), then send them.
 * Splitting render from send gives previews and drills the very bytes a send would use, and
 * lets a test assert the request shape without a network (HyperDX's transport registry:
 * a new type is an added entry, not an edit to a switch).
 */
export interface OutboundRequest {
  /** HTTP method, or "SMTP" for mail. */
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string;
  /**
   * Identifies this request among several of one notification (e.g. the phone number a
   * Twilio message goes to), so a retry skips the parts that already went out.
   */
  part?: string;
}

export interface RenderedMessage {
  subject?: string;
  text: string;
  html?: string;
  /** What goes on the wire, in order; most channels send exactly one. */
  requests: OutboundRequest[];
  /** For mail channels: the message as composed, which the SMTP sender sends. */
  mail?: MailContent;
}

export interface MailContent {
  to: string[];
  subject: string;
  text: string;
  html?: string;
  headers: Record<string, string>;
  messageId: string;
}

export interface RenderContext {
  now: Date;
  /** The outbox entry's idempotency key, passed on where the protocol has a place for it. */
  idempotencyKey?: string;
}

export interface SendContext {
  /** Aborted when the dispatcher stops; the attempt's own timeout is added by the notifier. */
  signal: AbortSignal;
  timeoutMs: number;
  /** Parts (OutboundRequest.part) delivered by an earlier attempt. */
  completedParts: readonly string[];
}

/** A send result that also says which parts went out, so a retry does not double them. */
export type SendResult = DeliveryResult & { completedParts?: string[] };

export interface Notifier<S extends ChannelSpec = ChannelSpec> {
  readonly type: S['type'];
  render(spec: S, n: AlertNotification, cx: RenderContext): RenderedMessage;
  send(spec: S, message: RenderedMessage, cx: SendContext): Promise<SendResult>;
  /** Secret values in the spec, blanked out of previews. */
  secrets(spec: S): string[];
}
