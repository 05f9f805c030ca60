import { describe, expect, it } from 'vitest';
import { fingerprintLabels } from '../rules/index.js';
import { CheckAlerts, checkAlertLabels, type CheckView } from './check-alerts.js';

const view = (over: Partial<CheckView> = {}): CheckView => ({
  name: 'shop-top',
  type: 'http',
  labels: { service: 'shop', 'app.kubernetes.io/name': 'x', severity: 'info' },
  severity: 'critical',
  disabled: false,
  target: '10.0.0.5',
  status: 'critical',
  hard: true,
  since: 1000,
  hardSince: 3000,
  message: 'connection refused',
  attempts: 3,
  ...over,
});

describe('default check alerts', () => {
  it('labels: alertname, check, the check severity (not a check label of that name), valid check labels, host', () => {
    expect(checkAlertLabels(view())).toEqual({ alertname: 'CheckFailed', check: 'shop-top', check_type: 'http', severity: 'critical', service: 'shop', host: '10.0.0.5' });
  });

  it('fires on hard CRITICAL only, with summary, runbook and start at the hard transition; resolves once', () => {
    const c = new CheckAlerts({ runbookOf: () => 'https://wiki.test/shop', externalURL: 'http://k.test/' });
    expect(c.update('shop-top', view({ hard: false }), 5000)).toEqual([]);
    expect(c.update('shop-top', view({ status: 'warning' }), 5000)).toEqual([]);
    const [a] = c.update('shop-top', view(), 5000);
    expect(a).toMatchObject({
      fingerprint: fingerprintLabels(checkAlertLabels(view())),
      startsAt: 3000,
      annotations: { summary: 'shop-top: connection refused', runbook_url: 'https://wiki.test/shop' },
      generatorURL: 'http://k.test/api/v1/checks/shop-top',
    });
    expect(a!.endsAt).toBeUndefined();
    // Still failing: the same alert again (routing deduplicates), same start.
    expect(c.update('shop-top', view({ message: 'timeout' }), 9000)).toMatchObject([{ fingerprint: a!.fingerprint, startsAt: 3000 }]);
    expect(c.update('shop-top', view({ status: 'ok', hard: true }), 12_000)).toMatchObject([{ fingerprint: a!.fingerprint, endsAt: 12_000 }]);
    expect(c.update('shop-top', view({ status: 'ok', hard: true }), 13_000)).toEqual([]);
  });

  it('a runbook name becomes the runbook annotation; disabled and deleted checks resolve', () => {
    const c = new CheckAlerts({ runbookOf: () => 'shop-failover' });
    expect(c.update('shop-top', view(), 1)[0]!.annotations.runbook).toBe('shop-failover');
    expect(c.update('shop-top', view({ disabled: true }), 2)).toMatchObject([{ endsAt: 2 }]);
    c.update('shop-top', view(), 3);
    expect(c.sync([], 4)).toMatchObject([{ labels: { check: 'shop-top' }, endsAt: 4 }]);
    expect(c.firingChecks()).toEqual([]);
  });

  it('a label change resolves the old alert and fires the new one', () => {
    const c = new CheckAlerts();
    const [old] = c.update('shop-top', view(), 1);
    const out = c.update('shop-top', view({ labels: { service: 'cart' } }), 2);
    expect(out.map((a) => [a.labels.service, a.endsAt])).toEqual([
      ['shop', 2],
      ['cart', undefined],
    ]);
    expect(out[0]!.fingerprint).toBe(old!.fingerprint);
  });

  it('after a restart, a restored firing alert resolves once when its check recovered, and stays while the check has no result yet', () => {
    const before = new CheckAlerts();
    const [fired] = before.update('shop-top', view(), 5000);
    const after = new CheckAlerts();
    after.restore([fired!]);
    expect(after.sync([view({ status: 'pending', hard: true })], 9000)).toEqual([fired]);
    const out = after.sync([view({ status: 'ok' })], 10_000);
    expect(out).toEqual([{ ...fired, endsAt: 10_000 }]);
    expect(after.sync([view({ status: 'ok' })], 11_000)).toEqual([]);
    // Still failing after the restart: the same alert (same start), not a new one.
    const again = new CheckAlerts();
    again.restore([fired!]);
    expect(again.sync([view()], 12_000)).toEqual([fired]);
  });
});
