/**
 * The default alert of every check: a HARD CRITICAL check raises `alertname="CheckFailed"`
 * and resolves when the check leaves that state. Driven by the checks module's state-change
 * events, so a failure reaches routing in the same tick as the result that caused it, not at
 * the next rule round.
 */
import { LABEL_NAME_RE, type Labels } from '../core/labels.js';
import { fingerprintLabels, type PostableAlert } from '../rules/index.js';

export const CHECK_ALERT_NAME = 'CheckFailed';

/** What this needs of a check's current state (the checks module's CheckStateView). */
export interface CheckView {
  name: string;
  type: string;
  labels: Record<string, string>;
  severity: string;
  disabled: boolean;
  target: string | null;
  status: string;
  hard: boolean;
  since: number | null;
  hardSince: number | null;
  message: string | null;
  attempts: number;
}

/** Labels the alert sets itself; a check label of the same name does not override them. */
const RESERVED = new Set(['alertname', 'check', 'severity', 'host', 'check_type']);

export function isHardFailure(v: CheckView): boolean {
  return !v.disabled && v.hard && v.status === 'critical';
}

export function checkAlertLabels(v: CheckView): Labels {
  const labels: Labels = {};
  for (const [k, val] of Object.entries(v.labels)) if (LABEL_NAME_RE.test(k) && !RESERVED.has(k) && val !== '') labels[k] = val;
  labels.alertname = CHECK_ALERT_NAME;
  labels.check = v.name;
  labels.check_type = v.type;
  labels.severity = v.severity;
  if (v.target) labels.host = v.target;
  return labels;
}

/**
 * Holds which checks have a firing default alert and turns check views into alerts for
 * routing: firing ones on every sync (routing deduplicates by fingerprint) and one resolved
 * alert when a check recovers, is disabled, or is deleted.
 */
export class CheckAlerts {
  private readonly firing = new Map<string, PostableAlert>();

  constructor(
    private readonly opts: {
      /** `spec.runbook` of the Check object: a Runbook name or a URL. */
      runbookOf?: (check: string) => string | undefined;
      externalURL?: string;
    } = {},
  ) {}

  /** Alerts to send for one check's current view (undefined view: the check is gone). */
  update(name: string, v: CheckView | undefined, now: number): PostableAlert[] {
    const prev = this.firing.get(name);
    const out: PostableAlert[] = [];
    // A check with no result yet (just restarted, restoring) proves nothing: keep what fired.
    if (v && prev && v.status === 'pending') return [prev];
    if (v && isHardFailure(v)) {
      const a = this.alertFor(v, now, prev);
      if (prev && prev.fingerprint !== a.fingerprint) out.push({ ...prev, endsAt: now });
      this.firing.set(name, a);
      out.push(a);
    } else if (prev) {
      this.firing.delete(name);
      out.push({ ...prev, endsAt: now });
    }
    return out;
  }

  /** Alerts for every check at once (startup, periodic resync); checks not listed are gone. */
  sync(views: readonly CheckView[], now: number): PostableAlert[] {
    const out: PostableAlert[] = [];
    const seen = new Set<string>();
    for (const v of views) {
      seen.add(v.name);
      out.push(...this.update(v.name, v, now));
    }
    for (const name of [...this.firing.keys()]) if (!seen.has(name)) out.push(...this.update(name, undefined, now));
    return out;
  }

  /**
   * Takes back the firing check alerts a previous process had (restart), so a check that
   * recovered while the server was down resolves its alert once instead of leaving it firing.
   */
  restore(alerts: readonly PostableAlert[]): void {
    for (const a of alerts) {
      const check = a.labels.check;
      if (a.labels.alertname === CHECK_ALERT_NAME && check && !this.firing.has(check)) this.firing.set(check, { ...a, labels: { ...a.labels }, annotations: { ...a.annotations } });
    }
  }

  firingChecks(): string[] {
    return [...this.firing.keys()];
  }

  private alertFor(v: CheckView, now: number, prev: PostableAlert | undefined): PostableAlert {
    const labels = checkAlertLabels(v);
    const fingerprint = fingerprintLabels(labels);
    const message = v.message ?? 'no message';
    const annotations: Record<string, string> = {
      summary: `${v.name}: ${message}`,
      description: `Check ${v.name} (${v.type}${v.target ? ` on ${v.target}` : ''}) is CRITICAL (hard, after ${v.attempts} attempt${v.attempts === 1 ? '' : 's'}): ${message}`,
    };
    const rb = this.opts.runbookOf?.(v.name);
    if (rb) {
      if (/^https?:\/\//.test(rb)) annotations.runbook_url = rb;
      else annotations.runbook = rb;
    }
    const startsAt = prev?.fingerprint === fingerprint ? prev.startsAt : (v.hardSince ?? v.since ?? now);
    const base = this.opts.externalURL?.replace(/\/+$/, '');
    return { fingerprint, labels, annotations, startsAt, ...(base ? { generatorURL: `${base}/api/v1/checks/${encodeURIComponent(v.name)}` } : {}) };
  }
}
