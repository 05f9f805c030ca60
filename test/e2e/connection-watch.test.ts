/**
 * `watch: connection` as a user meets it: a real `kansoku server` holds an idle connection to a
 * real nginx for a check whose interval is an hour. Stopping nginx closes that connection; the
 * server runs the check at once, long before its next scheduled run, and the check turns
 * CRITICAL with the probe's own message. Starting nginx again re-arms the watch.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNginx, NGINX_BIN, type NginxInstance } from '../../src/sources/checks/http/test-support/nginx.js';
import { hasExecutable, requirePeer } from '../support/peer.js';
import { cli, freePort, startServerProcess, type ServerProc } from '../support/server-process.js';

const hasNginx = await requirePeer('nginx (Debian package)', () => hasExecutable(NGINX_BIN));

interface CheckView {
  state: string;
  stateType: 'soft' | 'hard';
  /** ISO 8601. */
  nextRun: string | null;
  lastRun: { status: string; message: string; startedAt: string; trigger?: string } | null;
}

const ms = (iso: string | null | undefined) => (iso ? Date.parse(iso) : NaN);

describe.skipIf(!hasNginx)('watch: connection — a dead target is probed at once, not at the next interval', () => {
  let s: ServerProc;
  let env: Record<string, string>;
  let nginx: NginxInstance | undefined;
  let port: number;
  const dir = mkdtempSync(path.join(tmpdir(), 'ksk-e2e-watch-'));
  const startShop = async () => {
    nginx = await startNginx(path.join(dir, 'nginx'), `server { listen 127.0.0.1:${port}; location / { return 200 "Add to cart\\n"; } }`, [port]);
  };
  const view = async (): Promise<CheckView> => {
    const r = await fetch(`${s.url}/api/v1/checks/shop-watched`, { headers: { authorization: `Bearer ${env.KANSOKU_TOKEN}` } });
    expect(r.status).toBe(200);
    return (await r.json()) as CheckView;
  };
  const waitFor = async (pred: (v: CheckView) => boolean, what: string): Promise<CheckView> => {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const v = await view();
      if (pred(v)) return v;
      if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}; last view ${JSON.stringify(v)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  beforeAll(async () => {
    port = await freePort();
    await startShop();
    s = await startServerProcess();
    env = { KANSOKU_URL: s.url, KANSOKU_TOKEN: s.token() };
  });
  afterAll(async () => {
    await s?.stop('SIGKILL');
    await nginx?.stop();
  });

  it('runs the check as soon as the watched connection is lost and turns CRITICAL before the scheduled run', async () => {
    writeFileSync(
      path.join(dir, 'check.yaml'),
      `apiVersion: kansoku/v1
kind: Check
metadata: {name: shop-watched}
spec: {type: http, url: "http://127.0.0.1:${port}/", interval: 1h, timeout: 2s, attempts: 1, watch: connection, expect: {status: [200]}}
`,
    );
    const applied = cli(['apply', '-f', path.join(dir, 'check.yaml')], env);
    expect(applied.code, applied.stderr).toBe(0);
    // The first scheduled run lies somewhere in the hour (its phase); ask for one now so there is an OK to leave.
    const r = await fetch(`${s.url}/api/v1/checks/shop-watched/run`, { method: 'POST', headers: { authorization: `Bearer ${env.KANSOKU_TOKEN}` } });
    expect(r.status, await r.text()).toBeLessThan(300);
    const ok = await waitFor((v) => v.state === 'ok', 'the check to be OK');
    expect(ok.nextRun).not.toBeNull();
    // Let the watcher establish its connection: a lost target is only reported once it was seen alive.
    await new Promise((r) => setTimeout(r, 500));

    const stoppedAt = Date.now();
    await nginx!.stop();
    nginx = undefined;
    const bad = await waitFor((v) => v.state === 'critical' && v.stateType === 'hard', 'the check to turn CRITICAL');
    expect(bad.lastRun!.trigger).toBe('watch');
    expect(ms(bad.lastRun!.startedAt)).toBeGreaterThanOrEqual(stoppedAt);
    // The run that found the fault was not the scheduled one.
    expect(ms(bad.lastRun!.startedAt)).toBeLessThan(ms(ok.nextRun));
    expect(bad.lastRun!.message).toMatch(/refused|ECONNREFUSED/i);
  });

  it('re-arms when the target is back: the next fault is caught early too', async () => {
    await startShop();
    const r = await fetch(`${s.url}/api/v1/checks/shop-watched/run`, { method: 'POST', headers: { authorization: `Bearer ${env.KANSOKU_TOKEN}` } });
    expect(r.status, await r.text()).toBeLessThan(300);
    const ok = await waitFor((v) => v.state === 'ok', 'the check to recover');
    // The watcher retries with back-off while the target is down; give it time to reconnect.
    await new Promise((res) => setTimeout(res, 2500));
    const stoppedAt = Date.now();
    await nginx!.stop();
    nginx = undefined;
    const bad = await waitFor((v) => v.state === 'critical' && ms(v.lastRun?.startedAt) >= stoppedAt, 'the second early run');
    expect(bad.lastRun!.trigger).toBe('watch');
    expect(ms(bad.lastRun!.startedAt)).toBeLessThan(ms(ok.nextRun));
  });
});
