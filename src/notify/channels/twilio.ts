import type { TwilioChannelSpec } from '../channel-kind.js';
import type { Notifier } from '../notifier.js';
import { LOCALES } from '../templates/locale.js';
import { messageFacts, renderShort, renderSpeech } from '../templates/message.js';
import { basicAuth, formBody, sendHttpRequests } from './http-send.js';

/**
 * Twilio Programmable Messaging and Voice, REST API 2010-04-01, HTTP Basic auth with the
 * Account SID and Auth Token, form-encoded parameters:
 * - SMS: POST /Accounts/{AccountSid}/Messages.json with To, From, Body
 *   (https://www.twilio.com/docs/messaging/api/message-resource#create-a-message-resource);
 *   Body is at most 1,600 characters.
 * - Voice: POST /Accounts/{AccountSid}/Calls.json with To, From and Twiml, the TwiML the call
 *   runs (https://www.twilio.com/docs/voice/api/call-resource#create-a-call-resource); <Say>
 *   reads the alert in ja-JP or en-US (https://www.twilio.com/docs/voice/twiml/say).
 * Twilio answers 201 Created; 400 (invalid number, error 21211 …) and 401 are final, 429 and
 * 5xx are retried. One request per recipient, so a retry skips the numbers already reached.
 */
export const twilioNotifier: Notifier<TwilioChannelSpec> = {
  type: 'twilio',
  render(spec, n, cx) {
    const m = messageFacts(n, { locale: spec.locale, timeZone: spec.timeZone, now: cx.now });
    const base = `${spec.apiBase.replace(/\/+$/, '')}/Accounts/${encodeURIComponent(spec.accountSid)}`;
    const headers = { Authorization: basicAuth(spec.accountSid, spec.authToken), 'Content-Type': 'application/x-www-form-urlencoded' };
    if (spec.mode === 'voice') {
      const speech = renderSpeech(m);
      const twiml = `<Response><Say language="${LOCALES[spec.locale].sayLanguage}" loop="2">${xmlEscape(speech)}</Say></Response>`;
      return {
        subject: m.subject,
        text: speech,
        requests: spec.to.map((to) => ({ method: 'POST', url: `${base}/Calls.json`, headers, body: formBody({ To: to, From: spec.from, Twiml: twiml }), part: to })),
      };
    }
    const sms = renderShort(m, 1600);
    return {
      subject: m.subject,
      text: sms,
      requests: spec.to.map((to) => ({ method: 'POST', url: `${base}/Messages.json`, headers, body: formBody({ To: to, From: spec.from, Body: sms }), part: to })),
    };
  },
  send: (_spec, message, cx) => sendHttpRequests(message.requests, cx),
  secrets: (spec) => [spec.authToken, basicAuth(spec.accountSid, spec.authToken)],
};

function xmlEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}
