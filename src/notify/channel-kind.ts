import { z } from 'zod';
import { durationSchema, parseDurationMs } from '../core/duration.js';
import type { KindDefinition } from '../inventory/kinds.js';
import type { FieldIssue } from '../lib/errors.js';

/**
 * `kind: Channel`: where a notification goes and how it is written. One object per
 * destination; `type` picks the protocol. Secrets (passwords, tokens, webhook URLs that embed a
 * token) are listed in `secretPaths` so the API and the audit trail never show them.
 *
 * Each SaaS type takes an `apiBase` override so tests (and on-premise proxies) can point it at
 * another host; the request shape stays the one the vendor documents.
 */

const LOCALES = ['ja', 'en'] as const;
export type Locale = (typeof LOCALES)[number];

const httpUrl = z.string().url().refine((u) => /^https?:\/\//.test(u), { message: 'expected an http:// or https:// URL' });

/** Fields every human-readable channel shares. */
const presentation = {
  locale: z.enum(LOCALES).default('ja').describe('language of the message: ja or en'),
  timeZone: z
    .string()
    .default('Asia/Tokyo')
    .refine(isTimeZone, { message: 'expected an IANA time zone such as "Asia/Tokyo" or "UTC"' })
    .describe('time zone for "since when" in the message'),
  sendResolved: z.boolean().default(true).describe('also notify when the alerts resolve'),
  timeout: durationSchema.default('10s').describe('give up one attempt after this long; it is retried'),
};

export const webhookChannelSchema = z
  .object({
    type: z.literal('webhook'),
    url: httpUrl.describe("receiver URL; gets Alertmanager's webhook JSON (version 4)"),
    authorization: z.string().optional().describe('Authorization header value, e.g. "Bearer …" (secret)'),
    headers: z.record(z.string(), z.string()).default({}).describe('extra request headers (redacted as a whole in the API: they often carry tokens)'),
    maxAlerts: z.number().int().min(0).default(0).describe('send at most this many alerts per message, 0 = all (truncatedAlerts counts the rest)'),
    sendResolved: z.boolean().default(true).describe('also notify when the alerts resolve'),
    timeout: durationSchema.default('10s').describe('give up one attempt after this long; it is retried'),
  })
  .strict();

export const emailChannelSchema = z
  .object({
    type: z.literal('email'),
    host: z.string().min(1).describe('SMTP server host name'),
    port: z.number().int().min(1).max(65535).default(587).describe('SMTP port (25, 465 with secure, 587 with STARTTLS)'),
    secure: z.boolean().default(false).describe('TLS from the first byte (SMTPS, usually port 465)'),
    starttls: z.enum(['required', 'opportunistic', 'disabled']).default('opportunistic').describe('upgrade a plain connection with STARTTLS'),
    tlsInsecureSkipVerify: z.boolean().default(false).describe('accept any server certificate (testing only)'),
    user: z.string().optional().describe('SMTP AUTH user name'),
    password: z.string().optional().describe('SMTP AUTH password (secret)'),
    from: z.string().min(1).describe('From address, e.g. "Kansoku <kansoku@example.com>"'),
    to: z.array(z.string().min(1)).min(1, 'an e-mail channel needs at least one recipient').describe('recipient addresses'),
    html: z.boolean().default(true).describe('add an HTML part beside the text part'),
    ...presentation,
  })
  .strict();

export const slackChannelSchema = z
  .object({
    type: z.literal('slack'),
    url: httpUrl.describe('incoming webhook URL, https://hooks.slack.com/services/… (secret: it is the credential)'),
    channel: z.string().optional().describe('channel override, honoured by legacy webhooks only'),
    ...presentation,
  })
  .strict();

export const chatworkChannelSchema = z
  .object({
    type: z.literal('chatwork'),
    roomId: z.union([z.string().regex(/^\d+$/, 'a room id is the number after "rid" in the room URL'), z.number().int().positive()]).transform(String).describe('room id (the number after #!rid in the room URL)'),
    apiToken: z.string().min(1).describe('API token (secret), sent as X-ChatWorkToken'),
    apiBase: httpUrl.default('https://api.chatwork.com/v2').describe('API base URL'),
    toAll: z.boolean().default(false).describe('mention everyone ([toall]) for critical alerts'),
    ...presentation,
  })
  .strict();

export const twilioChannelSchema = z
  .object({
    type: z.literal('twilio'),
    accountSid: z.string().regex(/^AC[0-9a-fA-F]{32}$/, 'an Account SID starts with AC followed by 32 hex digits').describe('Account SID'),
    authToken: z.string().min(1).describe('Auth Token (secret)'),
    from: z.string().min(1).describe('Twilio number (E.164) or alphanumeric sender'),
    to: z.array(z.string().regex(/^\+[1-9]\d{1,14}$/, 'phone numbers are E.164, e.g. +819012345678')).min(1).describe('numbers to text or call (E.164)'),
    mode: z.enum(['sms', 'voice']).default('sms').describe('sms sends a text message, voice places a call that reads the alert'),
    apiBase: httpUrl.default('https://api.twilio.com/2010-04-01').describe('API base URL'),
    ...presentation,
  })
  .strict();

const ticketFields = {
  queue: z.string().min(1).describe('queue the ticket is created in'),
  priorities: z
    .object({ critical: z.string(), error: z.string(), warning: z.string(), info: z.string() })
    .strict()
    .default({ critical: '5 very high', error: '4 high', warning: '3 normal', info: '2 low' })
    .describe('ticket priority name per severity'),
};

export const ticketRestChannelSchema = z
  .object({
    type: z.literal('ticket'),
    mode: z.literal('rest').default('rest').describe('rest: GenericInterface TicketCreate; mail: mail-to-ticket'),
    baseUrl: httpUrl.describe('web service URL, e.g. https://znuny.example.com/otrs/nph-genericinterface.pl/Webservice/GenericTicketConnectorREST'),
    userLogin: z.string().min(1).describe('agent login (UserLogin)'),
    password: z.string().min(1).describe('agent password (secret)'),
    state: z.string().default('new').describe('initial ticket state'),
    customerUser: z.string().min(1).describe('CustomerUser of the ticket'),
    communicationChannel: z.string().default('Internal').describe('article communication channel'),
    ...ticketFields,
    ...presentation,
    sendResolved: z.boolean().default(false).describe('also open a ticket when the alerts resolve'),
  })
  .strict();

export const ticketMailChannelSchema = z
  .object({
    type: z.literal('ticket'),
    mode: z.literal('mail'),
    host: emailChannelSchema.shape.host,
    port: emailChannelSchema.shape.port,
    secure: emailChannelSchema.shape.secure,
    starttls: emailChannelSchema.shape.starttls,
    tlsInsecureSkipVerify: emailChannelSchema.shape.tlsInsecureSkipVerify,
    user: emailChannelSchema.shape.user,
    password: emailChannelSchema.shape.password,
    from: emailChannelSchema.shape.from,
    to: z.string().min(1).describe("the ticket system's incoming mail address"),
    ...ticketFields,
    ...presentation,
    sendResolved: z.boolean().default(false).describe('also open a ticket when the alerts resolve'),
  })
  .strict();

// `ticket` has two shapes told apart by `mode`; zod's discriminated union needs one key, so
// the ticket variants are a nested union (mode defaults to rest).
export const ticketChannelSchema = z.union([ticketMailChannelSchema, ticketRestChannelSchema]);

/**
 * A receiver that sends nothing, as an Alertmanager receiver without integrations: routes can end
 * in it on purpose (a "blackhole" for alerts someone decided not to be told about).
 */
export const noneChannelSchema = z
  .object({
    type: z.literal('none'),
    ...presentation,
  })
  .strict();

export const channelSpecSchema = z.union([
  z.discriminatedUnion('type', [webhookChannelSchema, emailChannelSchema, slackChannelSchema, chatworkChannelSchema, twilioChannelSchema, noneChannelSchema]),
  ticketChannelSchema,
]);

export type WebhookChannelSpec = z.infer<typeof webhookChannelSchema>;
export type EmailChannelSpec = z.infer<typeof emailChannelSchema>;
export type SlackChannelSpec = z.infer<typeof slackChannelSchema>;
export type ChatworkChannelSpec = z.infer<typeof chatworkChannelSchema>;
export type TwilioChannelSpec = z.infer<typeof twilioChannelSchema>;
export type NoneChannelSpec = z.infer<typeof noneChannelSchema>;
export type TicketRestChannelSpec = z.infer<typeof ticketRestChannelSchema>;
export type TicketMailChannelSpec = z.infer<typeof ticketMailChannelSchema>;
export type TicketChannelSpec = TicketRestChannelSpec | TicketMailChannelSpec;
export type ChannelSpec = z.infer<typeof channelSpecSchema>;
export type ChannelType = ChannelSpec['type'];
export const CHANNEL_TYPES: readonly ChannelType[] = ['webhook', 'email', 'slack', 'chatwork', 'twilio', 'ticket', 'none'];

/**
 * Every path that may hold a secret, across all types (absent paths are skipped). `headers` is
 * redacted whole: inventory/redact.ts's `*` matches intermediate objects only, not leaf values.
 */
export const CHANNEL_SECRET_PATHS = ['url', 'authorization', 'headers', 'password', 'apiToken', 'authToken'] as const;

export const channelKind: KindDefinition<ChannelSpec> = {
  kind: 'Channel',
  description: 'Where notifications go: e-mail, webhook, Slack, Chatwork, Twilio or a ticket system',
  specSchema: channelSpecSchema,
  secretPaths: CHANNEL_SECRET_PATHS,
  validate(spec) {
    const issues: FieldIssue[] = [];
    const timeout = parseDurationMs(spec.timeout) ?? 0;
    if (timeout <= 0 || timeout > 300_000) issues.push({ path: 'spec.timeout', message: 'timeout must be between 1ms and 5m' });
    if ((spec.type === 'email' || (spec.type === 'ticket' && spec.mode === 'mail')) && spec.password !== undefined && spec.user === undefined) {
      issues.push({ path: 'spec.user', message: 'a password needs a user name for SMTP AUTH' });
    }
    if ((spec.type === 'email' || (spec.type === 'ticket' && spec.mode === 'mail')) && spec.secure && spec.starttls === 'required') {
      issues.push({ path: 'spec.starttls', message: 'secure (SMTPS) is already encrypted; use starttls: required only on a plain port' });
    }
    return issues;
  },
};

/** Parses a spec; throws zod's error with every issue. */
export function parseChannelSpec(spec: unknown): ChannelSpec {
  return channelSpecSchema.parse(spec);
}

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}
