import { describe, expect, it } from 'vitest';
import type { Notification } from '../alerting/index.js';
import { alertNotificationSchema, notificationKey } from '../notify/index.js';
import { dispatchKey, toChannelNotification } from './channel-notification.js';

const H = 3600_000;

function routed(at: number, status: 'firing' | 'resolved' = 'firing'): Notification {
  return {
    version: '4',
    groupKey: '{}:{alertname="CheckFailed"}',
    truncatedAlerts: 0,
    status,
    receiver: 'ops-webhook',
    groupLabels: { alertname: 'CheckFailed' },
    commonLabels: {},
    commonAnnotations: {},
    externalURL: 'http://k.test',
    alerts: [
      {
        status,
        labels: { alertname: 'CheckFailed', check: 'db', severity: 'bogus' },
        annotations: { summary: 'db down', runbook: 'db-failover' },
        startsAt: '2026-01-05T00:00:00Z',
        endsAt: status === 'resolved' ? '2026-01-05T00:10:00Z' : '0001-01-01T00:00:00Z',
        generatorURL: '',
        fingerprint: '0123456789abcdef',
      },
    ],
    kansoku: { route: 'root', reason: 'route', acks: {}, dispatchedAt: at },
  };
}

describe('routing → delivery', () => {
  it('carries severity, runbook (with its first step) and end time in the form delivery validates', () => {
    const n = toChannelNotification(routed(0, 'resolved'), 'k', (name) => ({ name, title: 'DB fail-over', firstStep: 'Promote the replica' }));
    expect(alertNotificationSchema.safeParse(n).success).toBe(true);
    expect(n.alerts[0]).toMatchObject({ severity: 'error', endsAt: '2026-01-05T00:10:00Z', runbook: { name: 'db-failover', title: 'DB fail-over', firstStep: 'Promote the replica' } });
    expect(n.alerts[0]!.generatorURL).toBeUndefined();
    expect(toChannelNotification(routed(0), 'k').alerts[0]!.endsAt).toBeUndefined();
  });

  it('a deliberate repeat gets a new outbox key; the same dispatch redone within the period does not', () => {
    const t = Date.UTC(2026, 0, 5, 1);
    const key = (at: number) => notificationKey('ops-webhook', toChannelNotification(routed(at), dispatchKey(routed(at), 4 * H)));
    expect(key(t + 60_000)).toBe(key(t));
    expect(key(t + 4 * H)).not.toBe(key(t));
    expect(dispatchKey(routed(t, 'resolved'), 4 * H)).not.toBe(dispatchKey(routed(t), 4 * H));
  });
});
