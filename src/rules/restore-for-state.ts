/**
 * Restoring rule state after a restart, with Prometheus's semantics (rules/manager.go
 * RestoreForState, flags `rules.alert.for-outage-tolerance` and `rules.alert.for-grace-period`):
 * - a pending alert keeps the time it had already spent pending: the time the server was down
 *   does not count, so a `for: 10m` alert that was pending for 8 minutes fires 2 minutes after
 *   the restart;
 * - but never sooner than the grace period after the restart (data sources need a moment to
 *   report again), unless `for` itself is shorter than the grace period: then the alert waits
 *   its full `for` again;
 * - after an outage longer than the outage tolerance pending alerts start over;
 * - firing alerts stay firing (with their start time and keep_firing_for timer): the next
 *   evaluation either keeps them or resolves them once.
 * Resolved (inactive) alerts are not restored: routing already has their resolution.
 */
import type { RuleAlert } from './alert-types.js';

/** Prometheus's default: pending state older than this is not restored. */
export const DEFAULT_FOR_OUTAGE_TOLERANCE_MS = 3600_000;
/**
 * Prometheus defaults to 10m. Kansoku's sources (its own checks and agents) report again within
 * one interval after a restart, so one default evaluation interval is enough: it is what makes
 * "pending for 8 of 10 minutes fires 2 minutes after the restart" hold.
 */
export const DEFAULT_FOR_GRACE_PERIOD_MS = 60_000;

export interface RestoreForStateOptions {
  forOutageToleranceMs?: number;
  forGracePeriodMs?: number;
}

export interface SavedRuleAlert extends RuleAlert {
  /** The rule's last evaluation that saw the alert ("down at"); absent: unknown, not restored if pending. */
  lastEvalAt?: number;
}

/** The alerts to hand to AlertingRule.restore for a rule with the given `for`, at `now`. */
export function restoreForState(forMs: number, saved: readonly SavedRuleAlert[], now: number, opts: RestoreForStateOptions = {}): RuleAlert[] {
  const tolerance = opts.forOutageToleranceMs ?? DEFAULT_FOR_OUTAGE_TOLERANCE_MS;
  const grace = opts.forGracePeriodMs ?? DEFAULT_FOR_GRACE_PERIOD_MS;
  const out: RuleAlert[] = [];
  for (const s of saved) {
    const { lastEvalAt, ...a } = s;
    const alert: RuleAlert = { ...a, labels: { ...a.labels }, annotations: { ...a.annotations } };
    if (alert.state === 'firing') {
      out.push(alert);
      continue;
    }
    if (alert.state !== 'pending' || lastEvalAt === undefined) continue;
    if (now - lastEvalAt > tolerance) continue;
    // A `for` shorter than the grace period simply runs again from now.
    if (forMs < grace) continue;
    const from = alert.forStartedAt ?? alert.activeAt;
    const remaining = forMs - (lastEvalAt - from);
    let forStartedAt: number;
    if (remaining <= 0) forStartedAt = from;
    else if (remaining < grace) forStartedAt = now + grace - forMs;
    else forStartedAt = from + (now - lastEvalAt);
    out.push({ ...alert, forStartedAt });
  }
  return out;
}
