import { worstStatus, type CheckStatus } from '../../core/check-result.js';
import type { ApplyOutcome, CheckState, CheckStateStatus, Transition } from '../state-machine.js';

/** What the aggregate needs to know of one location's state. */
export interface LocationStatus {
  location: string;
  status: CheckStateStatus;
  hard: boolean;
  attempt: number;
  flapping: boolean;
  flapPercent: number;
  /** The location's last message ("connection refused", "probe tokyo silent since …"). */
  message: string | null;
}

export interface Aggregate {
  status: CheckStateStatus;
  hard: boolean;
  attempt: number;
  /** k and n of "bad when k of n locations fail". */
  k: number;
  n: number;
  /** Locations whose state is WARNING or CRITICAL (soft or hard). */
  failing: string[];
  /** Locations whose state is UNKNOWN (a probe that could not tell, or a silent one) or pending. */
  unknown: string[];
  flapping: boolean;
  flapPercent: number;
  message: string;
}

const isBad = (s: CheckStateStatus): s is 'warning' | 'critical' => s === 'warning' || s === 'critical';

/**
 * "Bad when k of n locations fail", with three-valued logic for the locations that cannot say
 * (UNKNOWN, silent, not reported yet):
 * - at least k locations hard WARNING/CRITICAL → the worst of them, hard;
 * - at least k counting soft ones → the worst of them, soft (retries are still running);
 * - at least k only when the undecided locations are counted as failing → UNKNOWN (PENDING
 *   while every undecided location simply has not reported yet): the outcome depends on them;
 * - otherwise OK, even with failing locations below k (their names are in the message).
 */
export function aggregateLocations(locs: readonly LocationStatus[], k: number): Aggregate {
  const n = locs.length;
  const hardBad = locs.filter((l) => isBad(l.status) && l.hard);
  const bad = locs.filter((l) => isBad(l.status));
  const undecided = locs.filter((l) => !isBad(l.status) && l.status !== 'ok');
  const worst = (ls: readonly LocationStatus[]) => ls.reduce<CheckStatus>((w, l) => worstStatus(w, l.status as CheckStatus), 'ok');
  const maxAttempt = (ls: readonly LocationStatus[]) => ls.reduce((m, l) => Math.max(m, l.attempt), 0);
  const base = {
    k,
    n,
    failing: bad.map((l) => l.location),
    unknown: undecided.map((l) => l.location),
    flapping: locs.some((l) => l.flapping),
    flapPercent: locs.reduce((m, l) => Math.max(m, l.flapPercent), 0),
  };
  let out: Pick<Aggregate, 'status' | 'hard' | 'attempt'>;
  if (hardBad.length >= k) out = { status: worst(hardBad), hard: true, attempt: maxAttempt(hardBad) };
  else if (bad.length >= k) out = { status: worst(bad), hard: false, attempt: maxAttempt(bad) };
  else if (bad.length + undecided.length >= k) {
    const real = undecided.filter((l) => l.status === 'unknown');
    if (!real.length) out = { status: 'pending', hard: true, attempt: 0 };
    else {
      // Hard once the locations that make the outcome undecidable have settled.
      const hard = hardBad.length + real.filter((l) => l.hard).length >= k;
      out = { status: 'unknown', hard, attempt: maxAttempt([...bad, ...real]) };
    }
  } else out = { status: 'ok', hard: true, attempt: 0 };
  return { ...base, ...out, message: aggregateMessage(locs, out.status, k) };
}

function describe(l: LocationStatus): string {
  const msg = (l.message ?? '').split('\n')[0]!.slice(0, 160);
  return `${l.location} ${l.status.toUpperCase()}${msg ? `: ${msg}` : ''}`;
}

/** One line: how many locations fail out of how many, and what the others say. */
export function aggregateMessage(locs: readonly LocationStatus[], status: CheckStateStatus, k: number): string {
  const n = locs.length;
  const bad = locs.filter((l) => isBad(l.status));
  const other = locs.filter((l) => l.status !== 'ok');
  const rule = `bad when ${k} of ${n} fail`;
  const details = other.map(describe).join('; ');
  if (status === 'ok') return other.length ? `OK: ${bad.length} of ${n} locations failing (${rule}); ${details}` : `OK from ${n} of ${n} location${n === 1 ? '' : 's'}`;
  if (status === 'pending') return `waiting for the first results from ${other.map((l) => l.location).join(', ')}`;
  if (status === 'unknown') return `cannot tell (${rule}): ${bad.length} failing, ${other.length - bad.length} unknown; ${details}`;
  return `${bad.length} of ${n} locations failing (${rule}); ${details}`;
}

/**
 * The check's overall state after its aggregate changed. Like a single location's state it has
 * a since, a hard since and transitions (the events alerting reacts to); unlike it, hardness
 * comes from the locations, and flapping is "some location flaps".
 */
export function nextOverallState(prev: CheckState, agg: Aggregate, at: number): ApplyOutcome {
  const changed = agg.status !== prev.status;
  const hardChanged = agg.hard !== prev.hard;
  const state: CheckState = {
    status: agg.status,
    hard: agg.hard,
    attempt: agg.attempt,
    since: agg.status === 'pending' ? prev.since : changed ? at : prev.since,
    hardSince: !agg.hard ? null : changed || hardChanged || prev.hardSince === null ? at : prev.hardSince,
    history: prev.history,
    flapping: agg.flapping,
    flapPercent: agg.flapPercent,
  };
  const out: ApplyOutcome = { state };
  if (agg.status !== 'pending' && (changed || hardChanged)) {
    const kind: Transition['kind'] = agg.status === 'ok' ? (prev.status === 'pending' ? 'hard' : 'recovery') : agg.hard ? 'hard' : 'soft';
    out.transition = { kind, from: { status: prev.status, hard: prev.hard }, to: { status: agg.status, hard: agg.hard, attempt: agg.attempt } };
  }
  if (agg.flapping !== prev.flapping) out.flappingChanged = agg.flapping;
  return out;
}
