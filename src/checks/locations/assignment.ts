import type { CommonCheckSpec } from '../check-kind.js';

/** Where checks run when a spec names no locations: the server itself. */
export const DEFAULT_SERVER_LOCATION = 'local';

/**
 * Types whose probe only means something on the server: a heartbeat judges beats the server
 * receives, so it ignores `locations` and is never handed to a probe agent.
 */
export const SERVER_ONLY_TYPES: ReadonlySet<string> = new Set(['heartbeat']);

/** A location name as it appears in URLs, series labels and messages. */
export const LOCATION_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;

/** The locations a check runs from, without duplicates, in the order the spec lists them. */
export function checkLocations(spec: Pick<CommonCheckSpec, 'type' | 'locations'>, serverLocation = DEFAULT_SERVER_LOCATION): string[] {
  if (!spec.locations?.length || SERVER_ONLY_TYPES.has(spec.type)) return [serverLocation];
  return [...new Set(spec.locations)];
}

/**
 * Whether the check's state comes from several places (or from elsewhere than the server), so
 * that it is kept per location and aggregated; a check that runs only on the server is not.
 */
export function isDistributed(spec: Pick<CommonCheckSpec, 'type' | 'locations'>, serverLocation = DEFAULT_SERVER_LOCATION): boolean {
  const locs = checkLocations(spec, serverLocation);
  return !(locs.length === 1 && locs[0] === serverLocation);
}

export function runsOnServer(spec: Pick<CommonCheckSpec, 'type' | 'locations'>, serverLocation = DEFAULT_SERVER_LOCATION): boolean {
  return checkLocations(spec, serverLocation).includes(serverLocation);
}

/**
 * k of "bad when k of n locations fail": `minFailingLocations`, default every listed location
 * (one unreachable vantage point is a network problem of that place, not an outage), bounded
 * to 1..n.
 */
export function minFailingLocations(spec: Pick<CommonCheckSpec, 'type' | 'locations' | 'minFailingLocations'>, serverLocation = DEFAULT_SERVER_LOCATION): number {
  const n = checkLocations(spec, serverLocation).length;
  return Math.min(n, Math.max(1, spec.minFailingLocations ?? n));
}

export interface AssignableCheck<S extends CommonCheckSpec = CommonCheckSpec> {
  name: string;
  labels: Record<string, string>;
  spec: S;
}

/** The enabled checks a probe at `location` must run, sorted by name. The server's own location gets none. */
export function assignmentsFor<S extends CommonCheckSpec>(location: string, checks: Iterable<AssignableCheck<S>>, serverLocation = DEFAULT_SERVER_LOCATION): AssignableCheck<S>[] {
  if (location === serverLocation) return [];
  const out: AssignableCheck<S>[] = [];
  for (const c of checks) {
    if (c.spec.disabled || SERVER_ONLY_TYPES.has(c.spec.type)) continue;
    if (checkLocations(c.spec, serverLocation).includes(location)) out.push(c);
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
