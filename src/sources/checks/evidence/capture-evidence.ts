/**
 * When a check turns bad, what did the path to the host look like at that moment? Runs
 * `ping -c 3 -W 1` and `tracepath -n -m 10` side by side, each bounded in time and output, and
 * returns their text for the incident record. Never throws: a tool that is missing, fails or
 * runs out of time yields what it printed plus a note saying why it stopped.
 */
import { isHostArg } from './host-arg.js';
import { formatDurationMs } from '../../../core/duration.js';
import { runBounded, type RunBoundedResult } from '../command/index.js';

export interface EvidenceOptions {
  signal?: AbortSignal;
  /** Budget for each tool; both run at the same time. */
  timeoutMs: number;
  /** Bytes of output kept per tool; default 8 KiB. */
  maxOutputBytes?: number;
  /** Program paths, for tests and for hosts where they live elsewhere. */
  pingPath?: string;
  tracepathPath?: string;
}

export interface CapturedEvidence {
  ping?: string;
  traceroute?: string;
}

function describeRun(tool: string, r: RunBoundedResult, timeoutMs: number): string | undefined {
  if (r.spawnError) return `${tool} could not be run: ${r.spawnError.code === 'ENOENT' ? 'not installed' : r.spawnError.message}`;
  let text = (r.stdout + (r.stderr ? `\n${r.stderr}` : '')).trim();
  if (r.stdoutTruncated) text += '\n[output truncated]';
  if (r.timedOut) text += `\n[${tool} stopped after ${formatDurationMs(timeoutMs)}]`;
  else if (r.aborted) text += `\n[${tool} cancelled]`;
  else if (r.exitCode !== 0 && r.exitCode !== null && !text) text = `${tool} exited with code ${r.exitCode}`;
  return text.trim() || undefined;
}

export async function captureEvidence(host: string, opts: EvidenceOptions): Promise<CapturedEvidence> {
  if (!isHostArg(host)) return {};
  const common = {
    timeoutMs: opts.timeoutMs,
    maxStdoutBytes: opts.maxOutputBytes ?? 8 * 1024,
    maxStderrBytes: 2 * 1024,
    ...(opts.signal ? { signal: opts.signal } : {}),
  };
  try {
    const [ping, trace] = await Promise.all([
      runBounded({ argv: [opts.pingPath ?? 'ping', '-n', '-c', '3', '-W', '1', '--', host], ...common }),
      runBounded({ argv: [opts.tracepathPath ?? 'tracepath', '-n', '-m', '10', '--', host], ...common }),
    ]);
    const out: CapturedEvidence = {};
    const p = describeRun('ping', ping, opts.timeoutMs);
    const t = describeRun('tracepath', trace, opts.timeoutMs);
    if (p) out.ping = p;
    if (t) out.traceroute = t;
    return out;
  } catch {
    // runBounded does not reject; this guards the promise contract against the unforeseen.
    return {};
  }
}
