import type { CheckMetric, CheckResult, CheckStatus } from '../../../core/check-result.js';
import { runBounded } from '../command/index.js';
import type { CheckRunContext } from '../check-type.js';
import type { IcmpCheckSpec } from './config.js';
import { parsePingOutput, type PingSummary } from './parse-ping.js';

export interface IcmpProbeOptions {
  /** The ping program (iputils-ping); default `ping` on PATH. */
  pingPath?: string;
}

const INTERVAL_S = 0.2;

/** ping argv for a spec: a fixed number of probes, and a reply wait that fits in the timeout. */
export function pingArgv(spec: IcmpCheckSpec, timeoutMs: number, pingPath = 'ping'): string[] {
  const sendingMs = (spec.count - 1) * INTERVAL_S * 1000;
  // Leave a little of the budget for process start and exit so ping reports its own summary.
  const waitS = Math.min(2, Math.max(0.2, (timeoutMs - sendingMs - 300) / 1000));
  const argv = [pingPath, '-n', '-c', String(spec.count), '-i', String(INTERVAL_S), '-W', waitS.toFixed(1)];
  if (spec.family === 'ipv4') argv.push('-4');
  if (spec.family === 'ipv6') argv.push('-6');
  if (spec.packetSize !== undefined) argv.push('-s', String(spec.packetSize));
  argv.push('--', spec.host);
  return argv;
}

function levelReached(level: IcmpCheckSpec['warning'], s: PingSummary): string | undefined {
  if (level.lossPercent !== undefined && s.lossPercent >= level.lossPercent) return `loss ${s.lossPercent}% ≥ ${level.lossPercent}%`;
  if (level.rttMs !== undefined && s.rtt && s.rtt.avgMs >= level.rttMs) return `rtt avg ${s.rtt.avgMs} ms ≥ ${level.rttMs} ms`;
  return undefined;
}

export function summarizePing(spec: IcmpCheckSpec, s: PingSummary): { status: CheckStatus; message: string; metrics: CheckMetric[] } {
  const crit = levelReached(spec.critical, s);
  const warn = crit ? undefined : levelReached(spec.warning, s);
  const status: CheckStatus = crit ? 'critical' : warn ? 'warning' : 'ok';
  let message = `PING ${spec.host}: ${s.lossPercent}% packet loss (${s.received}/${s.transmitted} answered)`;
  if (s.rtt) message += `, rtt min/avg/max ${s.rtt.minMs}/${s.rtt.avgMs}/${s.rtt.maxMs} ms`;
  if (s.icmpErrors.length) message += `; ${s.icmpErrors.join(', ')}`;
  if (crit) message += ` — critical: ${crit}`;
  else if (warn) message += ` — warning: ${warn}`;
  const lim = (v: number | undefined): { warn?: string } => (v === undefined ? {} : { warn: String(v) });
  const climit = (v: number | undefined): { crit?: string } => (v === undefined ? {} : { crit: String(v) });
  const metrics: CheckMetric[] = [
    { name: 'loss_percent', value: s.lossPercent, unit: '%', ...lim(spec.warning.lossPercent), ...climit(spec.critical.lossPercent), min: 0, max: 100 },
    { name: 'packets_sent', value: s.transmitted },
    { name: 'packets_received', value: s.received },
  ];
  if (s.rtt) {
    metrics.push(
      { name: 'rtt_avg_ms', value: s.rtt.avgMs, unit: 'ms', ...lim(spec.warning.rttMs), ...climit(spec.critical.rttMs), min: 0 },
      { name: 'rtt_min_ms', value: s.rtt.minMs, unit: 'ms', min: 0 },
      { name: 'rtt_max_ms', value: s.rtt.maxMs, unit: 'ms', min: 0 },
    );
  }
  return { status, message, metrics };
}

export async function runIcmpCheck(spec: IcmpCheckSpec, cx: CheckRunContext, opts: IcmpProbeOptions = {}): Promise<CheckResult> {
  const startedAt = (cx.now ?? Date.now)();
  const run = await runBounded({ argv: pingArgv(spec, cx.timeoutMs, opts.pingPath), timeoutMs: cx.timeoutMs, signal: cx.signal, maxStdoutBytes: 32 * 1024 });
  const base = { startedAt, durationMs: Math.round(run.durationMs) };
  const excerpt = (run.stdout + run.stderr).trim().slice(-2000);
  if (run.spawnError) {
    return { ...base, status: 'unknown', message: `cannot run ping (install iputils-ping): ${run.spawnError.message}`, metrics: [] };
  }
  if (run.aborted) return { ...base, status: 'unknown', message: `ping ${spec.host} was stopped before it finished (check run cancelled)`, metrics: [] };
  const summary = parsePingOutput(run.stdout);
  if (!summary) {
    // No statistics: ping gave up before sending (unknown host, no route, bad address) or ran out of time.
    const why = run.timedOut
      ? `no answer within ${cx.timeoutMs} ms`
      : (run.stderr.trim().split('\n').pop() ?? '').replace(/^ping: /, '') || `ping exited with code ${run.exitCode}`;
    return { ...base, status: 'critical', message: `PING ${spec.host}: ${why}`, metrics: [], evidence: { responseExcerpt: excerpt } };
  }
  const v = summarizePing(spec, summary);
  return { ...base, ...v, ...(v.status === 'ok' ? {} : { evidence: { responseExcerpt: excerpt } }) };
}
