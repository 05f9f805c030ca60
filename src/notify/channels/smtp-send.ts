import { createHash } from 'node:crypto';
import nodemailer, { type SendMailOptions } from 'nodemailer';
import type { EmailChannelSpec } from '../channel-kind.js';
import type { MailContent, OutboundRequest, SendContext, SendResult } from '../notifier.js';

export type { MailContent };

/**
 * Mail delivery over SMTP with nodemailer, shared by the e-mail channel and mail-to-ticket.
 * Retryability follows RFC 5321: a 5yz reply is a permanent rejection (final), a 4yz reply and a
 * broken or timed-out connection are transient (retried). A rejected login (535) or a TLS
 * failure is a configuration problem that retrying cannot fix.
 */
export type SmtpSpec = Pick<EmailChannelSpec, 'host' | 'port' | 'secure' | 'starttls' | 'tlsInsecureSkipVerify' | 'user' | 'password' | 'from'>;


/** A stable Message-ID per notification: a resend after a crash is recognisably the same mail. */
export function messageIdFor(key: string | undefined, host: string): string {
  const id = createHash('sha256').update(key ?? `${Date.now()}-${Math.random()}`).digest('hex').slice(0, 32);
  return `<${id}@${host.replace(/[^A-Za-z0-9.-]/g, '') || 'kansoku'}.kansoku>`;
}

/** The mail as a request, for previews and drills: the envelope and headers, the text as body. */
export function mailRequest(spec: SmtpSpec, mail: MailContent): OutboundRequest {
  return {
    method: 'SMTP',
    url: `${spec.secure ? 'smtps' : 'smtp'}://${spec.host}:${spec.port}`,
    headers: { From: spec.from, To: mail.to.join(', '), Subject: mail.subject, 'Message-ID': mail.messageId, ...mail.headers },
    body: mail.text,
  };
}

export async function sendMail(spec: SmtpSpec, mail: MailContent, cx: Pick<SendContext, 'signal' | 'timeoutMs'>): Promise<SendResult> {
  const where = `${spec.host}:${spec.port}`;
  const transport = nodemailer.createTransport({
    host: spec.host,
    port: spec.port,
    secure: spec.secure,
    requireTLS: spec.starttls === 'required',
    ignoreTLS: spec.starttls === 'disabled',
    auth: spec.user !== undefined ? { user: spec.user, pass: spec.password ?? '' } : undefined,
    tls: { rejectUnauthorized: !spec.tlsInsecureSkipVerify },
    connectionTimeout: cx.timeoutMs,
    greetingTimeout: cx.timeoutMs,
    socketTimeout: cx.timeoutMs,
  });
  // One deadline for the whole exchange, on top of nodemailer's per-phase timeouts.
  const deadline = AbortSignal.any([cx.signal, AbortSignal.timeout(cx.timeoutMs)]);
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => {
      transport.close();
      reject(deadline.reason);
    };
    if (deadline.aborted) onAbort();
    else deadline.addEventListener('abort', onAbort, { once: true });
  });
  try {
    const options = {
      from: spec.from,
      to: mail.to,
      subject: mail.subject,
      text: mail.text,
      ...(mail.html !== undefined ? { html: mail.html } : {}),
      messageId: mail.messageId,
      headers: mail.headers,
      signal: deadline,
    };
    const info = (await Promise.race([transport.sendMail(options as SendMailOptions), aborted])) as { accepted?: unknown[]; rejected?: unknown[]; response?: string };
    const accepted = info.accepted ?? [];
    const rejected = info.rejected ?? [];
    if (accepted.length === 0 && rejected.length > 0) {
      return { ok: false, retryable: false, error: `${where} refused every recipient: ${rejected.map(String).join(', ')}` };
    }
    return { ok: true, detail: rejected.length ? `refused: ${rejected.map(String).join(', ')}; ${info.response ?? ''}`.trim() : info.response };
  } catch (err) {
    return classifySmtpError(err, where, cx.timeoutMs, deadline);
  } finally {
    if (onAbort) deadline.removeEventListener('abort', onAbort);
    aborted.catch(() => {});
    transport.close();
  }
}

function classifySmtpError(err: unknown, where: string, timeoutMs: number, deadline: AbortSignal): SendResult {
  const e = err as { code?: string; responseCode?: number; response?: string; message?: string; name?: string };
  if (deadline.aborted && (e?.name === 'TimeoutError' || (deadline.reason as Error | undefined)?.name === 'TimeoutError')) {
    return { ok: false, retryable: true, error: `no answer from SMTP server ${where} within ${timeoutMs} ms (timeout)` };
  }
  if (e?.name === 'AbortError' || e?.code === 'EABORT') return { ok: false, retryable: true, error: `sending mail through ${where} was cancelled (Kansoku is stopping)` };
  const reply = e?.response ? `: ${e.response}` : e?.message ? `: ${e.message}` : '';
  if (typeof e?.responseCode === 'number') {
    const code = e.responseCode;
    if (e.code === 'EAUTH') return { ok: false, retryable: code >= 400 && code < 500, error: `SMTP server ${where} refused the login (${code})${reply}; check user and password` };
    const permanent = code >= 500 && code !== 503;
    return { ok: false, retryable: !permanent, error: `SMTP server ${where} answered ${code}${reply}` };
  }
  if (e?.code === 'EAUTH' || e?.code === 'ENOAUTH') return { ok: false, retryable: false, error: `SMTP login at ${where} failed${reply}; check user and password` };
  if (e?.code === 'ETLS' || e?.code === 'EREQUIRETLS') return { ok: false, retryable: false, error: `TLS with SMTP server ${where} failed${reply}; check secure / starttls / the certificate` };
  if (e?.code === 'ECONFIG' || e?.code === 'EENVELOPE' || e?.code === 'EMESSAGE') return { ok: false, retryable: false, error: `mail for ${where} is invalid${reply}` };
  return { ok: false, retryable: true, error: `cannot send mail through ${where}${reply}${e?.code ? ` (${e.code})` : ''}` };
}
