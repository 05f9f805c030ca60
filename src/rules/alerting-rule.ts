/**
 * One alerting rule's state machine, with Prometheus's semantics (rules/alerting.go):
 * - every series of the result becomes an alert identified by its labels (series labels minus
 *   `__name__`, plus the rule's labels, plus `alertname`);
 * - a new alert is `pending` and turns `firing` once it has been active for `for`;
 * - an alert whose series left the result resolves (`inactive`, kept 15 minutes), unless it was
 *   firing and `keepFiringFor` has not elapsed since the condition cleared; pending ones vanish;
 * - a query error changes no state.
 * Kansoku additions: `recoverExpr` (a firing alert stays firing until the recovery expression
 * returns its series: threshold hysteresis), `noData` (what an empty result means) and
 * check-state conditions (read from the CheckStateSource port instead of PromQL).
 */
import type { Labels } from '../core/labels.js';
import { parseDurationMs } from '../core/duration.js';
import type { AlertRuleSpec } from './alert-rule-kind.js';
import type { RuleAlert } from './alert-types.js';
import { evaluateCheckCondition, type CheckStateSource } from './check-state.js';
import { fingerprintLabels, labelsKey } from './fingerprint.js';
import type { QueryFunc, QuerySample } from './query-func.js';
import { expandAlertTemplate, type TemplateData } from './template.js';

/** Prometheus keeps resolved alerts this long so receivers see the resolution. */
export const RESOLVED_RETENTION_MS = 15 * 60_000;

export interface RuleDeps {
  query: QueryFunc;
  checkStates?: CheckStateSource;
  signal?: AbortSignal;
}

export interface RuleOptions {
  externalLabels?: Labels;
  externalURL?: string;
}

export interface RuleEvalOutcome {
  rule: string;
  ok: boolean;
  error?: string;
  /** Samples the condition returned. */
  samples: number;
  durationMs: number;
}

export class RuleEvaluationError extends Error {
  constructor(
    readonly rule: string,
    message: string,
  ) {
    super(message);
    this.name = 'RuleEvaluationError';
  }
}

export class AlertingRule {
  readonly alertName: string;
  readonly forMs: number;
  readonly keepFiringForMs: number;
  private active = new Map<string, RuleAlert>();
  lastError: string | undefined;
  lastEvaluatedAt: number | undefined;

  constructor(
    /** The AlertRule object's metadata.name. */
    readonly name: string,
    readonly spec: AlertRuleSpec,
    private readonly opts: RuleOptions = {},
  ) {
    this.alertName = spec.alert ?? name;
    this.forMs = parseDurationMs(spec.for) ?? 0;
    this.keepFiringForMs = parseDurationMs(spec.keepFiringFor) ?? 0;
  }

  /** Alerts currently held (pending, firing and recently resolved). */
  alerts(): RuleAlert[] {
    return [...this.active.values()];
  }

  /** Evaluates the rule at ts and advances its alerts' states. */
  async evaluate(ts: number, deps: RuleDeps): Promise<RuleEvalOutcome> {
    const started = performance.now();
    const finish = (ok: boolean, samples: number, error?: string): RuleEvalOutcome => {
      this.lastError = error;
      this.lastEvaluatedAt = ts;
      return { rule: this.name, ok, samples, durationMs: performance.now() - started, ...(error ? { error } : {}) };
    };
    let samples: QuerySample[];
    let recovered: Set<string> | undefined;
    try {
      samples = await this.condition(ts, deps);
      if (this.spec.recoverExpr !== undefined && this.hasFiring()) {
        recovered = new Set((await deps.query(this.spec.recoverExpr, ts, deps.signal)).map((s) => seriesKeyOf(s.metric)));
      }
    } catch (err) {
      return finish(false, 0, err instanceof Error ? err.message : String(err));
    }
    let noData = false;
    if (samples.length === 0 && this.spec.expr !== undefined) {
      if (this.spec.noData === 'keep' && this.active.size > 0) return finish(true, 0);
      if (this.spec.noData === 'alert') {
        noData = true;
        samples = [{ metric: { nodata: 'true' }, value: NaN, t: ts }];
      }
    }
    let current: Map<string, RuleAlert>;
    try {
      current = this.buildAlerts(samples, ts, noData);
    } catch (err) {
      if (err instanceof RuleEvaluationError) return finish(false, samples.length, err.message);
      throw err;
    }
    this.advance(current, ts, recovered);
    return finish(true, noData ? 0 : samples.length);
  }

