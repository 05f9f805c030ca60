import type { CheckResult, CheckStatus } from '../../core/check-result.js';
import type { CheckRunContext } from '../../sources/checks/check-type.js';
import type { CommonCheckSpec } from '../check-kind.js';
import type { CheckRunner } from '../check-runner.js';
import type { Clock } from '../../lib/clock.js';

export interface FakeRun {
  name: string;
  startedAt: number;
  endedAt?: number;
}

/**
 * A check type for scheduler tests: `spec.type: fake`, target host from `labels`-free spec field
 * `host`, and a behaviour per check name: a status after some (fake) milliseconds, or a hang.
 */
export class FakeProbe implements CheckRunner {
  readonly type = 'fake';
  readonly runs: FakeRun[] = [];
  inFlight = 0;
  maxInFlight = 0;
  /** Per check: what the next runs return. Default: ok after 10 ms. */
  behaviour = new Map<string, { status?: CheckStatus; delayMs?: number; hang?: 'ignore-abort' | 'honour-abort'; throws?: boolean }>();

  constructor(private readonly clock: Clock) {}

  targetHost(spec: CommonCheckSpec): string | undefined {
    return (spec as { host?: string }).host;
  }

  watchTarget(spec: CommonCheckSpec): { host: string; port: number } | undefined {
    const host = (spec as { host?: string }).host;
    return host ? { host, port: 80 } : undefined;
  }

  run(name: string, _spec: CommonCheckSpec, cx: CheckRunContext): Promise<CheckResult> {
    const b = this.behaviour.get(name) ?? {};
    const run: FakeRun = { name, startedAt: this.clock.now() };
    this.runs.push(run);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    const done = (status: CheckStatus, message: string): CheckResult => {
      this.inFlight--;
      run.endedAt = this.clock.now();
      return { status, message, startedAt: run.startedAt, durationMs: run.endedAt - run.startedAt, metrics: [{ name: 'answer_ms', value: 12, unit: 'ms' }] };
    };
    if (b.throws) {
      this.inFlight--;
      throw new Error('probe bug');
    }
    return new Promise((resolve) => {
      if (b.hang === 'ignore-abort') return;
      if (b.hang === 'honour-abort') {
        cx.signal.addEventListener('abort', () => resolve(done('critical', `gave up: ${(cx.signal.reason as Error).message}`)));
        return;
      }
      this.clock.setTimer(() => resolve(done(b.status ?? 'ok', `fake ${b.status ?? 'ok'}`)), b.delayMs ?? 10);
    });
  }

  startsOf(name: string): number[] {
    return this.runs.filter((r) => r.name === name).map((r) => r.startedAt);
  }
}

export function fakeSpec(extra: Partial<CommonCheckSpec> & { host?: string } = {}): CommonCheckSpec & { host?: string } {
  return { type: 'fake', interval: '10s', timeout: '2s', attempts: 3, severity: 'critical', disabled: false, ...extra };
}
