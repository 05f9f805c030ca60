import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Kansoku's own metrics, served at /metrics in the Prometheus exposition format. Names follow
 * kansoku_<subsystem>_<name>_<unit>. Process metrics (CPU, RSS, heap, event-loop lag) come from
 * prom-client's defaults with the kansoku_ prefix.
 */
export class SelfMetrics {
  readonly registry = new Registry();
  readonly httpRequests: Counter<'method' | 'route' | 'status'>;
  readonly httpDuration: Histogram<'method' | 'route'>;
  readonly auditRecords: Counter<'action' | 'outcome'>;
  readonly authFailures: Counter<'reason'>;
  readonly objects: Gauge<'kind'>;
  readonly buildInfo: Gauge<'version' | 'state_engine' | 'telemetry_engine' | 'node_version'>;
  readonly startTime: Gauge;

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'kansoku_' });
    this.httpRequests = new Counter({ name: 'kansoku_http_requests_total', help: 'HTTP requests served, by route and status', labelNames: ['method', 'route', 'status'], registers: [this.registry] });
    this.httpDuration = new Histogram({
      name: 'kansoku_http_request_duration_seconds',
      help: 'Time to serve an HTTP request',
      labelNames: ['method', 'route'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
      registers: [this.registry],
    });
    this.auditRecords = new Counter({ name: 'kansoku_audit_records_total', help: 'Audit records written, by action and outcome', labelNames: ['action', 'outcome'], registers: [this.registry] });
    this.authFailures = new Counter({ name: 'kansoku_auth_failures_total', help: 'Requests refused for a missing, invalid, revoked or under-privileged token', labelNames: ['reason'], registers: [this.registry] });
    this.objects = new Gauge({ name: 'kansoku_objects', help: 'Configuration objects, by kind', labelNames: ['kind'], registers: [this.registry] });
    this.buildInfo = new Gauge({ name: 'kansoku_build_info', help: 'Always 1; labels say what is running', labelNames: ['version', 'state_engine', 'telemetry_engine', 'node_version'], registers: [this.registry] });
    this.startTime = new Gauge({ name: 'kansoku_start_time_seconds', help: 'When this server started, seconds since the epoch', registers: [this.registry] });
    this.startTime.set(Date.now() / 1000);
  }
}
