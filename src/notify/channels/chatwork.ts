import type { ChatworkChannelSpec } from '../channel-kind.js';
import type { Notifier } from '../notifier.js';
import { messageFacts, renderText } from '../templates/message.js';
import { formBody, sendHttpRequests } from './http-send.js';

/**
 * Chatwork API v2, "POST /rooms/{room_id}/messages" (https://developer.chatwork.com/reference/post-rooms-room_id-messages):
 * the token goes in the X-ChatWorkToken header, the message as an
 * application/x-www-form-urlencoded field `body`; the answer is 200 {"message_id": "…"}.
 * Message notation [info][title]…[/title]…[/info] frames the alert, [toall] mentions
 * everyone (https://developer.chatwork.com/docs/message-notation). Chatwork limits to 300
 * requests per 5 minutes and answers 429 with X-RateLimit-Reset (epoch seconds), which the
 * HTTP sender turns into the retry delay.
 */
export const chatworkNotifier: Notifier<ChatworkChannelSpec> = {
  type: 'chatwork',
  render(spec, n, cx) {
    const m = messageFacts(n, { locale: spec.locale, timeZone: spec.timeZone, now: cx.now });
    const text = renderText(m);
    const [, ...rest] = text.split('\n');
    const mention = spec.toAll && m.status === 'firing' && m.severity === 'critical' ? '[toall]\n' : '';
    const message = `${mention}[info][title]${m.subject}[/title]${rest.join('\n').trim()}[/info]`;
    const url = `${spec.apiBase.replace(/\/+$/, '')}/rooms/${encodeURIComponent(spec.roomId)}/messages`;
    return {
      subject: m.subject,
      text: message,
      requests: [
        {
          method: 'POST',
          url,
          headers: { 'X-ChatWorkToken': spec.apiToken, 'Content-Type': 'application/x-www-form-urlencoded' },
          body: formBody({ body: message }),
        },
      ],
    };
  },
  send: (_spec, message, cx) => sendHttpRequests(message.requests, cx),
  secrets: (spec) => [spec.apiToken],
};
