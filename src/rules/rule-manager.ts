/**
 * Runs alerting rules in evaluation groups on an injected clock (Prometheus rules.Manager):
 * each group evaluates its rules in order every `interval`, hands firing and just-resolved
 * alerts to the AlertSink port, marks dependency suppression, and reports per-round timing
 * (wall and CPU time) so the server can alert when evaluation falls behind.
 *
 * Check-state rules can also be evaluated on demand (`evaluateCheckStateRules`) when the check
 * scheduler reports a state change, so a check failure does not wait for the next round.
 */
import type { Labels } from '../core/labels.js';
import { parseDurationMs } from '../core/duration.js';
import { parseMatchers, compileMatchers } from './alert-matchers.js';
import type { AlertRuleSpec } from './alert-rule-kind.js';
import type { AlertSink, PostableAlert, RuleAlert } from './alert-types.js';
import { AlertingRule, type RuleEvalOutcome } from './alerting-rule.js';
import type { CheckStateSource } from './check-state.js';
import { systemClock, type Clock, type TimerHandle } from '../lib/clock.js';
import type { QueryFunc } from './query-func.js';
import { expandAlertTemplate } from './template.js';
import { restoreForState, type RestoreForStateOptions, type SavedRuleAlert } from './restore-for-state.js';

export const DEFAULT_EVALUATION_INTERVAL_MS = 60_000;

export interface RuleDocument {
  /** metadata.name of the AlertRule. */
  name: string;
  spec: AlertRuleSpec;
}

export interface RoundReport {
  group: string;
  /** The evaluation timestamp (ms). */
  evaluatedAt: number;
  rules: number;
  failedRules: number;
  samples: number;
  firing: number;
  pending: number;
  wallMs: number;
  /** CPU time of this process during the round (other work running meanwhile is included). */
  cpuUserMs: number;
  cpuSystemMs: number;
  /** Intervals skipped because the previous round overran (prometheus_rule_group_iterations_missed_total). */
  missedIterations: number;
  errors: { rule: string; error: string }[];
}

export interface RuleManagerOptions {
  query: QueryFunc;
  checkStates?: CheckStateSource;
  sink?: AlertSink;
  clock?: Clock;
  externalLabels?: Labels;
  externalURL?: string;
  /** Used for groups whose rules set no interval. */
  defaultIntervalMs?: number;
  onRound?: (report: RoundReport) => void;
}

interface Group {
  name: string;
  intervalMs: number;
  rules: AlertingRule[];
  timer?: TimerHandle;
  running: Promise<unknown>;
  nextAt: number;
  missed: number;
  last?: RoundReport;
}

export class RuleManager {
  private readonly clock: Clock;
  private groups = new Map<string, Group>();
  private started = false;

  constructor(private readonly opts: RuleManagerOptions) {
    this.clock = opts.clock ?? systemClock;
  }

  /**
   * Replaces the rule set. A rule that keeps its name and condition keeps its alerts' state
   * (pending timers and firing alerts survive a reload, as in Prometheus).
   */
  setRules(docs: readonly RuleDocument[]): void {
    const old = new Map<string, AlertingRule>();
    for (const g of this.groups.values()) for (const r of g.rules) old.set(r.name, r);
    const next = new Map<string, Group>();
    for (const d of docs) {
      if (d.spec.disabled) continue;
      const rule = new AlertingRule(d.name, d.spec, {
        ...(this.opts.externalLabels ? { externalLabels: this.opts.externalLabels } : {}),
        ...(this.opts.externalURL ? { externalURL: this.opts.externalURL } : {}),
      });
      const prev = old.get(d.name);
      if (prev && prev.spec.expr === d.spec.expr && JSON.stringify(prev.spec.checkState) === JSON.stringify(d.spec.checkState)) {
        rule.restore(prev.snapshot());
      }
      const interval = d.spec.interval ? (parseDurationMs(d.spec.interval) ?? 0) : 0;
      let g = next.get(d.spec.group);
      if (!g) {
        const existing = this.groups.get(d.spec.group);
        g = { name: d.spec.group, intervalMs: 0, rules: [], running: existing?.running ?? Promise.resolve(), nextAt: 0, missed: existing?.missed ?? 0 };
        if (existing?.last) g.last = existing.last;
        next.set(d.spec.group, g);
      }
      if (interval > 0) g.intervalMs = g.intervalMs === 0 ? interval : Math.min(g.intervalMs, interval);
      g.rules.push(rule);
    }
    for (const g of next.values()) if (g.intervalMs === 0) g.intervalMs = this.opts.defaultIntervalMs ?? DEFAULT_EVALUATION_INTERVAL_MS;
    const wasStarted = this.started;
    if (wasStarted) this.stopTimers();
    this.groups = next;
    if (wasStarted) this.scheduleAll();
  }

