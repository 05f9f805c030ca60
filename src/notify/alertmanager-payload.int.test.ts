import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasExecutable, requirePeer, tcpReachable } from '../../test/support/peer.js';
import { buildAlertmanagerPayload, encodeAlertmanagerPayload } from './alertmanager-payload.js';
import { startHttpReceiver, type HttpReceiver } from './testdata/http-receiver.js';
import type { AlertNotification } from './types.js';

/**
 * The webhook body compared with the one a real Alertmanager sends for the same alert: same
 * fields, same order, same values (groupKey and timestamps come from Alertmanager itself).
 */
const BIN = 'prometheus-alertmanager';
const available = await requirePeer('Alertmanager (prometheus-alertmanager)', () => hasExecutable(BIN));

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

describe.skipIf(!available)('webhook payload vs a real Alertmanager', () => {
  let am: ChildProcess | undefined;
  let hook: HttpReceiver;
  let port: number;
  let amLog = '';

  beforeAll(async () => {
    hook = await startHttpReceiver(() => ({ status: 200 }));
    port = await freePort();
    const dir = mkdtempSync(path.join(tmpdir(), 'ksk-am-'));
    writeFileSync(
      path.join(dir, 'alertmanager.yml'),
      [
        'route:',
        '  receiver: ops-webhook',
        '  group_by: [alertname, service]',
        '  group_wait: 0s',
        '  group_interval: 1s',
        '  repeat_interval: 1h',
        'receivers:',
        '  - name: ops-webhook',
        '    webhook_configs:',
        `      - url: ${hook.url}/am`,
        '        send_resolved: true',
        '',
      ].join('\n'),
    );
    am = spawn(BIN, [`--config.file=${path.join(dir, 'alertmanager.yml')}`, `--storage.path=${dir}`, `--web.listen-address=127.0.0.1:${port}`, '--cluster.listen-address=', `--web.external-url=http://kansoku.example.jp`], { stdio: ['ignore', 'pipe', 'pipe'] });
    am.stderr?.on('data', (c: Buffer) => (amLog += c.toString()));
    for (let i = 0; i < 100; i++) {
      if ((await tcpReachable('127.0.0.1', port, 200)) === true) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`alertmanager did not start: ${amLog}`);
  });

  afterAll(async () => {
    am?.kill('SIGTERM');
    await hook?.close();
  });

  it('matches field for field, for firing and resolved', async () => {
    const startsAt = new Date(Date.now() - 60_000).toISOString().replace(/\.\d+Z$/, 'Z');
    const labels = { alertname: 'ShopTopDown', service: 'shop', instance: 'web-1', severity: 'critical' };
    const annotations = { summary: 'shop <top> & cart down', runbook_url: 'https://runbooks.example.jp/shop?a=1&b=2', impact: '購入不可' };
    const generatorURL = 'http://kansoku.example.jp/checks/shop-top?x=1&y=2';
    const post = (body: unknown) => fetch(`http://127.0.0.1:${port}/api/v2/alerts`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    expect((await post([{ labels, annotations, startsAt, generatorURL }])).status).toBe(200);
    for (let i = 0; i < 100 && hook.requests.length < 1; i++) await new Promise((r) => setTimeout(r, 100));
    expect(hook.requests.length).toBeGreaterThanOrEqual(1);
    const amBody = JSON.parse(hook.requests[0]!.body) as { groupKey: string; alerts: { fingerprint: string; startsAt: string; endsAt: string }[] };
    const fromAm = amBody.alerts[0]!;

    const n: AlertNotification = {
      receiver: 'ops-webhook',
      groupKey: amBody.groupKey,
      groupLabels: { alertname: 'ShopTopDown', service: 'shop' },
      alerts: [{ status: 'firing', labels, annotations, severity: 'critical', startsAt: fromAm.startsAt, fingerprint: fromAm.fingerprint, generatorURL }],
      externalURL: 'http://kansoku.example.jp',
    };
    const ours = buildAlertmanagerPayload(n);
    // Alertmanager sends the endsAt it keeps internally (now + resolve_timeout) for an alert that
    // came without one; Kansoku sends Go's zero time. Everything else must be identical.
    expect({ ...amBody, alerts: amBody.alerts.map((a) => ({ ...a, endsAt: 'x' })) }).toEqual({ ...ours, alerts: ours.alerts.map((a) => ({ ...a, endsAt: 'x' })) });
    expect(Object.keys(amBody)).toEqual(Object.keys(ours));
    expect(Object.keys(fromAm)).toEqual(Object.keys(ours.alerts[0]!));
    expect(hook.requests[0]!.headers['content-type']).toBe('application/json');

    const endsAt = new Date(Date.now() - 1000).toISOString().replace(/\.\d+Z$/, 'Z');
    expect((await post([{ labels, annotations, startsAt, endsAt, generatorURL }])).status).toBe(200);
    for (let i = 0; i < 100 && hook.requests.length < 2; i++) await new Promise((r) => setTimeout(r, 100));
    const resolvedBody = hook.requests[hook.requests.length - 1]!.body;
    const amResolved = JSON.parse(resolvedBody) as { alerts: { endsAt: string }[] };
    const oursResolved = buildAlertmanagerPayload({ ...n, alerts: [{ ...n.alerts[0]!, status: 'resolved', endsAt: amResolved.alerts[0]!.endsAt }] });
    expect(JSON.parse(resolvedBody)).toEqual(oursResolved);
    // Byte for byte, too: Go's encoder escapes <, > and & and ends with a newline.
    expect(encodeAlertmanagerPayload(oursResolved)).toBe(resolvedBody);
  });
});
