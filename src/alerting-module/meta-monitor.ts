/**
 * Meta-monitoring: Kansoku watching its own alerting path. Three conditions raise alerts
 * (labels `alertname`, `severity`, `component="kansoku"`) through the normal routing:
 * - KansokuSchedulerLagging: checks start late (mean of kansoku_scheduler_lag_seconds since the
 *   last look above `schedulerLagSeconds`), or an enabled check is overdue by that much;
 * - KansokuRuleEvaluationSlow: a rule group missed iterations or a round took longer than its interval;
 * - KansokuOutboxBacklog: more than `outboxBacklog` notifications wait, or one has been due
 *   for longer than `outboxMaxDueSeconds` without being sent.
 * Each is evaluated every `intervalMs` and resolves when its condition clears.
 */
import type { Registry } from 'prom-client';
import { fingerprintLabels, type PostableAlert, type RoundReport } from '../rules/index.js';

export interface MetaMonitorOptions {
  intervalMs?: number;
  schedulerLagSeconds?: number;
  outboxBacklog?: number;
  outboxMaxDueSeconds?: number;
}

export interface MetaMonitorDeps {
  registry: Registry;
  /** Enabled checks' next run times (epoch ms); empty without the checks module. */
  nextRuns(): number[];
  outbox: { countByStatus(): Promise<Record<string, number>>; dueChannels(nowMs: number, limit: number): Promise<string[]> };
  sink(alerts: PostableAlert[]): void;
  now?: () => number;
}

interface Condition {
  firing: boolean;
  summary: string;
  labels?: Record<string, string>;
}

export class MetaMonitor {
  private readonly o: Required<MetaMonitorOptions>;
  private readonly now: () => number;
  private lastLag: { sum: number; count: number } | undefined;
  private readonly slowGroups = new Map<string, RoundReport>();
  private readonly active = new Map<string, PostableAlert>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly deps: MetaMonitorDeps,
    opts: MetaMonitorOptions = {},
  ) {
    this.o = { intervalMs: 15_000, schedulerLagSeconds: 5, outboxBacklog: 500, outboxMaxDueSeconds: 120, ...opts };
    this.now = deps.now ?? Date.now;
  }

  start(): void {
    this.timer = setInterval(() => void this.evaluate().catch(() => undefined), this.o.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** Feed of the rule manager's round reports. */
  onRound(r: RoundReport, intervalMs: number): void {
    const slow = r.missedIterations > (this.slowGroups.get(r.group)?.missedIterations ?? 0) || r.wallMs > intervalMs;
    if (slow) this.slowGroups.set(r.group, r);
    else if (this.slowGroups.get(r.group)?.evaluatedAt !== r.evaluatedAt) this.slowGroups.delete(r.group);
  }

  /** One look at every condition; returns the alerts sent. */
  async evaluate(): Promise<PostableAlert[]> {
    const now = this.now();
    const conds = new Map<string, Condition>();
    conds.set('KansokuSchedulerLagging', await this.schedulerLag(now));
    for (const [group, r] of this.slowGroups) {
      conds.set(`KansokuRuleEvaluationSlow/${group}`, {
        firing: true,
        summary: `rule group ${group} falls behind: last round took ${Math.round(r.wallMs)} ms, ${r.missedIterations} iterations missed`,
        labels: { group },
      });
    }
    conds.set('KansokuOutboxBacklog', await this.outbox(now));
    const out: PostableAlert[] = [];
    for (const [id, c] of conds) {
      if (c.firing) {
        const alertname = id.split('/')[0]!;
        const labels = { alertname, severity: alertname === 'KansokuOutboxBacklog' ? 'critical' : 'warning', component: 'kansoku', ...(c.labels ?? {}) };
        const prev = this.active.get(id);
        const a: PostableAlert = { fingerprint: fingerprintLabels(labels), labels, annotations: { summary: c.summary }, startsAt: prev?.startsAt ?? now };
        this.active.set(id, a);
        out.push(a);
      }
    }
    for (const [id, a] of this.active) {
      if (!conds.get(id)?.firing) {
        this.active.delete(id);
        out.push({ ...a, endsAt: now });
      }
    }
    if (out.length) this.deps.sink(out);
    return out;
  }

  private async schedulerLag(now: number): Promise<Condition> {
    const limit = this.o.schedulerLagSeconds;
    let mean: number | undefined;
    const m = this.deps.registry.getSingleMetric('kansoku_scheduler_lag_seconds');
    if (m) {
      const vals = (await m.get()).values as { metricName?: string; value: number }[];
      const sum = vals.find((v) => v.metricName === 'kansoku_scheduler_lag_seconds_sum')?.value ?? 0;
      const count = vals.find((v) => v.metricName === 'kansoku_scheduler_lag_seconds_count')?.value ?? 0;
      if (this.lastLag && count > this.lastLag.count) mean = (sum - this.lastLag.sum) / (count - this.lastLag.count);
      this.lastLag = { sum, count };
    }
    const overdue = this.deps.nextRuns().filter((t) => now - t > limit * 1000).length;
    if (mean !== undefined && mean > limit) return { firing: true, summary: `checks start ${mean.toFixed(1)} s late on average (limit ${limit} s); the check scheduler is overloaded` };
    if (overdue > 0) return { firing: true, summary: `${overdue} check(s) are overdue by more than ${limit} s; the check scheduler is stalled or overloaded` };
    return { firing: false, summary: '' };
  }

  private async outbox(now: number): Promise<Condition> {
    const c = await this.deps.outbox.countByStatus();
    const waiting = (c.pending ?? 0) + (c.sending ?? 0);
    if (waiting > this.o.outboxBacklog) return { firing: true, summary: `${waiting} notifications wait in the outbox (limit ${this.o.outboxBacklog})` };
    const stuck = await this.deps.outbox.dueChannels(now - this.o.outboxMaxDueSeconds * 1000, 10);
    if (stuck.length) return { firing: true, summary: `notifications for ${stuck.join(', ')} have been due for more than ${this.o.outboxMaxDueSeconds} s without being sent` };
    return { firing: false, summary: '' };
  }
}
