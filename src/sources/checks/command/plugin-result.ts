/**
 * Turns one finished plugin run into a check result, per the Nagios plugin API: exit 0/1/2/3 →
 * OK/WARNING/CRITICAL/UNKNOWN; any other code, a signal, a timeout, or a program that could not
 * start → UNKNOWN (Nagios core does the same). The first stdout line is the message, later lines
 * are long output, perfdata after "|" becomes metrics.
 */
import { STATUS_FROM_CODE, type CheckEvidence, type CheckMetric, type CheckStatus } from '../../../core/check-result.js';
import { formatDurationMs } from '../../../core/duration.js';
import { parsePerfdata, perfdataToMetrics, splitPluginOutput } from '../../../core/perfdata.js';

export interface PluginRun {
  exitCode: number | null;
  exitSignal?: NodeJS.Signals | null;
  stdout: string;
  stderr?: string;
  stdoutTruncated?: boolean;
  timedOut?: boolean;
  timeoutMs?: number;
  aborted?: boolean;
  spawnError?: NodeJS.ErrnoException;
  /** The program as the user wrote it, for messages. */
  program?: string;
}

export interface PluginVerdict {
  status: CheckStatus;
  message: string;
  metrics: CheckMetric[];
  evidence?: CheckEvidence;
}

const MAX_MESSAGE_CHARS = 1024;

function firstLine(text: string): string {
  return (text.split('\n').find((l) => l.trim() !== '') ?? '').trim();
}

export function interpretPluginRun(run: PluginRun, timeoutStatus: CheckStatus = 'unknown'): PluginVerdict {
  const program = run.program ?? 'command';
  if (run.spawnError) {
    const code = run.spawnError.code;
    const why =
      code === 'ENOENT'
        ? `${program}: no such file (check the path; commands are not looked up through a shell)`
        : code === 'EACCES'
          ? `${program}: permission denied (is it executable?)`
          : `${program} could not be started: ${run.spawnError.message}`;
    return { status: 'unknown', message: why, metrics: [] };
  }
  const out = splitPluginOutput(run.stdout);
  const { items, invalid } = parsePerfdata(out.perfdata);
  const metrics = perfdataToMetrics(items);
  const evidence: CheckEvidence = {};
  if (out.longOutput) evidence.longOutput = out.longOutput;
  if (run.stderr?.trim()) evidence.stderr = run.stderr.trim();
  if (invalid.length) evidence.invalidPerfdata = invalid;
  if (run.stdoutTruncated) evidence.stdoutTruncated = true;
  const withEvidence = (v: PluginVerdict): PluginVerdict => (Object.keys(evidence).length ? { ...v, evidence } : v);

  if (run.timedOut) {
    const after = run.timeoutMs !== undefined ? formatDurationMs(run.timeoutMs) : 'its timeout';
    const partial = out.text ? ` (last output: ${out.text.slice(0, 200)})` : '';
    return withEvidence({ status: timeoutStatus, message: `${program} timed out after ${after}; its process group was killed${partial}`, metrics });
  }
  if (run.aborted) {
    return withEvidence({ status: 'unknown', message: `${program} was stopped before it finished (check run cancelled)`, metrics });
  }
  let text = out.text;
  if (!text) {
    const errLine = firstLine(run.stderr ?? '');
    text = errLine ? `(no output on stdout) stderr: ${errLine}` : '(no output returned from plugin)';
  }
  if (text.length > MAX_MESSAGE_CHARS) text = `${text.slice(0, MAX_MESSAGE_CHARS)}…`;
  if (run.exitCode === null) {
    const sig = run.exitSignal ?? 'a signal';
    return withEvidence({ status: 'unknown', message: `${program} was killed by ${sig}: ${text}`, metrics });
  }
  const status = STATUS_FROM_CODE[run.exitCode];
  if (status === undefined) {
    const hint = run.exitCode === 126 ? ' (not executable)' : run.exitCode === 127 ? ' (command not found)' : '';
    return withEvidence({ status: 'unknown', message: `${program} exited with code ${run.exitCode}${hint}, not 0-3: ${text}`, metrics });
  }
  return withEvidence({ status, message: text, metrics });
}
