import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { hasExecutable, requirePeer } from '../../test/support/peer.js';
import { buildAlertingConfig } from './alerting-config.js';
import { importAlertmanagerConfig } from './alertmanager-import.js';
import { kansokuName } from './alertmanager-import.js';

const run = promisify(execFile);
const FIXTURE = fileURLToPath(new URL('./testdata/alertmanager-simple.yml', import.meta.url));
const amtool = await requirePeer('amtool (Debian prometheus-alertmanager)', () => hasExecutable('amtool'));

/** Label sets that exercise every branch of the fixture's tree: regex, nested, continue, fallback. */
const LABEL_SETS: Record<string, string>[] = [
  { service: 'database', owner: 'web', severity: 'critical' },
  { service: 'database', owner: 'storage' },
  { service: 'database' },
  { service: 'shop', severity: 'critical' },
  { service: 'cart' },
  { service: 'search', severity: 'warning' },
  { service: 'files' },
  { service: 'files', severity: 'critical' },
  { team: 'net', severity: 'warning' },
  { team: 'infra' },
  { team: 'net', severity: 'info' },
  { team: 'infra', service: 'shop' },
  { service: 'shopping' },
  {},
];

describe.skipIf(!amtool)('Alertmanager import against amtool', () => {
  it('amtool accepts the fixture', async () => {
    const { stdout } = await run('amtool', ['check-config', FIXTURE]);
    expect(stdout).toMatch(/SUCCESS/);
  });

  it('routes every label set to the same receivers as `amtool config routes test`', async () => {
    const res = importAlertmanagerConfig(readFileSync(FIXTURE, 'utf8'));
    expect(res.issues).toEqual([]);
    const { config } = buildAlertingConfig(res.documents.filter((d) => d.kind !== 'Channel'));
    for (const labels of LABEL_SETS) {
      const args = ['config', 'routes', 'test', `--config.file=${FIXTURE}`, ...Object.entries(labels).map(([k, v]) => `${k}=${v}`)];
      const { stdout } = await run('amtool', args);
      const theirs = stdout.trim().split(',').map(kansokuName);
      const ours = config!.routes.match(labels).map((r) => r.receiver);
      expect([labels, ours]).toEqual([labels, theirs]);
    }
  });

  it('refuses a root route with continue, as Alertmanager does', async () => {
    const text = readFileSync(FIXTURE, 'utf8').replace('  repeat_interval: 2h\n', '  repeat_interval: 2h\n  continue: true\n');
    const { mkdtemp, writeFile, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const dir = await mkdtemp(`${tmpdir()}/kansoku-am-`);
    try {
      await writeFile(`${dir}/am.yml`, text);
      const err = await run('amtool', ['check-config', `${dir}/am.yml`]).then(() => undefined, (e: { stdout: string; stderr: string }) => e);
      expect(`${err?.stdout}${err?.stderr}`).toMatch(/cannot have continue in root route/);
      expect(importAlertmanagerConfig(text).issues.map((i) => i.message)).toContain('cannot have continue in root route');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
