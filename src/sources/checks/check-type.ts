import { z } from 'zod';
import { durationSchema } from '../../core/duration.js';
import { severitySchema } from '../../core/severity.js';
import type { CheckResult } from '../../core/check-result.js';
import type { Logger } from '../../lib/logger.js';

/**
 * Fields every check type shares, spread into each type's strict zod object:
 *   z.object({ type: z.literal('http'), ...checkCommonFields, url: … }).strict()
 * so that `kind: Check` specs form one discriminated union on `type`.
 */
export const checkCommonFields = {
  interval: durationSchema.default('60s').describe('how often the check runs, e.g. "30s"'),
  timeout: durationSchema.default('10s').describe('how long one run may take; must be shorter than interval'),
  attempts: z.number().int().min(1).max(20).default(3).describe('consecutive failures before the state is hard'),
  retryInterval: durationSchema.optional().describe('interval between runs while a failure is soft; defaults to interval'),
  severity: severitySchema.default('critical').describe('severity of the alert that a hard failure raises'),
  locations: z.array(z.string().min(1)).optional().describe('probe locations that run the check; default: the server itself'),
  minFailingLocations: z.number().int().min(1).optional().describe('bad when at least this many locations fail (k of n); default all'),
  runbook: z.string().optional().describe('name of the Runbook object, or a URL, that says what to do when this check fails'),
  disabled: z.boolean().default(false).describe('keep the check but do not run it'),
  watch: z
    .enum(['none', 'connection'])
    .optional()
    .describe(
      'connection: between runs, hold one idle TCP connection to the target (http, tcp, mysql, postgres, redis) and run the check at once when the target closes it and refuses a new one, instead of waiting for the next interval; default none',
    ),
};

export interface CheckRunContext {
  /** Aborted when the run's timeout passes or the server stops; probes must stop promptly. */
  signal: AbortSignal;
  /** The spec's timeout in milliseconds, for probes that pass it on (sockets, child processes). */
  timeoutMs: number;
  logger?: Logger;
  /** Epoch ms; injectable for tests. */
  now?: () => number;
}

/**
 * One check type: its spec schema and its probe. A probe never throws for a failing target:
 * it returns a CheckResult with status critical / warning / unknown and a message saying why.
 */
export interface CheckType<S extends { type: string }> {
  readonly type: S['type'];
  readonly specSchema: z.ZodType<S>;
  run(spec: S, cx: CheckRunContext): Promise<CheckResult>;
  /** The host the check talks to (per-host concurrency limits, evidence capture); undefined when none. */
  targetHost(spec: S): string | undefined;
  /** The TCP endpoint that `watch: connection` holds a connection to; absent for types without one. */
  watchTarget?(spec: S): WatchTarget | undefined;
}

export interface WatchTarget {
  host: string;
  port: number;
}
