/**
 * Check-state conditions: "check X is HARD CRITICAL in at least k of its n probe locations".
 * The check scheduler owns check state; rules read it through the CheckStateSource port and
 * turn each failing check into one series, so it flows through the same pending / firing /
 * resolved machinery (and templates) as a PromQL rule.
 */
import { LABEL_NAME_RE, matchesLabels, parseLabelSelector, type Labels } from '../core/labels.js';
import type { CheckStateCondition } from './alert-rule-kind.js';
import type { QuerySample } from './query-func.js';

export type CheckLocationStatus = 'ok' | 'warning' | 'critical' | 'unknown' | 'pending';

export interface CheckLocationState {
  /** Probe location name ("local" for checks run by the server itself). */
  location: string;
  status: CheckLocationStatus;
  /** Nagios hardness: true once the check's attempts were used up. */
  hard: boolean;
  /** When this status began (epoch ms), if known. */
  since?: number | null;
  /** The latest result's one-line message, offered to templates as $labels.message. */
  message?: string;
}

export interface CheckStateSnapshot {
  /** metadata.name of the Check. */
  check: string;
  /** The Check's object labels (keys that are not valid alert label names are left out). */
  labels: Labels;
  /** The check's severity, used when the rule sets none. */
  severity?: string;
  /** The host the check targets, if it has one; becomes the `host` label. */
  host?: string;
  locations: CheckLocationState[];
}

/** The port: current state of every check (the check scheduler implements it). */
export interface CheckStateSource {
  checkStates(): Promise<readonly CheckStateSnapshot[]> | readonly CheckStateSnapshot[];
}

/**
 * One sample per check that meets the condition. Labels: `check`, the check's labels, `host`,
 * `severity` (from the check) and `locations` (the failing ones, comma-separated, sorted);
 * the value is the number of failing locations.
 */
export function evaluateCheckCondition(cond: CheckStateCondition, states: readonly CheckStateSnapshot[], timeMs: number): QuerySample[] {
  const selector = cond.selector ? parseLabelSelector(cond.selector) : [];
  const names = cond.checks ? new Set(cond.checks) : undefined;
  const out: QuerySample[] = [];
  for (const s of states) {
    if (names && !names.has(s.check)) continue;
    if (selector.length > 0 && !matchesLabels(s.labels, selector)) continue;
    const failing = s.locations.filter((l) => (cond.states as string[]).includes(l.status) && (l.hard || !cond.hard));
    if (failing.length < cond.minLocations) continue;
    const metric: Labels = {};
    for (const [k, v] of Object.entries(s.labels)) if (LABEL_NAME_RE.test(k)) metric[k] = v;
    metric.check = s.check;
    if (s.host) metric.host = s.host;
    if (s.severity) metric.severity = s.severity;
    metric.locations = failing.map((l) => l.location).sort().join(',');
    out.push({ metric, value: failing.length, t: timeMs });
  }
  return out;
}
