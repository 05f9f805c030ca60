import type { CheckResult } from '../core/check-result.js';
import type { CheckRunContext, CheckType, WatchTarget } from '../sources/checks/check-type.js';
import type { CommonCheckSpec } from './check-kind.js';

/**
 * How the scheduler runs one type of check. Probes (CheckType) only see their spec; a runner
 * also knows the check's name, which the heartbeat type needs to find its beats.
 */
export interface CheckRunner {
  readonly type: string;
  run(name: string, spec: CommonCheckSpec, cx: CheckRunContext): Promise<CheckResult>;
  /** The host the check talks to: per-host concurrency limit and evidence capture. */
  targetHost(spec: CommonCheckSpec): string | undefined;
  /** The TCP endpoint `watch: connection` holds a connection to, when the type has one. */
  watchTarget?(spec: CommonCheckSpec): WatchTarget | undefined;
}

export function runnerFor<S extends { type: string }>(t: CheckType<S>): CheckRunner {
  return {
    type: t.type,
    // The spec was parsed by the Check kind's union on `type`, so it is this type's spec.
    run: (_name, spec, cx) => t.run(spec as unknown as S, cx),
    targetHost: (spec) => t.targetHost(spec as unknown as S),
    ...(t.watchTarget ? { watchTarget: (spec: CommonCheckSpec) => t.watchTarget!(spec as unknown as S) } : {}),
  };
}
