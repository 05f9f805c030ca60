import type { ChannelSpec, ChannelType } from './channel-kind.js';
import { chatworkNotifier } from './channels/chatwork.js';
import { emailNotifier } from './channels/email.js';
import { slackNotifier } from './channels/slack.js';
import { ticketNotifier } from './channels/ticket.js';
import { twilioNotifier } from './channels/twilio.js';
import { webhookNotifier } from './channels/webhook.js';
import { noneNotifier } from './channels/none.js';
import type { Notifier } from './notifier.js';
import type { AlertNotification } from './types.js';

/** Channel type → notifier. A new channel type is one entry here and one file in channels/. */
export type NotifierRegistry = { readonly [T in ChannelType]: Notifier<Extract<ChannelSpec, { type: T }>> };

export const NOTIFIERS: NotifierRegistry = {
  webhook: webhookNotifier,
  email: emailNotifier,
  slack: slackNotifier,
  chatwork: chatworkNotifier,
  twilio: twilioNotifier,
  ticket: ticketNotifier,
  none: noneNotifier,
};

export function notifierFor(spec: ChannelSpec, registry: NotifierRegistry = NOTIFIERS): Notifier {
  return registry[spec.type] as unknown as Notifier;
}

/**
 * What a channel is sent, after its sendResolved choice: as in Alertmanager, a channel that does
 * not want resolved notifications gets the firing alerts only, and nothing when none fire.
 */
export function alertsForChannel(spec: ChannelSpec, n: AlertNotification): AlertNotification | undefined {
  if (spec.sendResolved) return n;
  const firing = n.alerts.filter((a) => a.status === 'firing');
  if (firing.length === 0) return undefined;
  return firing.length === n.alerts.length ? n : { ...n, alerts: firing };
}
