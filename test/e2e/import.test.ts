/** `kansoku import` turns Prometheus rule files and Alertmanager configs into documents the server accepts. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, startServerProcess, type ServerProc } from '../support/server-process.js';

const AM_FIXTURE = fileURLToPath(new URL('../../src/alerting/testdata/alertmanager-simple.yml', import.meta.url));

describe('kansoku import', () => {
  let s: ServerProc;
  let env: Record<string, string>;
  const dir = mkdtempSync(path.join(tmpdir(), 'ksk-import-'));
  beforeAll(async () => {
    s = await startServerProcess();
    env = { KANSOKU_URL: s.url, KANSOKU_TOKEN: s.token() };
  });
  afterAll(async () => {
    await s?.stop('SIGKILL');
  });

  it('imports an Alertmanager configuration that then applies, routes and all', () => {
    const out = path.join(dir, 'am.yaml');
    const r = cli(['import', 'alertmanager', '-f', AM_FIXTURE, '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('pagerduty_configs are not supported');
    const applied = cli(['apply', '-f', out, '--set', 'alertmanager'], env);
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout).toMatch(/Applied: 12 created/);
    expect(JSON.parse(cli(['get', 'Route', 'root', '--json'], env).stdout).spec).toMatchObject({ receiver: 'ops-mail' });
  });

  it('imports a Prometheus rule file unchanged, naming what it leaves out', () => {
    const rules = path.join(dir, 'rules.yml');
    writeFileSync(
      rules,
      'groups:\n  - name: shop\n    rules:\n      - alert: ShopDown\n        expr: up{job="shop"} == 0\n        for: 1m\n        labels: {severity: critical}\n        annotations: {summary: "{{ $labels.instance }} is down"}\n      - record: job:up:sum\n        expr: sum by (job) (up)\n',
    );
    const r = cli(['import', 'prometheus-rules', '-f', rules]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('recording rule job:up:sum');
    const applied = cli(['apply', '-f', '-', '--set', 'rules'], env, r.stdout);
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout).toContain('+ create AlertRule/');
  });

  it('refuses a file that is not what it claims, with the reason', () => {
    const bad = path.join(dir, 'bad.yml');
    writeFileSync(bad, 'groups: {not: a list}\n');
    const r = cli(['import', 'prometheus-rules', '-f', bad]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('cannot be imported');
  });
});
