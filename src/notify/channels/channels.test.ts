import { afterEach, describe, expect, it } from 'vitest';
import { buildAlertmanagerPayload } from '../alertmanager-payload.js';
import { parseChannelSpec, type ChannelSpec } from '../channel-kind.js';
import type { SendResult } from '../notifier.js';
import { renderPreview } from '../preview.js';
import { notifierFor } from '../registry.js';
import { startHttpReceiver, type HttpReceiver, type Reply } from '../testdata/http-receiver.js';
import { NOW, notificationOf, shopDownAlert } from '../testdata/fixtures.js';
import { parseMail, startSmtpSink, type SmtpSink } from '../testdata/smtp-sink.js';
import type { AlertNotification } from '../types.js';

/**
 * Every channel type against a real receiver on 127.0.0.1: the request each sends must have the
 * shape its vendor documents (method, path, headers, content type, form vs JSON fields), and the
 * answers must be classified into delivered / retry / final.
 */
const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((r) => r.close()));
});

async function receiver(reply?: (req: import('../testdata/http-receiver.js').ReceivedRequest, i: number) => Reply | Promise<Reply>): Promise<HttpReceiver> {
  const r = await startHttpReceiver(reply);
  open.push(r);
  return r;
}

async function sink(opts?: Parameters<typeof startSmtpSink>[0]): Promise<SmtpSink> {
  const s = await startSmtpSink(opts);
  open.push(s);
  return s;
}

async function deliver(rawSpec: unknown, n: AlertNotification = notificationOf([shopDownAlert()]), completedParts: string[] = []): Promise<SendResult> {
  const spec: ChannelSpec = parseChannelSpec(rawSpec);
  const notifier = notifierFor(spec);
  const message = notifier.render(spec, n, { now: NOW, idempotencyKey: 'ops-webhook:abc123' });
  const timeoutMs = spec.timeout === '10s' ? 5000 : Number(spec.timeout.replace('ms', ''));
  return notifier.send(spec, message, { signal: new AbortController().signal, timeoutMs, completedParts });
}

describe('webhook channel', () => {
  it("POSTs Alertmanager's JSON with its headers to the configured URL", async () => {
    const r = await receiver();
    const n = notificationOf([shopDownAlert()]);
    const result = await deliver({ type: 'webhook', url: `${r.url}/hook?team=ops`, authorization: 'Bearer s3cret', headers: { 'X-Team': 'ops' } }, n);
    expect(result).toMatchObject({ ok: true, status: 200 });
    expect(r.requests).toHaveLength(1);
    const req = r.requests[0]!;
    expect(req.method).toBe('POST');
    expect(req.url).toBe('/hook?team=ops');
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.headers['authorization']).toBe('Bearer s3cret');
    expect(req.headers['x-team']).toBe('ops');
    expect(req.headers['idempotency-key']).toBe('ops-webhook:abc123');
    expect(req.headers['user-agent']).toMatch(/^Kansoku\//);
    expect(JSON.parse(req.body)).toEqual(buildAlertmanagerPayload(n));
  });

  it('retries 5xx, 408 and 429 (honouring Retry-After) but not other 4xx', async () => {
    const statuses: Reply[] = [{ status: 500, body: 'boom' }, { status: 408 }, { status: 429, headers: { 'Retry-After': '7' } }, { status: 404, body: 'no such hook' }, { status: 400 }];
    const r = await receiver((_req, i) => statuses[i]!);
    const spec = { type: 'webhook', url: `${r.url}/hook` };
    const results = [];
    for (let i = 0; i < statuses.length; i++) results.push(await deliver(spec));
    expect(results.map((x) => [x.ok, !x.ok && x.retryable, x.status])).toEqual([
      [false, true, 500],
      [false, true, 408],
      [false, true, 429],
      [false, false, 404],
      [false, false, 400],
    ]);
    expect(results[2]).toMatchObject({ retryAfterMs: 7000 });
    expect(results[0]).toMatchObject({ error: `HTTP 500 from ${r.url}: boom` });
  });

  it('times out a receiver that never answers, as a retryable failure', async () => {
    const r = await receiver(() => 'hang');
    const result = await deliver({ type: 'webhook', url: `${r.url}/hook`, timeout: '200ms' });
    expect(result).toMatchObject({ ok: false, retryable: true });
    expect(!result.ok && result.error).toContain('within 200 ms (timeout)');
  });

  it('retries when nothing listens', async () => {
    const r = await startHttpReceiver();
    await r.close();
    const result = await deliver({ type: 'webhook', url: `${r.url}/hook`, timeout: '1000ms' });
    expect(result).toMatchObject({ ok: false, retryable: true });
    expect(!result.ok && result.error).toContain(`cannot reach ${r.url}`);
  });
});

