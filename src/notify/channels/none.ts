import type { NoneChannelSpec } from '../channel-kind.js';
import type { Notifier } from '../notifier.js';

/** The receiver that sends nothing: delivery succeeds at once and the outbox log says so. */
export const noneNotifier: Notifier<NoneChannelSpec> = {
  type: 'none',
  render(_spec, n) {
    return { text: `not sent: channel of type none (${n.alerts.length} alert(s) for ${n.receiver} discarded on purpose)`, requests: [] };
  },
  async send() {
    return { ok: true, detail: 'channel of type none: nothing sent' };
  },
  secrets() {
    return [];
  },
};
