import type { SlackChannelSpec } from '../channel-kind.js';
import type { Notifier } from '../notifier.js';
import { messageFacts, truncate, type AlertFacts, type MessageFacts } from '../templates/message.js';
import { sendHttpRequests } from './http-send.js';

/**
 * Slack incoming webhook (https://api.slack.com/messaging/webhooks): POST a JSON body with
 * `text` (shown in notifications, and the fallback) and `blocks` (the layout), Content-type
 * application/json. Slack answers 200 "ok"; errors are 400 invalid_payload, 403
 * action_prohibited, 404 channel_not_found, 410 channel_is_archived (final) and 429 with
 * Retry-After (https://api.slack.com/changelog/2016-05-17-changes-to-errors-for-incoming-webhooks,
 * https://api.slack.com/apis/rate-limits). `channel` is honoured only by legacy webhooks.
 * Limits from the Block Kit reference: header text 150 characters, section text 3000.
 */
export const slackNotifier: Notifier<SlackChannelSpec> = {
  type: 'slack',
  render(spec, n, cx) {
    const m = messageFacts(n, { locale: spec.locale, timeZone: spec.timeZone, now: cx.now });
    const emoji = m.status === 'resolved' ? ':white_check_mark:' : m.severity === 'critical' ? ':rotating_light:' : m.severity === 'info' ? ':information_source:' : ':warning:';
    const sections = [...m.firing, ...m.resolved].slice(0, 20).map((f) => ({ type: 'section', text: { type: 'mrkdwn', text: truncate(alertMrkdwn(f, m), 3000) } }));
    const payload = {
      ...(spec.channel ? { channel: spec.channel } : {}),
      text: `${emoji} ${m.subject}`,
      blocks: [{ type: 'header', text: { type: 'plain_text', text: truncate(`${emoji} ${m.subject}`, 150), emoji: true } }, ...sections],
    };
    const body = JSON.stringify(payload);
    const text = [m.subject, '', ...[...m.firing, ...m.resolved].map((f) => alertMrkdwn(f, m))].join('\n');
    return { subject: m.subject, text, requests: [{ method: 'POST', url: spec.url, headers: { 'Content-Type': 'application/json; charset=utf-8' }, body }] };
  },
  send: (_spec, message, cx) => sendHttpRequests(message.requests, cx),
  secrets: (spec) => [spec.url],
};

function alertMrkdwn(f: AlertFacts, m: MessageFacts): string {
  const s = m.strings;
  const lines = [`*${esc(f.what)}*`, `*${s.severity}:* ${esc(s.severityName[f.severity])}  *${s.status}:* ${f.status === 'firing' ? s.statusFiring : s.statusResolved}`];
  lines.push(`*${s.where}:* ${esc(f.where)}`, `*${s.since}:* ${esc(f.since)}`);
  if (f.value !== undefined) lines.push(`*${s.value}:* ${esc(f.value)}`);
  lines.push(`*${s.impact}:* ${esc(f.impact ?? s.noImpact)}`);
  lines.push(`*${s.runbook}:* ${f.runbookUrl ? `<${f.runbookUrl}|${esc(f.runbookTitle ?? f.runbookUrl)}>` : esc(s.noRunbook)}`);
  if (f.firstStep) lines.push(`*${s.firstStep}:* ${esc(f.firstStep)}`);
  if (f.description) lines.push(`*${s.details}:* ${esc(f.description)}`);
  if (f.source) lines.push(`<${f.source}|${s.source}>`);
  return lines.join('\n');
}

/** Slack mrkdwn needs only &, < and > escaped (https://api.slack.com/reference/surfaces/formatting#escaping). */
function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
