import type { Severity } from '../../core/severity.js';
import type { TicketChannelSpec, TicketMailChannelSpec, TicketRestChannelSpec } from '../channel-kind.js';
import type { Notifier, RenderContext, RenderedMessage } from '../notifier.js';
import { messageFacts, renderText, truncate } from '../templates/message.js';
import type { AlertNotification, DeliveryResult } from '../types.js';
import { sendHttpRequests } from './http-send.js';
import { mailRequest, messageIdFor, sendMail, type MailContent } from './smtp-send.js';

/**
 * Ticket creation in Znuny / OTRS.
 *
 * REST: the GenericInterface operation TicketCreate (Kernel/GenericInterface/Operation/Ticket/
 * TicketCreate.pm), routed by the shipped GenericTicketConnectorREST web service as
 * `POST <webservice>/Ticket` (development/webservices/GenericTicketConnectorREST.yml). The JSON
 * body carries UserLogin + Password, Ticket {Title, Queue, State, Priority, CustomerUser} and
 * Article {CommunicationChannel, SenderType, IsVisibleForCustomer, Subject, Body, ContentType}
 * (https://doc.znuny.org/ → Developer → GenericInterface). The operation answers HTTP 200 even
 * when it fails, with {"Error": {"ErrorCode": "TicketCreate.AuthFail", "ErrorMessage": …}};
 * such answers are final (wrong credentials, queue or state do not fix themselves).
 *
 * Mail: mail-to-ticket through the PostMaster; X-OTRS-Queue and X-OTRS-Priority headers choose
 * queue and priority when the PostMaster trusts X-OTRS headers (PostmasterX-Header).
 */
export const ticketNotifier: Notifier<TicketChannelSpec> = {
  type: 'ticket',
  render(spec, n, cx) {
    return spec.mode === 'mail' ? renderMailTicket(spec, n, cx) : renderRestTicket(spec, n, cx);
  },
  async send(spec, message, cx) {
    if (spec.mode === 'mail') {
      const mail = message.mail;
      if (!mail) return { ok: false, retryable: false, error: 'internal: ticket mail was not rendered by the ticket notifier' };
      return sendMail(spec, mail, cx);
    }
    return sendHttpRequests(message.requests, cx, checkTicketCreateAnswer);
  },
  secrets: (spec) => (spec.password ? [spec.password] : []),
};

function priorityFor(spec: TicketChannelSpec, severity: Severity): string {
  return spec.priorities[severity];
}

function renderRestTicket(spec: TicketRestChannelSpec, n: AlertNotification, cx: RenderContext): RenderedMessage {
  const m = messageFacts(n, { locale: spec.locale, timeZone: spec.timeZone, now: cx.now });
  const text = renderText(m);
  const body = {
    UserLogin: spec.userLogin,
    Password: spec.password,
    Ticket: {
      Title: truncate(m.subject, 255),
      Queue: spec.queue,
      State: spec.state,
      Priority: priorityFor(spec, m.severity),
      CustomerUser: spec.customerUser,
    },
    Article: {
      CommunicationChannel: spec.communicationChannel,
      SenderType: 'system',
      IsVisibleForCustomer: 0,
      Subject: m.subject,
      Body: text,
      ContentType: 'text/plain; charset=utf8',
    },
  };
  return {
    subject: m.subject,
    text,
    requests: [{ method: 'POST', url: `${spec.baseUrl.replace(/\/+$/, '')}/Ticket`, headers: { 'Content-Type': 'application/json; charset=utf-8' }, body: JSON.stringify(body) }],
  };
}

function renderMailTicket(spec: TicketMailChannelSpec, n: AlertNotification, cx: RenderContext): RenderedMessage {
  const m = messageFacts(n, { locale: spec.locale, timeZone: spec.timeZone, now: cx.now });
  const text = renderText(m);
  const mail: MailContent = {
    to: [spec.to],
    subject: m.subject,
    text,
    messageId: messageIdFor(cx.idempotencyKey, 'ticket'),
    headers: { 'Auto-Submitted': 'auto-generated', 'X-OTRS-Queue': spec.queue, 'X-OTRS-Priority': priorityFor(spec, m.severity) },
  };
  return { subject: m.subject, text, requests: [mailRequest(spec, mail)], mail };
}

/** TicketCreate reports failure inside a 200 answer. */
function checkTicketCreateAnswer(status: number, body: string): DeliveryResult | undefined {
  let parsed: { TicketID?: unknown; TicketNumber?: unknown; Error?: { ErrorCode?: string; ErrorMessage?: string } };
  try {
    parsed = JSON.parse(body) as typeof parsed;
  } catch {
    return { ok: false, retryable: false, status, error: 'the ticket system answered without JSON: is baseUrl the GenericInterface web service URL?' };
  }
  if (parsed.Error) return { ok: false, retryable: false, status, error: `TicketCreate failed: ${parsed.Error.ErrorCode ?? 'error'}: ${parsed.Error.ErrorMessage ?? ''}`.trim() };
  if (parsed.TicketID === undefined) return { ok: false, retryable: false, status, error: 'the ticket system answered without a TicketID' };
  return { ok: true, status, detail: `ticket ${String(parsed.TicketNumber ?? parsed.TicketID)}` };
}
