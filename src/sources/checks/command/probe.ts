import type { CheckResult } from '../../../core/check-result.js';
import type { CheckRunContext } from '../check-type.js';
import { commandArgv, type CommandCheckSpec } from './config.js';
import { interpretPluginRun } from './plugin-result.js';
import { baseChildEnv, runBounded } from './run-bounded.js';

export async function runCommandCheck(spec: CommandCheckSpec, cx: CheckRunContext): Promise<CheckResult> {
  const now = cx.now ?? Date.now;
  const startedAt = now();
  const argv = commandArgv(spec);
  const run = await runBounded({
    argv,
    env: { ...baseChildEnv(), ...spec.env },
    ...(spec.cwd ? { cwd: spec.cwd } : {}),
    timeoutMs: cx.timeoutMs,
    signal: cx.signal,
    maxStdoutBytes: spec.maxOutputBytes,
  });
  const verdict = interpretPluginRun(
    { ...run, timeoutMs: cx.timeoutMs, program: spec.shell ? 'shell command' : argv[0]! },
    spec.timeoutStatus,
  );
  return {
    status: verdict.status,
    message: verdict.message,
    startedAt,
    durationMs: Math.round(run.durationMs),
    metrics: verdict.metrics,
    ...(verdict.evidence ? { evidence: verdict.evidence } : {}),
  };
}
