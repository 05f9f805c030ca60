import type { EmailChannelSpec } from '../channel-kind.js';
import type { Notifier } from '../notifier.js';
import { messageFacts, renderHtml, renderText } from '../templates/message.js';
import { mailRequest, messageIdFor, sendMail, type MailContent } from './smtp-send.js';

/**
 * E-mail over SMTP: a text part and, unless turned off, an HTML part (multipart/alternative).
 * The severity leads the subject (【重要】 / [CRITICAL]) so it shows in any inbox list.
 * Auto-Submitted: auto-generated (RFC 3834) keeps vacation responders from answering.
 */
export const emailNotifier: Notifier<EmailChannelSpec> = {
  type: 'email',
  render(spec, n, cx) {
    const m = messageFacts(n, { locale: spec.locale, timeZone: spec.timeZone, now: cx.now });
    const text = renderText(m);
    const html = spec.html ? renderHtml(m) : undefined;
    const mail: MailContent = {
      to: spec.to,
      subject: m.subject,
      text,
      ...(html !== undefined ? { html } : {}),
      messageId: messageIdFor(cx.idempotencyKey, 'mail'),
      headers: { 'Auto-Submitted': 'auto-generated', 'X-Kansoku-Status': m.status, 'X-Kansoku-Severity': m.severity },
    };
    return { subject: m.subject, text, ...(html !== undefined ? { html } : {}), requests: [mailRequest(spec, mail)], mail };
  },
  async send(spec, message, cx) {
    const mail = message.mail;
    if (!mail) return { ok: false, retryable: false, error: 'internal: e-mail message was not rendered by the e-mail notifier' };
    return sendMail(spec, mail, cx);
  },
  secrets: (spec) => (spec.password ? [spec.password] : []),
};