describe('slack channel', () => {
  it('POSTs JSON with text and blocks to the incoming webhook URL', async () => {
    const r = await receiver(() => ({ status: 200, body: 'ok' }));
    const result = await deliver({ type: 'slack', url: `${r.url}/services/T000/B000/XXXX`, channel: '#ops' });
    expect(result.ok).toBe(true);
    const req = r.requests[0]!;
    expect([req.method, req.url, req.headers['content-type']]).toEqual(['POST', '/services/T000/B000/XXXX', 'application/json; charset=utf-8']);
    const body = JSON.parse(req.body) as { channel: string; text: string; blocks: { type: string; text: { type: string; text: string } }[] };
    expect(body.channel).toBe('#ops');
    expect(body.text).toBe(':rotating_light: 【重要】 ショップのトップページが応答しません - web-1.example.jp (service=shop)');
    expect(body.blocks[0]).toMatchObject({ type: 'header', text: { type: 'plain_text' } });
    expect(body.blocks[1]!.text.type).toBe('mrkdwn');
    expect(body.blocks[1]!.text.text).toContain('<https://runbooks.example.jp/shop-top-down|ショップ停止時の対応>');
    expect(body.blocks[1]!.text.text).toContain('*最初の手順:* nginx の状態を確認する');
  });

  it('treats channel_not_found as final', async () => {
    const r = await receiver(() => ({ status: 404, body: 'channel_not_found' }));
    expect(await deliver({ type: 'slack', url: `${r.url}/services/x` })).toMatchObject({ ok: false, retryable: false, status: 404 });
  });
});

describe('chatwork channel', () => {
  it('POSTs a form field "body" to /v2/rooms/{room_id}/messages with X-ChatWorkToken', async () => {
    const r = await receiver(() => ({ status: 200, body: '{"message_id":"1234"}', headers: { 'Content-Type': 'application/json' } }));
    const result = await deliver({ type: 'chatwork', roomId: '12345', apiToken: 'cw-token-1', apiBase: `${r.url}/v2`, toAll: true });
    expect(result.ok).toBe(true);
    const req = r.requests[0]!;
    expect([req.method, req.url]).toEqual(['POST', '/v2/rooms/12345/messages']);
    expect(req.headers['x-chatworktoken']).toBe('cw-token-1');
    expect(req.headers['content-type']).toBe('application/x-www-form-urlencoded');
    const form = new URLSearchParams(req.body);
    expect([...form.keys()]).toEqual(['body']);
    const message = form.get('body')!;
    expect(message.startsWith('[toall]\n[info][title]【重要】 ショップのトップページが応答しません')).toBe(true);
    expect(message).toContain('最初の手順: nginx の状態を確認する');
    expect(message.endsWith('[/info]')).toBe(true);
  });

  it('waits for the rate-limit reset on 429', async () => {
    const reset = Math.floor(Date.now() / 1000) + 60;
    const r = await receiver(() => ({ status: 429, headers: { 'X-RateLimit-Reset': String(reset) } }));
    const result = await deliver({ type: 'chatwork', roomId: 1, apiToken: 't', apiBase: `${r.url}/v2` });
    expect(result).toMatchObject({ ok: false, retryable: true, status: 429 });
    expect(!result.ok && result.retryAfterMs).toBeGreaterThan(50_000);
  });
});

