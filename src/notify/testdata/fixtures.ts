import type { AlertNotification, NotificationAlert } from '../types.js';

/** A critical alert as routing hands it over: everything a message has to say is present. */
export function shopDownAlert(over: Partial<NotificationAlert> = {}): NotificationAlert {
  return {
    status: 'firing',
    labels: { alertname: 'ShopTopDown', instance: 'web-1.example.jp', service: 'shop', severity: 'critical' },
    annotations: {
      summary: 'ショップのトップページが応答しません',
      description: 'HTTP チェックが 3 拠点すべてで失敗しています',
      impact: '顧客が商品を購入できません',
      runbook_url: 'https://runbooks.example.jp/shop-top-down',
    },
    severity: 'critical',
    startsAt: '2026-03-02T00:00:00.000Z',
    fingerprint: 'a1b2c3d4e5f60718',
    value: '0 / 3 拠点で成功',
    generatorURL: 'http://kansoku.example.jp/checks/shop-top?x=1&y=<2>',
    runbook: { name: 'shop-top-down', title: 'ショップ停止時の対応', url: 'https://runbooks.example.jp/shop-top-down', firstStep: 'nginx の状態を確認する: systemctl status nginx' },
    ...over,
  };
}

export function notificationOf(alerts: NotificationAlert[], over: Partial<AlertNotification> = {}): AlertNotification {
  return {
    receiver: 'ops',
    groupKey: '{}:{alertname="ShopTopDown"}',
    groupLabels: { alertname: 'ShopTopDown' },
    alerts,
    externalURL: 'http://kansoku.example.jp',
    ...over,
  };
}

/** The render time used by tests: 15 minutes after the fixture alert started. */
export const NOW = new Date('2026-03-02T00:15:00.000Z');
