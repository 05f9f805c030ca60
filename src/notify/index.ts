/**
 * DELIVER: notifications from routing to people. Routing calls `Dispatcher.enqueue(channel,
 * notification)`; the dispatcher sends through the channel's notifier with retries; previews and
 * drills render the exact message with `renderPreview`.
 */
export * from './types.js';
export * from './alertmanager-payload.js';
export * from './channel-kind.js';
export * from './backoff.js';
export * from './notifier.js';
export * from './registry.js';
export * from './preview.js';
export * from './idempotency.js';
export * from './outbox-store.js';
export * from './metrics.js';
export * from './dispatcher.js';
export * from './deliver-now.js';
export { sendHttpRequest, sendHttpRequests, classifyResponse } from './channels/http-send.js';
export { messageFacts, renderText, renderHtml, renderShort, renderSpeech, type MessageFacts, type AlertFacts, type MessageOptions } from './templates/message.js';
export { LOCALES, formatTime, formatElapsed, type LocaleStrings } from './templates/locale.js';