describe('twilio channel', () => {
  const sid = 'AC0123456789abcdef0123456789abcdef';

  it('creates one Message per number with To, From, Body and Basic auth', async () => {
    const r = await receiver(() => ({ status: 201, body: '{"sid":"SM1"}' }));
    const result = await deliver({ type: 'twilio', accountSid: sid, authToken: 'tw-token', from: '+815000000000', to: ['+819011112222', '+819033334444'], apiBase: `${r.url}/2010-04-01` });
    expect(result).toMatchObject({ ok: true, completedParts: ['+819011112222', '+819033334444'] });
    expect(r.requests).toHaveLength(2);
    for (const [i, req] of r.requests.entries()) {
      expect([req.method, req.url]).toEqual(['POST', `/2010-04-01/Accounts/${sid}/Messages.json`]);
      expect(req.headers['authorization']).toBe(`Basic ${Buffer.from(`${sid}:tw-token`).toString('base64')}`);
      expect(req.headers['content-type']).toBe('application/x-www-form-urlencoded');
      const form = new URLSearchParams(req.body);
      expect([...form.keys()].sort()).toEqual(['Body', 'From', 'To']);
      expect(form.get('To')).toBe(['+819011112222', '+819033334444'][i]);
      expect(form.get('From')).toBe('+815000000000');
      expect(form.get('Body')!.startsWith('【重要】')).toBe(true);
      expect(form.get('Body')).toContain('https://runbooks.example.jp/shop-top-down');
    }
  });

  it('places a Call with inline TwiML that reads the alert in Japanese', async () => {
    const r = await receiver(() => ({ status: 201, body: '{"sid":"CA1"}' }));
    const result = await deliver({ type: 'twilio', mode: 'voice', accountSid: sid, authToken: 'tw-token', from: '+815000000000', to: ['+819011112222'], apiBase: `${r.url}/2010-04-01` });
    expect(result.ok).toBe(true);
    const req = r.requests[0]!;
    expect(req.url).toBe(`/2010-04-01/Accounts/${sid}/Calls.json`);
    const form = new URLSearchParams(req.body);
    expect([...form.keys()].sort()).toEqual(['From', 'To', 'Twiml']);
    expect(form.get('Twiml')).toMatch(/^<Response><Say language="ja-JP" loop="2">観測からの重要なお知らせです。.*<\/Say><\/Response>$/);
  });

  it('does not text a number twice when a retry follows a partial failure', async () => {
    const r = await receiver((req) => (req.body.includes('33334444') && r.requests.filter((x) => x.body.includes('33334444')).length === 1 ? { status: 503 } : { status: 201 }));
    const spec = { type: 'twilio', accountSid: sid, authToken: 'x', from: '+815000000000', to: ['+819011112222', '+819033334444'], apiBase: `${r.url}/2010-04-01` };
    const first = await deliver(spec);
    expect(first).toMatchObject({ ok: false, retryable: true, completedParts: ['+819011112222'] });
    const second = await deliver(spec, undefined, first.completedParts);
    expect(second).toMatchObject({ ok: true, completedParts: ['+819011112222', '+819033334444'] });
    const tos = r.requests.map((q) => new URLSearchParams(q.body).get('To'));
    expect(tos).toEqual(['+819011112222', '+819033334444', '+819033334444']);
  });

  it('treats an invalid number (400) as final', async () => {
    const r = await receiver(() => ({ status: 400, body: '{"code":21211,"message":"Invalid To Phone Number","status":400}' }));
    expect(await deliver({ type: 'twilio', accountSid: sid, authToken: 'x', from: '+815000000000', to: ['+819011112222'], apiBase: `${r.url}/2010-04-01` })).toMatchObject({ ok: false, retryable: false, status: 400 });
  });
});

describe('ticket channel (Znuny GenericInterface)', () => {
  const ws = '/otrs/nph-genericinterface.pl/Webservice/GenericTicketConnectorREST';

  it('POSTs TicketCreate JSON to <webservice>/Ticket', async () => {
    const r = await receiver(() => ({ status: 200, body: '{"TicketID":"42","TicketNumber":"2026030210000016","ArticleID":"99"}', headers: { 'Content-Type': 'application/json' } }));
    const result = await deliver({ type: 'ticket', baseUrl: `${r.url}${ws}`, userLogin: 'kansoku', password: 'zn-pass', queue: 'Ops', customerUser: 'monitoring' });
    expect(result).toMatchObject({ ok: true, status: 200, detail: 'ticket 2026030210000016' });
    const req = r.requests[0]!;
    expect([req.method, req.url, req.headers['content-type']]).toEqual(['POST', `${ws}/Ticket`, 'application/json; charset=utf-8']);
    const body = JSON.parse(req.body);
    expect(Object.keys(body)).toEqual(['UserLogin', 'Password', 'Ticket', 'Article']);
    expect(body.UserLogin).toBe('kansoku');
    expect(body.Password).toBe('zn-pass');
    expect(body.Ticket).toEqual({ Title: '【重要】 ショップのトップページが応答しません - web-1.example.jp (service=shop)', Queue: 'Ops', State: 'new', Priority: '5 very high', CustomerUser: 'monitoring' });
    expect(body.Article).toMatchObject({ CommunicationChannel: 'Internal', SenderType: 'system', IsVisibleForCustomer: 0, Subject: body.Ticket.Title, ContentType: 'text/plain; charset=utf8' });
    expect(body.Article.Body).toContain('最初の手順: nginx の状態を確認する');
  });

  it('reads an error inside a 200 answer as a final failure', async () => {
    const r = await receiver(() => ({ status: 200, body: '{"Error":{"ErrorCode":"TicketCreate.AuthFail","ErrorMessage":"TicketCreate: User could not be authenticated!"}}' }));
    const result = await deliver({ type: 'ticket', baseUrl: `${r.url}${ws}`, userLogin: 'kansoku', password: 'wrong', queue: 'Ops', customerUser: 'monitoring' });
    expect(result).toMatchObject({ ok: false, retryable: false, error: 'TicketCreate failed: TicketCreate.AuthFail: TicketCreate: User could not be authenticated!' });
  });
});

