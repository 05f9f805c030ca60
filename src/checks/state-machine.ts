import type { CheckStatus } from '../core/check-result.js';

/**
 * A check's state, Nagios style: a problem is SOFT while fewer than `attempts` consecutive runs
 * have failed (it may be a blip; the scheduler retries at the retry interval) and HARD once they
 * have (alerts fire on hard states). `pending` means the check has not run yet.
 */
export type CheckStateStatus = CheckStatus | 'pending';

export interface CheckState {
  status: CheckStateStatus;
  hard: boolean;
  /** Consecutive non-OK runs in the current problem; 0 while OK. */
  attempt: number;
  /** When the status last changed (epoch ms); null while pending. */
  since: number | null;
  /** When the current state became hard; null while soft or pending. */
  hardSince: number | null;
  /** Statuses of the latest runs, oldest first, at most FLAP_WINDOW. */
  history: CheckStatus[];
  flapping: boolean;
  /** Weighted percentage of state changes over the history (Nagios flap detection). */
  flapPercent: number;
}

export type TransitionKind = 'soft' | 'hard' | 'recovery';

export interface Transition {
  kind: TransitionKind;
  from: { status: CheckStateStatus; hard: boolean };
  to: { status: CheckStatus; hard: boolean; attempt: number };
}

export interface FlapThresholds {
  /** Flapping starts when the percentage rises above this. */
  high: number;
  /** Flapping stops when it falls below this. */
  low: number;
}

/** Nagios keeps 21 results: 20 possible changes between them. */
export const FLAP_WINDOW = 21;
/** Icinga 2's defaults: start above 30 %, stop below 25 %. */
export const DEFAULT_FLAP_THRESHOLDS: FlapThresholds = { high: 30, low: 25 };

export function initialState(): CheckState {
  return { status: 'pending', hard: true, attempt: 0, since: null, hardSince: null, history: [], flapping: false, flapPercent: 0 };
}

/**
 * Percent state change over the history, newer changes weighing more (0.8 for the oldest
 * possible change up to 1.2 for the newest), as Nagios computes it; 100 % = a change every run.
 */
export function flapPercent(history: readonly CheckStatus[]): number {
  const changes = FLAP_WINDOW - 1;
  const offset = changes - (history.length - 1);
  let weighted = 0;
  for (let i = 1; i < history.length; i++) {
    if (history[i] === history[i - 1]) continue;
    const pos = i - 1 + offset;
    weighted += 0.8 + (0.4 * pos) / (changes - 1);
  }
  return Math.round((weighted / changes) * 1000) / 10;
}

export interface ApplyOutcome {
  state: CheckState;
  /** Set when status or hardness changed: the event other capabilities react to. */
  transition?: Transition;
  /** Set when flapping started (true) or stopped (false) with this result. */
  flappingChanged?: boolean;
}

/** The state after one more result. Pure: the caller stores the state and emits the events. */
export function applyResult(
  prev: CheckState,
  result: { status: CheckStatus; at: number },
  attempts: number,
  flap: FlapThresholds = DEFAULT_FLAP_THRESHOLDS,
): ApplyOutcome {
  const { status, at } = result;
  const history = [...prev.history, status].slice(-FLAP_WINDOW);
  const pct = flapPercent(history);
  const flapping = prev.flapping ? pct >= flap.low : pct > flap.high;
  const base = { history, flapPercent: pct, flapping };
  const wasOk = prev.status === 'ok' || prev.status === 'pending';
  const from = { status: prev.status, hard: prev.hard };
  let state: CheckState;
  let transition: Transition | undefined;

  if (status === 'ok') {
    state = { ...base, status: 'ok', hard: true, attempt: 0, since: prev.status === 'ok' ? prev.since : at, hardSince: prev.status === 'ok' ? prev.hardSince : at };
    if (prev.status !== 'ok') transition = { kind: prev.status === 'pending' ? 'hard' : 'recovery', from, to: { status, hard: true, attempt: 0 } };
  } else if (wasOk) {
    const hard = attempts <= 1;
    state = { ...base, status, hard, attempt: 1, since: at, hardSince: hard ? at : null };
    transition = { kind: hard ? 'hard' : 'soft', from, to: { status, hard, attempt: 1 } };
  } else {
    const attempt = prev.attempt + 1;
    const hard = prev.hard || attempt >= attempts;
    const changed = status !== prev.status;
    const becameHard = hard && !prev.hard;
    state = {
      ...base,
      status,
      hard,
      attempt,
      since: changed ? at : prev.since,
      hardSince: becameHard || (hard && changed) ? at : prev.hardSince,
    };
    if (changed || becameHard) transition = { kind: hard ? 'hard' : 'soft', from, to: { status, hard, attempt } };
  }
  const out: ApplyOutcome = { state };
  if (transition) out.transition = transition;
  if (flapping !== prev.flapping) out.flappingChanged = flapping;
  return out;
}

/** What one result row keeps of the state, so the state can be rebuilt from the latest row. */
export interface PersistedState {
  status: CheckStateStatus;
  hard: boolean;
  attempt: number;
  since: number | null;
  hardSince: number | null;
  flapping: boolean;
}

export function persistedState(s: CheckState): PersistedState {
  return { status: s.status, hard: s.hard, attempt: s.attempt, since: s.since, hardSince: s.hardSince, flapping: s.flapping };
}

/**
 * Rebuilds a state from stored results (oldest first). The newest row's recorded state wins
 * where present; otherwise the results are replayed through the machine.
 */
export function restoreState(rows: readonly { status: CheckStatus; at: number; state?: unknown }[], attempts: number, flap: FlapThresholds = DEFAULT_FLAP_THRESHOLDS): CheckState {
  let s = initialState();
  for (const r of rows) s = applyResult(s, r, attempts, flap).state;
  const last = rows.at(-1)?.state;
  if (isPersistedState(last)) {
    s = { ...s, status: last.status, hard: last.hard, attempt: last.attempt, since: last.since, hardSince: last.hardSince, flapping: last.flapping };
  }
  return s;
}

function isPersistedState(v: unknown): v is PersistedState {
  if (!v || typeof v !== 'object') return false;
  const p = v as Record<string, unknown>;
  return (
    typeof p.status === 'string' &&
    ['ok', 'warning', 'critical', 'unknown', 'pending'].includes(p.status) &&
    typeof p.hard === 'boolean' &&
    typeof p.attempt === 'number' &&
    (p.since === null || typeof p.since === 'number') &&
    (p.hardSince === null || typeof p.hardSince === 'number') &&
    typeof p.flapping === 'boolean'
  );
}