  private hasFiring(): boolean {
    for (const a of this.active.values()) if (a.state === 'firing') return true;
    return false;
  }

  private async condition(ts: number, deps: RuleDeps): Promise<QuerySample[]> {
    if (this.spec.expr !== undefined) return deps.query(this.spec.expr, ts, deps.signal);
    if (!deps.checkStates) throw new RuleEvaluationError(this.name, 'check-state rule evaluated without a CheckStateSource');
    return evaluateCheckCondition(this.spec.checkState!, await deps.checkStates.checkStates(), ts);
  }

  private buildAlerts(samples: QuerySample[], ts: number, noData: boolean): Map<string, RuleAlert> {
    const out = new Map<string, RuleAlert>();
    for (const s of samples) {
      const data: TemplateData = {
        labels: s.metric,
        value: s.value,
        ...(this.opts.externalLabels ? { externalLabels: this.opts.externalLabels } : {}),
        ...(this.opts.externalURL ? { externalURL: this.opts.externalURL } : {}),
      };
      const labels: Labels = {};
      for (const [k, v] of Object.entries(s.metric)) if (k !== '__name__') labels[k] = v;
      for (const [k, v] of Object.entries(this.spec.labels)) {
        const x = expandAlertTemplate(v, data);
        // As in Prometheus, a label that expands to the empty string is removed.
        if (x === '') delete labels[k];
        else labels[k] = x;
      }
      labels.alertname = this.alertName;
      const annotations: Record<string, string> = {};
      for (const [k, v] of Object.entries(this.spec.annotations)) annotations[k] = expandAlertTemplate(v, data);
      if (noData && annotations.summary === undefined) annotations.summary = `${this.alertName}: the expression returned no data`;
      const key = labelsKey(labels);
      if (out.has(key)) throw new RuleEvaluationError(this.name, 'vector contains metrics with the same labelset after applying alert labels');
      out.set(key, {
        fingerprint: '',
        labels,
        annotations,
        value: s.value,
        state: 'pending',
        activeAt: ts,
        seriesKey: seriesKeyOf(s.metric),
      });
    }
    return out;
  }

  private advance(current: Map<string, RuleAlert>, ts: number, recovered: Set<string> | undefined): void {
    for (const [key, a] of current) {
      const prev = this.active.get(key);
      if (prev && prev.state !== 'inactive') {
        prev.value = a.value;
        prev.annotations = a.annotations;
        continue;
      }
      a.fingerprint = fingerprintLabels(a.labels);
      this.active.set(key, a);
    }
    for (const [key, a] of this.active) {
      if (!current.has(key)) {
        let keepFiring = false;
        if (a.state === 'firing') {
          a.keepFiringSince ??= ts;
          if (this.keepFiringForMs > 0 && ts - a.keepFiringSince < this.keepFiringForMs) keepFiring = true;
          // Threshold hysteresis: without proof of recovery the alert keeps firing.
          if (recovered && !recovered.has(a.seriesKey)) keepFiring = true;
        }
        if (a.state === 'pending' || (a.resolvedAt !== undefined && ts - a.resolvedAt > RESOLVED_RETENTION_MS)) {
          this.active.delete(key);
        }
        if (a.state !== 'inactive' && !keepFiring) {
          a.state = 'inactive';
          a.resolvedAt = ts;
        }
        continue;
      }
      a.keepFiringSince = undefined;
      if (a.state === 'pending' && ts - (a.forStartedAt ?? a.activeAt) >= this.forMs) {
        a.state = 'firing';
        a.firedAt = ts;
      }
    }
  }

  /** The state to persist across restarts (Prometheus restores `for` from ALERTS_FOR_STATE). */
  snapshot(): RuleAlert[] {
    return this.alerts().map((a) => ({ ...a, labels: { ...a.labels }, annotations: { ...a.annotations } }));
  }

  /** Restores alerts saved by snapshot(), so `for` timers and firing alerts survive a restart. */
  restore(alerts: readonly RuleAlert[]): void {
    this.active.clear();
    for (const a of alerts) this.active.set(labelsKey(a.labels), { ...a });
  }
}

function seriesKeyOf(metric: Labels): string {
  const l: Labels = {};
  for (const [k, v] of Object.entries(metric)) if (k !== '__name__') l[k] = v;
  return labelsKey(l);
}