describe('email channel (real SMTP server)', () => {
  const base = (port: number) => ({ type: 'email', host: '127.0.0.1', port, starttls: 'disabled', user: 'kansoku', password: 'mail-pass', from: 'Kansoku <kansoku@example.jp>', to: ['oncall@example.jp', 'lead@example.jp'] });

  it('delivers a critical Japanese alert: 【重要】 subject, text and HTML parts, runbook link', async () => {
    const s = await sink({ users: { kansoku: 'mail-pass' } });
    const result = await deliver(base(s.port));
    expect(result.ok).toBe(true);
    expect(s.mails).toHaveLength(1);
    const mail = s.mails[0]!;
    expect(mail.mailFrom).toBe('kansoku@example.jp');
    expect(mail.rcptTo).toEqual(['oncall@example.jp', 'lead@example.jp']);
    const parsed = parseMail(mail.raw);
    expect(parsed.subject).toBe('【重要】 ショップのトップページが応答しません - web-1.example.jp (service=shop)');
    expect(parsed.headers['content-type']).toMatch(/^multipart\/alternative/);
    expect(parsed.headers['auto-submitted']).toBe('auto-generated');
    expect(parsed.headers['message-id']).toMatch(/^<[0-9a-f]{32}@mail\.kansoku>$/);
    expect(parsed.text).toContain('手順書: ショップ停止時の対応 https://runbooks.example.jp/shop-top-down');
    expect(parsed.text).toContain('最初の手順: nginx の状態を確認する: systemctl status nginx');
    expect(parsed.text).toContain('影響: 顧客が商品を購入できません');
    expect(parsed.html).toContain('<a href="https://runbooks.example.jp/shop-top-down">');
    expect(parsed.html).toContain('【重要】');
  });

  it('sends text only when html is off, in English on request', async () => {
    const s = await sink({ users: { kansoku: 'mail-pass' } });
    const n = notificationOf([shopDownAlert({ status: 'resolved', endsAt: '2026-03-02T00:10:00Z', annotations: { summary: 'Shop top page is down' } })]);
    expect((await deliver({ ...base(s.port), html: false, locale: 'en' }, n)).ok).toBe(true);
    const parsed = parseMail(s.mails[0]!.raw);
    expect(parsed.subject.startsWith('[RESOLVED] Shop top page is down')).toBe(true);
    expect(parsed.headers['content-type']).toMatch(/^text\/plain/);
    expect(parsed.html).toBeUndefined();
  });

  it('fails for good on a refused login or a refused recipient, and retries when the server is down', async () => {
    const s = await sink({ users: { kansoku: 'other' }, rejectRcpt: (a) => (a.startsWith('lead') ? 550 : undefined) });
    const badLogin = await deliver(base(s.port));
    expect(badLogin).toMatchObject({ ok: false, retryable: false });
    expect(!badLogin.ok && badLogin.error).toContain('refused the login (535)');
    const s2 = await sink({ rejectRcpt: () => 550 });
    const refused = await deliver({ ...base(s2.port), user: undefined, password: undefined });
    expect(refused).toMatchObject({ ok: false, retryable: false });
    await s2.close();
    const down = await deliver({ ...base(s2.port), user: undefined, password: undefined, timeout: '2000ms' });
    expect(down).toMatchObject({ ok: false, retryable: true });
  });

  it('opens tickets by mail with X-OTRS-Queue and X-OTRS-Priority', async () => {
    const s = await sink();
    const result = await deliver({ type: 'ticket', mode: 'mail', host: '127.0.0.1', port: s.port, starttls: 'disabled', from: 'kansoku@example.jp', to: 'support@znuny.example.jp', queue: 'Ops', locale: 'en' });
    expect(result.ok).toBe(true);
    const parsed = parseMail(s.mails[0]!.raw);
    expect(s.mails[0]!.rcptTo).toEqual(['support@znuny.example.jp']);
    expect(parsed.headers['x-otrs-queue']).toBe('Ops');
    expect(parsed.headers['x-otrs-priority']).toBe('5 very high');
    expect(parsed.subject.startsWith('[CRITICAL]')).toBe(true);
  });
});

