import { describe, expect, it } from 'vitest';
import { redactSpec } from '../inventory/redact.js';
import { channelKind, channelSpecSchema } from './channel-kind.js';

describe('kind: Channel', () => {
  it('accepts the issue example and fills defaults', () => {
    const spec = channelSpecSchema.parse({ type: 'webhook', url: 'http://127.0.0.1:9999/hook' });
    expect(spec).toEqual({ type: 'webhook', url: 'http://127.0.0.1:9999/hook', headers: {}, maxAlerts: 0, sendResolved: true, timeout: '10s' });
    const mail = channelSpecSchema.parse({ type: 'email', host: 'smtp.example.jp', from: 'k@example.jp', to: ['a@example.jp'] });
    expect(mail).toMatchObject({ port: 587, secure: false, starttls: 'opportunistic', html: true, locale: 'ja', timeZone: 'Asia/Tokyo' });
    expect(channelSpecSchema.parse({ type: 'ticket', baseUrl: 'https://z.example.jp/ws', userLogin: 'k', password: 'p', queue: 'Ops', customerUser: 'c' })).toMatchObject({ mode: 'rest', state: 'new', sendResolved: false });
    expect(channelSpecSchema.parse({ type: 'ticket', mode: 'mail', host: 'h', from: 'k@example.jp', to: 't@example.jp', queue: 'Ops' })).toMatchObject({ mode: 'mail', port: 587 });
  });

  it('refuses typos, unknown types and malformed fields with the field named', () => {
    const issues = (spec: unknown) => {
      const r = channelSpecSchema.safeParse(spec);
      return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    };
    expect(issues({ type: 'webhook', url: 'http://x/hook', timout: '5s' })).toContain('timout');
    expect(issues({ type: 'pager', url: 'http://x' })).not.toEqual([]);
    expect(issues({ type: 'twilio', accountSid: 'nope', authToken: 't', from: '+1', to: ['090'] })).toContain('accountSid: an Account SID starts with AC');
    expect(issues({ type: 'twilio', accountSid: 'AC0123456789abcdef0123456789abcdef', authToken: 't', from: '+1', to: ['090'] })).toContain('phone numbers are E.164');
    expect(issues({ type: 'chatwork', roomId: 'rid123', apiToken: 't' })).toContain('roomId');
    expect(issues({ type: 'email', host: 'h', from: 'f', to: [] })).toContain('at least one recipient');
    expect(issues({ type: 'slack', url: 'https://hooks.slack.com/x', timeZone: 'Mars/Base' })).toContain('IANA time zone');
    expect(channelKind.validate!(channelSpecSchema.parse({ type: 'email', host: 'h', from: 'f', to: ['t'], password: 'p' }))).toEqual([{ path: 'spec.user', message: 'a password needs a user name for SMTP AUTH' }]);
  });

  it('redacts every secret in the API and audit view', () => {
    const r = (spec: unknown) => redactSpec(channelKind as never, channelSpecSchema.parse(spec));
    expect(r({ type: 'webhook', url: 'http://x/hook/token', authorization: 'Bearer t', headers: { 'X-Api-Key': 'k' } })).toMatchObject({ url: '[redacted]', authorization: '[redacted]', headers: '[redacted]' });
    expect(r({ type: 'slack', url: 'https://hooks.slack.com/services/a/b/c' })).toMatchObject({ url: '[redacted]' });
    expect(r({ type: 'chatwork', roomId: 1, apiToken: 'cw' })).toMatchObject({ apiToken: '[redacted]', roomId: '1' });
    expect(r({ type: 'twilio', accountSid: 'AC0123456789abcdef0123456789abcdef', authToken: 'tw', from: '+1', to: ['+8190'] })).toMatchObject({ authToken: '[redacted]', accountSid: 'AC0123456789abcdef0123456789abcdef' });
    expect(r({ type: 'email', host: 'h', from: 'f', to: ['t'], user: 'u', password: 'pw' })).toMatchObject({ password: '[redacted]', user: 'u' });
    expect(r({ type: 'ticket', baseUrl: 'https://z/ws', userLogin: 'k', password: 'p', queue: 'Ops', customerUser: 'c' })).toMatchObject({ password: '[redacted]', baseUrl: 'https://z/ws' });
  });
});
