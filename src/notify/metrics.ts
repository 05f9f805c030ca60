import { Counter, Gauge, type Registry } from 'prom-client';

/**
 * The outbox's self-telemetry on the server's registry. Reusing a metric already registered
 * lets a dispatcher be restarted (reload, tests) in one process without a duplicate-name error.
 */
export class NotifyMetrics {
  readonly deliveries: Counter<'channel' | 'type' | 'outcome'>;
  readonly pending: Gauge;

  constructor(registry: Registry) {
    this.deliveries =
      (registry.getSingleMetric('kansoku_notify_deliveries_total') as Counter<'channel' | 'type' | 'outcome'> | undefined) ??
      new Counter({
        name: 'kansoku_notify_deliveries_total',
        help: 'Notification delivery attempts by channel, channel type and outcome (delivered, retry, failed, skipped)',
        labelNames: ['channel', 'type', 'outcome'],
        registers: [registry],
      });
    this.pending =
      (registry.getSingleMetric('kansoku_notify_outbox_pending') as Gauge | undefined) ??
      new Gauge({ name: 'kansoku_notify_outbox_pending', help: 'Notifications waiting in the outbox (pending or being sent)', registers: [registry] });
  }
}
