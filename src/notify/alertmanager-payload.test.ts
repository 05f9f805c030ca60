import { describe, expect, it } from 'vitest';
import { buildAlertmanagerPayload, encodeAlertmanagerPayload, GO_ZERO_TIME } from './alertmanager-payload.js';
import { notificationOf, shopDownAlert } from './testdata/fixtures.js';

describe('Alertmanager webhook payload', () => {
  const a = shopDownAlert();
  const b = shopDownAlert({ labels: { alertname: 'ShopTopDown', instance: 'web-2.example.jp', service: 'shop', severity: 'critical' }, fingerprint: 'ffff000011112222', annotations: { summary: 'web-2 down', impact: '顧客が商品を購入できません' } });

  it('has the fields of notify/webhook Message in Alertmanager order, version "4"', () => {
    const p = buildAlertmanagerPayload(notificationOf([a]));
    expect(Object.keys(p)).toEqual(['receiver', 'status', 'alerts', 'groupLabels', 'commonLabels', 'commonAnnotations', 'externalURL', 'version', 'groupKey', 'truncatedAlerts']);
    expect(Object.keys(p.alerts[0]!)).toEqual(['status', 'labels', 'annotations', 'startsAt', 'endsAt', 'generatorURL', 'fingerprint']);
    expect(p).toMatchObject({ receiver: 'ops', status: 'firing', version: '4', groupKey: '{}:{alertname="ShopTopDown"}', truncatedAlerts: 0, externalURL: 'http://kansoku.example.jp' });
    expect(p.alerts[0]!.endsAt).toBe(GO_ZERO_TIME);
  });

  it('keeps only labels and annotations every alert shares as common, sorted like Go maps', () => {
    const p = buildAlertmanagerPayload(notificationOf([a, b]));
    expect(p.commonLabels).toEqual({ alertname: 'ShopTopDown', service: 'shop', severity: 'critical' });
    expect(Object.keys(p.commonLabels)).toEqual(['alertname', 'service', 'severity']);
    expect(p.commonAnnotations).toEqual({ impact: '顧客が商品を購入できません' });
  });

  it('truncates to maxAlerts before computing status and common labels', () => {
    const resolved = shopDownAlert({ status: 'resolved', endsAt: '2026-03-02T00:10:00.000Z', fingerprint: '0000', labels: { alertname: 'Other', severity: 'warning' } });
    const p = buildAlertmanagerPayload(notificationOf([resolved, a, b]), { maxAlerts: 1 });
    expect(p.alerts).toHaveLength(1);
    expect(p.truncatedAlerts).toBe(2);
    expect(p.status).toBe('resolved');
    expect(p.commonLabels).toEqual({ alertname: 'Other', severity: 'warning' });
    expect(p.alerts[0]!.endsAt).toBe('2026-03-02T00:10:00.000Z');
  });

  it('adds the severity label when the rule did not set one', () => {
    const p = buildAlertmanagerPayload(notificationOf([shopDownAlert({ labels: { alertname: 'X' }, severity: 'warning' })]));
    expect(p.alerts[0]!.labels).toEqual({ alertname: 'X', severity: 'warning' });
  });

  it('encodes like Go json.Encoder: <, >, & escaped and a trailing newline', () => {
    const body = encodeAlertmanagerPayload(buildAlertmanagerPayload(notificationOf([a])));
    expect(body.endsWith('}\n')).toBe(true);
    expect(body).toContain('"generatorURL":"http://kansoku.example.jp/checks/shop-top?x=1\\u0026y=\\u003c2\\u003e"');
    expect(JSON.parse(body).alerts[0].generatorURL).toBe(a.generatorURL);
  });
});
