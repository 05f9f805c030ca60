import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { buildAlertingConfig } from './alerting-config.js';
import { importAlertmanagerConfig } from './alertmanager-import.js';
import { buildKindRegistry } from '../server/kinds.js';
import { validateDocuments } from '../inventory/document.js';

const FIXTURE = fileURLToPath(new URL('./testdata/alertmanager-simple.yml', import.meta.url));

describe('Alertmanager configuration import', () => {
  const res = importAlertmanagerConfig(readFileSync(FIXTURE, 'utf8'), 'alertmanager-simple.yml');

  it('produces documents that the server accepts as they are (every kind validates)', () => {
    const registry = buildKindRegistry();
    const docs = validateDocuments(res.documents.map((raw, i) => ({ raw: JSON.parse(JSON.stringify(raw)), source: `import#${i + 1}` })), registry);
    expect(docs).toHaveLength(res.documents.length);
  });

  it('imports the example structure into Kansoku documents without issues', () => {
    expect(res.issues).toEqual([]);
    const kinds = res.documents.map((d) => `${d.kind}/${d.metadata.name}`);
    expect(kinds).toEqual([
      'Channel/ops-mail',
      'Channel/web-mail',
      'Channel/web-pager',
      'Channel/storage-mail',
      'Channel/storage-pager',
      'Channel/db-pager',
      'Channel/infra-hook',
      'Channel/infra-slack',
      'TimeInterval/weekly-backup',
      'Route/root',
      'InhibitRule/inhibit-1',
      'InhibitRule/inhibit-2',
    ]);
    const byName = Object.fromEntries(res.documents.map((d) => [`${d.kind}/${d.metadata.name}`, d.spec]));
    expect(byName['Channel/web-mail']).toEqual({ type: 'email', host: '127.0.0.1', port: 2525, to: ['web-team@kansoku.test'], from: 'alerts@kansoku.test', starttls: 'required', sendResolved: true });
    expect(byName['Channel/infra-hook']).toEqual({ type: 'webhook', url: 'http://127.0.0.1:9099/hook', sendResolved: true });
    expect(byName['Channel/infra-slack']).toEqual({ type: 'slack', url: 'http://127.0.0.1:9098/slack', channel: '#infra' });
    expect(byName['Channel/db-pager']).toEqual({ type: 'none' });
    expect(byName['InhibitRule/inhibit-1']).toEqual({ sourceMatchers: ['severity="critical"'], targetMatchers: ['severity="warning"'], equal: ['alertname', 'cluster', 'service'] });
    expect(byName['TimeInterval/weekly-backup']).toEqual({ intervals: [{ times: [{ startTime: '02:00', endTime: '04:00' }], weekdays: ['sunday'], location: 'Asia/Tokyo' }] });
    expect(byName['Route/root']).toMatchObject({ receiver: 'ops-mail', groupBy: ['alertname', 'cluster', 'service'], groupWait: '20s', groupInterval: '4m', repeatInterval: '2h' });
    expect(res.notes).toEqual(
      expect.arrayContaining([
        'receiver web-pager: pagerduty_configs are not supported by Kansoku channels and were not imported',
        'receiver db-pager: no webhook, email or Slack integration; imported as Channel db-pager of type none (notifications are dropped)',
      ]),
    );
  });

  it('routes like Alertmanager (the same decisions the int test checks against amtool)', () => {
    const { config } = buildAlertingConfig(res.documents.filter((d) => d.kind !== 'Channel'));
    const receivers = (l: Record<string, string>): string => config!.routes.match(l).map((r) => r.receiver).join(',');
    expect(receivers({ service: 'database', owner: 'web', severity: 'critical' })).toBe('web-pager');
    expect(receivers({ service: 'shop', severity: 'critical' })).toBe('web-pager');
    expect(receivers({ service: 'shop' })).toBe('web-mail');
    expect(receivers({ team: 'net', severity: 'warning' })).toBe('infra-hook,infra-slack');
    expect(receivers({ team: 'net', severity: 'info' })).toBe('infra-slack');
    expect(receivers({ foo: 'bar' })).toBe('ops-mail');
    const [db] = config!.routes.match({ service: 'database', owner: 'storage' });
    expect(db).toMatchObject({ receiver: 'storage-pager', groupBy: ['alertname', 'cluster', 'database'], groupWaitMs: 20_000, muteTimeIntervals: ['weekly-backup'] });
  });

  it('refuses what Alertmanager refuses, with its messages', () => {
    const bad = importAlertmanagerConfig('route:\n  receiver: a\n  continue: true\n  routes:\n    - receiver: nope\nreceivers:\n  - name: a\n  - name: a\n');
    expect(bad.issues.map((i) => `${i.path}: ${i.message}`)).toEqual([
      'receivers.1.name: notification config name "a" is not unique',
      'route.continue: cannot have continue in root route',
      'route.routes.0.receiver: undefined receiver "nope" used in route',
    ]);
  });
});