  /** Group names with their interval and rule count. */
  listGroups(): { name: string; intervalMs: number; rules: string[]; last?: RoundReport }[] {
    return [...this.groups.values()].map((g) => ({ name: g.name, intervalMs: g.intervalMs, rules: g.rules.map((r) => r.name), ...(g.last ? { last: g.last } : {}) }));
  }

  /** Starts evaluating every group: a first round now, then every interval. */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.scheduleAll();
  }

  /** Stops the timers and waits for rounds in flight. */
  async stop(): Promise<void> {
    this.started = false;
    this.stopTimers();
    await Promise.all([...this.groups.values()].map((g) => g.running.catch(() => undefined)));
  }

  private stopTimers(): void {
    for (const g of this.groups.values()) {
      if (g.timer !== undefined) this.clock.clearTimer(g.timer);
      g.timer = undefined;
    }
  }

  private scheduleAll(): void {
    const now = this.clock.now();
    for (const g of this.groups.values()) {
      g.nextAt = now;
      this.schedule(g, 0);
    }
  }

  private schedule(g: Group, delayMs: number): void {
    g.timer = this.clock.setTimer(() => {
      g.timer = undefined;
      if (!this.started || this.groups.get(g.name) !== g) return;
      const ts = g.nextAt;
      void this.evaluateGroup(g.name, ts).finally(() => {
        if (!this.started || this.groups.get(g.name) !== g) return;
        // Skip the intervals a slow round overran, counting them, as Prometheus does.
        const now = this.clock.now();
        let next = ts + g.intervalMs;
        while (next <= now - g.intervalMs) {
          next += g.intervalMs;
          g.missed++;
        }
        g.nextAt = Math.max(next, now);
        this.schedule(g, g.nextAt - now);
      });
    }, delayMs);
  }

  /** Evaluates one group at ts (default now); rounds of one group never overlap. */
  async evaluateGroup(name: string, ts = this.clock.now()): Promise<RoundReport> {
    const g = this.groups.get(name);
    if (!g) throw new Error(`no rule group named "${name}"`);
    return this.serialized(g, () => this.runRound(g, g.rules, ts));
  }

  /** Evaluates every group once at ts, in group order. */
  async evaluateAll(ts = this.clock.now()): Promise<RoundReport[]> {
    const out: RoundReport[] = [];
    for (const g of this.groups.values()) out.push(await this.evaluateGroup(g.name, ts));
    return out;
  }

  /** Evaluates only check-state rules now: call it when the check scheduler reports a state change. */
  async evaluateCheckStateRules(ts = this.clock.now()): Promise<RoundReport[]> {
    const out: RoundReport[] = [];
    for (const g of this.groups.values()) {
      const rules = g.rules.filter((r) => r.spec.checkState !== undefined);
      if (rules.length > 0) out.push(await this.serialized(g, () => this.runRound(g, rules, ts)));
    }
    return out;
  }

  private serialized<T>(g: Group, fn: () => Promise<T>): Promise<T> {
    const p = g.running.catch(() => undefined).then(fn);
    g.running = p;
    return p;
  }

  private async runRound(g: Group, rules: AlertingRule[], ts: number): Promise<RoundReport> {
    const cpu0 = process.cpuUsage();
    const wall0 = performance.now();
    const outcomes: RuleEvalOutcome[] = [];
    const deps = { query: this.opts.query, ...(this.opts.checkStates ? { checkStates: this.opts.checkStates } : {}) };
    for (const r of rules) outcomes.push(await r.evaluate(ts, deps));
    this.markDependencies();
    const alerts: PostableAlert[] = [];
    let firing = 0;
    let pending = 0;
    for (const r of rules) {
      for (const a of r.alerts()) {
        if (a.state === 'firing') firing++;
        if (a.state === 'pending') pending++;
        if (a.state === 'firing' || (a.state === 'inactive' && a.resolvedAt === ts)) alerts.push(toPostable(a, this.opts.externalURL));
      }
    }
    if (this.opts.sink && alerts.length > 0) await this.opts.sink(alerts, { group: g.name, evaluatedAt: ts });
    const cpu = process.cpuUsage(cpu0);
    const report: RoundReport = {
      group: g.name,
      evaluatedAt: ts,
      rules: rules.length,
      failedRules: outcomes.filter((o) => !o.ok).length,
      samples: outcomes.reduce((n, o) => n + o.samples, 0),
      firing,
      pending,
      wallMs: performance.now() - wall0,
      cpuUserMs: cpu.user / 1000,
      cpuSystemMs: cpu.system / 1000,
      missedIterations: g.missed,
      errors: outcomes.filter((o) => o.error).map((o) => ({ rule: o.rule, error: o.error! })),
    };
    g.last = report;
    this.opts.onRound?.(report);
    return report;
  }

  /**
   * Dependencies: an alert whose rule `dependsOn` a matcher set is suppressed while a firing
   * alert (of any rule, itself excluded) matches it. Matchers are templates over the child's
   * labels, so `site="{{ $labels.site }}"` ties a service to the router of its own site.
   */
  private markDependencies(): void {
    const firing: RuleAlert[] = [];
    for (const g of this.groups.values()) for (const r of g.rules) for (const a of r.alerts()) if (a.state === 'firing') firing.push(a);
    for (const g of this.groups.values()) {
      for (const r of g.rules) {
        if (r.spec.dependsOn.length === 0) continue;
        for (const a of r.alerts()) {
          const parents = new Set<string>();
          for (const dep of r.spec.dependsOn) {
            let pred;
            try {
              pred = compileMatchers(parseMatchers(expandAlertTemplate(dep, { labels: a.labels, value: a.value })));
            } catch {
              continue;
            }
            for (const p of firing) if (p !== a && p.fingerprint !== a.fingerprint && pred(p.labels)) parents.add(p.fingerprint);
          }
          if (parents.size > 0) a.suppressedBy = [...parents].sort();
          else delete a.suppressedBy;
        }
      }
    }
  }

  /** Every alert held, with its rule name. */
  alerts(): (RuleAlert & { rule: string })[] {
    const out: (RuleAlert & { rule: string })[] = [];
    for (const g of this.groups.values()) for (const r of g.rules) for (const a of r.alerts()) out.push({ ...a, rule: r.name });
    return out;
  }

  /**
   * ALERTS{alertstate="pending|firing", …} = 1 and ALERTS_FOR_STATE{…} = activeAt in seconds,
   * the series Prometheus writes for its active alerts, for the telemetry store.
   */
  alertSeries(): { labels: Labels; value: number }[] {
    const out: { labels: Labels; value: number }[] = [];
    for (const a of this.alerts()) {
      if (a.state === 'inactive') continue;
      out.push({ labels: { __name__: 'ALERTS', ...a.labels, alertstate: a.state }, value: 1 });
      out.push({ labels: { __name__: 'ALERTS_FOR_STATE', ...a.labels }, value: a.activeAt / 1000 });
    }
    return out;
  }

  /** Rule state to persist (by rule name), and to restore after a restart. */
  snapshot(): Record<string, RuleAlert[]> {
    const out: Record<string, RuleAlert[]> = {};
    for (const g of this.groups.values()) for (const r of g.rules) out[r.name] = r.snapshot();
    return out;
  }

  restore(state: Record<string, readonly RuleAlert[]>): void {
    for (const g of this.groups.values()) for (const r of g.rules) if (state[r.name]) r.restore(state[r.name]!);
  }

  /**
   * Restores persisted alerts after a restart with Prometheus's `for` semantics (outage
   * tolerance, grace period: see restore-for-state.ts). Call after setRules, before start.
   */
  restoreForState(saved: Record<string, readonly SavedRuleAlert[]>, now = this.clock.now(), opts: RestoreForStateOptions = {}): void {
    for (const g of this.groups.values()) {
      for (const r of g.rules) {
        const s = saved[r.name];
        if (s?.length) r.restore(restoreForState(r.forMs, s, now, opts));
      }
    }
  }

  /** Each rule's latest evaluation time (rules not evaluated yet are absent). */
  lastEvaluations(): Map<string, number> {
    const out = new Map<string, number>();
    for (const g of this.groups.values()) for (const r of g.rules) if (r.lastEvaluatedAt !== undefined) out.set(r.name, r.lastEvaluatedAt);
    return out;
  }
}

export function toPostable(a: RuleAlert, externalURL?: string): PostableAlert {
  return {
    fingerprint: a.fingerprint,
    labels: { ...a.labels },
    annotations: { ...a.annotations },
    startsAt: a.firedAt ?? a.activeAt,
    ...(a.state === 'inactive' && a.resolvedAt !== undefined ? { endsAt: a.resolvedAt } : {}),
    ...(externalURL ? { generatorURL: `${externalURL.replace(/\/$/, '')}/alerts?alertname=${encodeURIComponent(a.labels.alertname ?? '')}` } : {}),
    ...(a.suppressedBy ? { suppressedBy: [...a.suppressedBy] } : {}),
    value: a.value,
  };
}
