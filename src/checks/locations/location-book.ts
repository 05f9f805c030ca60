import { initialState, type CheckState } from '../state-machine.js';
import type { LocationStatus } from './aggregate.js';

/** How many intervals a location may stay quiet before it counts as UNKNOWN. */
export const SILENT_AFTER_INTERVALS = 3;

export interface LocationRun {
  status: 'ok' | 'warning' | 'critical' | 'unknown';
  message: string;
  startedAt: number;
  durationMs: number;
}

/** One location's view of one check. */
export interface LocationTrack {
  location: string;
  state: CheckState;
  lastRun: LocationRun | null;
  /** Server time of the latest result from there, or when the server began to expect one. */
  lastReportAt: number;
  /** Set while the location is silent: since when it has been quiet (= lastReportAt then). */
  silentSince: number | null;
  /** Start time of the newest result applied to the state; older ones are stored, not applied. */
  newestStartedAt: number;
  /** Run ids seen lately, so a batch pushed twice changes the state once. */
  recentRunIds: Set<string>;
}

const RECENT_RUN_IDS = 512;

/**
 * The per-location states of one check that runs from several places. Locations join and leave
 * with the spec; each keeps its own soft/hard state machine, and one that has not reported for
 * SILENT_AFTER_INTERVALS intervals is marked silent (UNKNOWN) by `sweep`.
 */
export class LocationBook {
  readonly #tracks = new Map<string, LocationTrack>();

  constructor(locations: readonly string[], now: number) {
    this.sync(locations, now);
  }

  /** Follows a spec change: new locations start pending (with a fresh silence clock), dropped ones are forgotten. */
  sync(locations: readonly string[], now: number): void {
    for (const l of [...this.#tracks.keys()]) if (!locations.includes(l)) this.#tracks.delete(l);
    for (const l of locations) {
      if (!this.#tracks.has(l)) this.#tracks.set(l, { location: l, state: initialState(), lastRun: null, lastReportAt: now, silentSince: null, newestStartedAt: -Infinity, recentRunIds: new Set() });
    }
    // Keep the spec's order, which is the order the API shows.
    const ordered = locations.map((l) => this.#tracks.get(l)!);
    this.#tracks.clear();
    for (const t of ordered) this.#tracks.set(t.location, t);
  }

  get(location: string): LocationTrack | undefined {
    return this.#tracks.get(location);
  }

  has(location: string): boolean {
    return this.#tracks.has(location);
  }

  all(): LocationTrack[] {
    return [...this.#tracks.values()];
  }

  /** Every silence clock restarts (after a server restart: probes could not report meanwhile). */
  resetSilenceClocks(now: number): void {
    for (const t of this.#tracks.values()) t.lastReportAt = now;
  }

  /** Notes a run id; false when it was seen already. */
  remember(track: LocationTrack, runId: string): boolean {
    if (track.recentRunIds.has(runId)) return false;
    track.recentRunIds.add(runId);
    if (track.recentRunIds.size > RECENT_RUN_IDS) track.recentRunIds.delete(track.recentRunIds.values().next().value!);
    return true;
  }

  /** The locations that have just fallen silent: quiet for longer than `silentAfterMs`, and not marked yet. */
  newlySilent(now: number, silentAfterMs: number, except?: string): LocationTrack[] {
    return this.all().filter((t) => t.location !== except && t.silentSince === null && now - t.lastReportAt > silentAfterMs);
  }

  statuses(): LocationStatus[] {
    return this.all().map((t) => ({
      location: t.location,
      status: t.state.status,
      hard: t.state.hard,
      attempt: t.state.attempt,
      flapping: t.state.flapping,
      flapPercent: t.state.flapPercent,
      message: t.lastRun?.message ?? null,
    }));
  }
}

/** A silent location's state: UNKNOWN and hard at once (its silence already lasted three intervals). */
export function silentState(prev: CheckState, at: number): CheckState {
  const same = prev.status === 'unknown';
  return { ...prev, status: 'unknown', hard: true, attempt: Math.max(1, prev.attempt), since: same ? prev.since : at, hardSince: same && prev.hard ? prev.hardSince : at };
}

export function silentMessage(location: string, since: number): string {
  return `probe ${location} silent since ${new Date(since).toISOString()}`;
}
