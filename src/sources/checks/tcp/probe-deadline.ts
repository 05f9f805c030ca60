/**
 * One run's deadline and the phase the probe is in, so that a target that hangs ends the run
 * cleanly with a message saying where it hung ("timed out after 10 s while waiting for the
 * first byte"), and a run cancelled from outside (server stopping) is told apart from a timeout.
 */
import type { CheckStatus } from '../../../core/check-result.js';
import type { CertificateSummary } from './certificate.js';
import type { CheckRunContext } from '../check-type.js';
import { formatSeconds } from './probe-text.js';

/** What the probe was doing, worded to follow "while": "while waiting for the first byte". */
export type ProbePhase =
  | 'resolving the host name'
  | 'connecting'
  | 'doing the TLS handshake'
  | 'sending the request'
  | 'waiting for the first byte'
  | 'reading the response headers'
  | 'reading the body'
  | 'waiting for the banner'
  | 'closing';

/** What a probe had measured or received when it failed, kept for metrics and evidence. */
export interface ProbeFailureDetails {
  /** Bytes the peer sent before the failure (a garbage response, a partial banner). */
  received?: Buffer;
  certificate?: CertificateSummary;
  timings?: { dnsMs?: number; connectMs?: number; tlsMs?: number };
  cause?: unknown;
}

/**
 * A failure the probe already understands: carries the status and the one-line message, and
 * whatever the probe had measured or received when it failed. Thrown inside a probe, turned
 * into a CheckResult at its top; it never leaves `run`.
 */
export class ProbeFailure extends Error {
  readonly details: ProbeFailureDetails;
  constructor(
    readonly status: CheckStatus,
    message: string,
    details: ProbeFailureDetails = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'ProbeFailure';
    this.details = details;
  }
}

export class ProbeDeadline {
  /** Aborts when the spec's timeout passes or the caller cancels the run. */
  readonly signal: AbortSignal;
  readonly timeoutMs: number;
  phase: ProbePhase = 'connecting';
  private readonly ownTimeout: AbortSignal;
  private readonly outer: AbortSignal;

  constructor(cx: Pick<CheckRunContext, 'signal' | 'timeoutMs'>) {
    this.timeoutMs = cx.timeoutMs;
    // Our own timer too: the probe must end on time even if the caller's signal never fires.
    this.ownTimeout = AbortSignal.timeout(Math.max(1, cx.timeoutMs));
    this.outer = cx.signal;
    this.signal = AbortSignal.any([cx.signal, this.ownTimeout]);
  }

  get aborted(): boolean {
    return this.signal.aborted;
  }

  /** True when the abort is the run's timeout (ours, or the caller's AbortSignal.timeout). */
  get timedOut(): boolean {
    if (this.ownTimeout.aborted) return true;
    const reason: unknown = this.outer.reason;
    return this.outer.aborted && reason instanceof Error && reason.name === 'TimeoutError';
  }

  /** The failure to report once `signal` has aborted; `target` names what we talked to. */
  abortFailure(target: string, details: ProbeFailureDetails = {}): ProbeFailure {
    if (this.timedOut) {
      return new ProbeFailure('critical', `timed out after ${formatSeconds(this.timeoutMs)} while ${this.phase} ${phaseJoiner(this.phase)} ${target}`, details);
    }
    return new ProbeFailure('unknown', `check cancelled while ${this.phase} ${phaseJoiner(this.phase)} ${target} (the server may be stopping)`, details);
  }

  /** Throws the abort failure when the deadline has passed; for checkpoints between awaits. */
  throwIfAborted(target: string): void {
    if (this.aborted) throw this.abortFailure(target);
  }
}

/** "connecting to host", "waiting for the first byte from url", "sending the request to url". */
export function phaseJoiner(phase: ProbePhase): string {
  switch (phase) {
    case 'connecting':
    case 'sending the request':
    case 'closing':
      return 'to';
    case 'resolving the host name':
      return 'of';
    case 'doing the TLS handshake':
      return 'with';
    default:
      return 'from';
  }
}