describe('renderPreview', () => {
  it('renders the exact request a send puts on the wire, without the secrets', async () => {
    const r = await receiver(() => ({ status: 200, body: '{"message_id":"1"}' }));
    const spec = { type: 'chatwork', roomId: '12345', apiToken: 'cw-secret-token', apiBase: `${r.url}/v2` };
    const n = notificationOf([shopDownAlert()]);
    const preview = renderPreview({ name: 'ops-chatwork', spec }, n, { now: NOW });
    await deliver(spec, n);
    expect(preview.request).toEqual({ method: 'POST', url: `${r.url}/v2/rooms/12345/messages`, headers: { 'X-ChatWorkToken': '[redacted]', 'Content-Type': 'application/x-www-form-urlencoded' }, body: r.requests[0]!.body });
    expect(r.requests).toHaveLength(1);
  });

  it('redacts passwords in bodies, Basic auth, and secret webhook URLs', () => {
    const n = notificationOf([shopDownAlert()]);
    const ticket = renderPreview({ name: 't', spec: { type: 'ticket', baseUrl: 'https://znuny.example.jp/ws', userLogin: 'k', password: 'p@ss w"rd', queue: 'Ops', customerUser: 'c' } }, n, { now: NOW });
    expect(JSON.parse(ticket.request!.body).Password).toBe('[redacted]');
    expect(ticket.request!.body).not.toContain('p@ss');
    const twilio = renderPreview({ name: 'tw', spec: { type: 'twilio', accountSid: 'AC0123456789abcdef0123456789abcdef', authToken: 'tw-secret', from: '+815000000000', to: ['+819011112222'] } }, n, { now: NOW });
    expect(twilio.request!.headers['Authorization']).toBe('[redacted]');
    expect(twilio.request!.url).toBe('https://api.twilio.com/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/Messages.json');
    const slack = renderPreview({ name: 's', spec: { type: 'slack', url: 'https://hooks.slack.com/services/T1/B2/secretpart' } }, n, { now: NOW });
    expect(slack.request!.url).toBe('https://hooks.slack.com/[redacted]');
    const mail = renderPreview({ name: 'm', spec: { type: 'email', host: 'smtp.example.jp', from: 'k@example.jp', to: ['a@example.jp'], user: 'k', password: 'mailpw' } }, n, { now: NOW });
    expect(mail.subject!.startsWith('【重要】')).toBe(true);
    expect(mail.html).toContain('<a href="https://runbooks.example.jp/shop-top-down">');
    expect(mail.request).toMatchObject({ method: 'SMTP', url: 'smtp://smtp.example.jp:587' });
    expect(JSON.stringify(mail)).not.toContain('mailpw');
  });

  it('says when a channel would send nothing for a resolved notification', () => {
    const n = notificationOf([shopDownAlert({ status: 'resolved', endsAt: '2026-03-02T00:10:00Z' })]);
    const p = renderPreview({ name: 't', spec: { type: 'ticket', baseUrl: 'https://z.example.jp/ws', userLogin: 'k', password: 'p', queue: 'Ops', customerUser: 'c' } }, n, { now: NOW });
    expect(p.skipped).toBe(true);
  });
});

describe('deliverNow', () => {
  it('sends once, reports outcome and latency, and previews without secrets', async () => {
    const { deliverNow } = await import('../deliver-now.js');
    const r = await receiver(() => ({ status: 503 }));
    const out = await deliverNow({ name: 'cw', spec: { type: 'chatwork', roomId: '1', apiToken: 'drill-token', apiBase: `${r.url}/v2` } }, notificationOf([shopDownAlert()]), { now: NOW });
    expect(out.result).toMatchObject({ ok: false, retryable: true, status: 503 });
    expect(out.latencyMs).toBeGreaterThan(0);
    expect(r.requests).toHaveLength(1);
    expect(r.requests[0]!.headers['x-chatworktoken']).toBe('drill-token');
    expect(JSON.stringify(out.preview)).not.toContain('drill-token');
  });
});
