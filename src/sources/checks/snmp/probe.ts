/**
 * The snmp probe: GET the listed instances (and sysUpTime.0) in one request, walk the listed
 * subtrees with GETBULK, judge thresholds and expectations per value, keep numbers as metrics.
 * An agent that does not answer (down, firewalled, wrong community: v2c agents stay silent)
 * is CRITICAL after the retries; a missing OID is CRITICAL with the agent's noSuchObject.
 */
import { performance } from 'node:perf_hooks';
import { worstStatus, type CheckMetric, type CheckResult, type CheckStatus } from '../../../core/check-result.js';
import { formatDurationMs, parseDurationMs } from '../../../core/duration.js';
import type { CheckRunContext } from '../check-type.js';
import { DeadlineExceeded, RunDeadline, driverReason } from '../db/run-deadline.js';
import { formatNumber, judgeThresholds, withLimits, type Threshold } from '../db/thresholds.js';
import { hostPort } from '../tcp/index.js';
import type { SnmpCheckSpec } from './config.js';
import { netSnmp, type SnmpSession, type Varbind } from './net-snmp-api.js';
import { decodeVarbind, rowIndex, ticksText, type DecodedValue } from './varbind-value.js';

export const SYS_UPTIME_OID = '1.3.6.1.2.1.1.3.0';

function clip(text: string, max = 60): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

function openSession(spec: SnmpCheckSpec, attemptTimeoutMs: number): SnmpSession {
  const options = {
    port: spec.port,
    retries: spec.retries,
    timeout: attemptTimeoutMs,
    transport: spec.host.includes(':') ? ('udp6' as const) : ('udp4' as const),
  };
  if (spec.version === '2c') return netSnmp.createSession(spec.host, spec.community, { ...options, version: netSnmp.Version2c });
  const v3 = spec.v3!;
  const level = v3.privKey !== undefined ? netSnmp.SecurityLevel.authPriv : v3.authKey !== undefined ? netSnmp.SecurityLevel.authNoPriv : netSnmp.SecurityLevel.noAuthNoPriv;
  return netSnmp.createV3Session(
    spec.host,
    {
      name: v3.user,
      level,
      ...(v3.authKey !== undefined ? { authProtocol: netSnmp.AuthProtocols[v3.authProtocol], authKey: v3.authKey } : {}),
      ...(v3.privKey !== undefined ? { privProtocol: netSnmp.PrivProtocols[v3.privProtocol], privKey: v3.privKey } : {}),
    },
    { ...options, ...(v3.context !== undefined ? { context: v3.context } : {}) },
  );
}

function get(session: SnmpSession, oids: string[]): Promise<Varbind[]> {
  return new Promise((resolve, reject) => session.get(oids, (err, vbs) => (err ? reject(err) : resolve(vbs ?? []))));
}

function subtree(session: SnmpSession, oid: string, maxRows: number): Promise<{ rows: Varbind[]; truncated: boolean }> {
  return new Promise((resolve, reject) => {
    const rows: Varbind[] = [];
    let truncated = false;
    session.subtree(
      oid,
      20,
      (vbs) => {
        for (const vb of vbs) {
          if (netSnmp.isVarbindError(vb)) continue;
          if (rows.length >= maxRows) {
            truncated = true;
            return true;
          }
          rows.push(vb);
        }
        return false;
      },
      (err) => (err ? reject(err) : resolve({ rows, truncated })),
    );
  });
}

/** Words for the errors net-snmp raises, so a user knows where to look. */
function describeSnmpError(err: unknown, spec: SnmpCheckSpec): string {
  const name = (err as { name?: string }).name;
  const attempts = spec.retries + 1;
  if (name === 'RequestTimedOutError') {
    const hint = spec.version === '2c' ? 'agent down, port filtered, or wrong community' : 'agent down, port filtered, or unknown user / wrong keys';
    return `no answer after ${attempts} attempt${attempts === 1 ? '' : 's'} (${hint})`;
  }
  return driverReason(err);
}

interface Judged {
  status: CheckStatus;
  problems: string[];
}

function judgeNumber(label: string, value: number, warning: Threshold | undefined, critical: Threshold | undefined, out: Judged): void {
  const v = judgeThresholds(value, warning, critical);
  if (v.status !== 'ok') {
    out.status = worstStatus(out.status, v.status);
    out.problems.push(`${label} ${v.reason}`);
  }
}

export async function runSnmpCheck(spec: SnmpCheckSpec, cx: CheckRunContext): Promise<CheckResult> {
  const clock = cx.now ?? Date.now;
  const startedAt = clock();
  const t0 = performance.now();
  const deadline = new RunDeadline(cx);
  const where = hostPort(spec.host, spec.port);
  const head = `SNMP v${spec.version} ${where}`;
  const metrics: CheckMetric[] = [];
  // Every request gets all its attempts within the run's timeout, with a margin so that the
  // agent's silence is reported as such rather than as the run's own timeout.
  const attemptTimeoutMs = Math.max(100, Math.floor((cx.timeoutMs * 0.9) / (spec.retries + 1)));
  let session: SnmpSession | undefined;
  try {
    session = openSession(spec, attemptTimeoutMs);
    session.on('error', () => undefined);
    const judged: Judged = { status: 'ok', problems: [] };
    const shown: string[] = [];
    const values: Record<string, string | number> = {};

    deadline.phase = 'reading values (GET)';
    const oids = [...new Set([SYS_UPTIME_OID, ...spec.get.map((g) => g.oid)])];
    const vbs = await deadline.race(get(session, oids));
    const byOid = new Map(vbs.map((vb) => [vb.oid, decodeVarbind(vb)]));
    metrics.push({ name: 'response_ms', value: Math.round((performance.now() - t0) * 1000) / 1000, unit: 'ms', min: 0 });

    const uptime = byOid.get(SYS_UPTIME_OID);
    if (uptime?.kind === 'number') {
      metrics.push({ name: 'uptime_seconds', value: uptime.value / 100, unit: 's', min: 0 });
      const within = spec.restartedWithin === undefined ? undefined : parseDurationMs(spec.restartedWithin);
      if (within !== undefined && uptime.value * 10 < within) {
        judged.status = worstStatus(judged.status, 'warning');
        judged.problems.push(`agent restarted ${ticksText(uptime.value)} ago (sysUpTime below restartedWithin ${spec.restartedWithin})`);
      }
    }

    for (const g of spec.get) {
      const label = g.name ?? g.oid;
      const d: DecodedValue | undefined = byOid.get(g.oid);
      if (!d || d.kind === 'missing') {
        judged.status = worstStatus(judged.status, 'critical');
        judged.problems.push(`${label}: ${d?.value ?? 'no value in the response'}`);
        continue;
      }
      values[label] = d.value;
      if (d.kind === 'number') {
        metrics.push(withLimits({ name: label, value: d.value }, g.warning, g.critical));
        judgeNumber(label, d.value, g.warning, g.critical, judged);
        shown.push(`${label}=${d.type === 'TimeTicks' ? ticksText(d.value) : formatNumber(d.value)}`);
      } else {
        shown.push(`${label}="${clip(d.value)}"`);
        if (g.warning || g.critical) {
          judged.status = worstStatus(judged.status, 'unknown');
          judged.problems.push(`${label} is "${clip(d.value)}", not a number to compare with the thresholds`);
        }
      }
      const text = String(d.value);
      if (g.expect?.equals !== undefined && text !== String(g.expect.equals)) {
        judged.status = worstStatus(judged.status, 'critical');
        judged.problems.push(`${label} is "${clip(text)}", expected "${clip(String(g.expect.equals))}"`);
      }
      if (g.expect?.contains !== undefined && !text.includes(g.expect.contains)) {
        judged.status = worstStatus(judged.status, 'critical');
        judged.problems.push(`${label} is "${clip(text)}", which does not contain "${clip(g.expect.contains)}"`);
      }
    }

    for (const w of spec.walk) {
      const base = w.name ?? w.oid;
      deadline.phase = `walking ${base}`;
      const { rows, truncated } = await deadline.race(subtree(session, w.oid, w.maxRows));
      metrics.push({ name: `${base}_rows`, value: rows.length, min: 0 });
      shown.push(`${base}: ${rows.length}${truncated ? '+' : ''} row${rows.length === 1 ? '' : 's'}`);
      if (w.minRows !== undefined && rows.length < w.minRows) {
        judged.status = worstStatus(judged.status, 'critical');
        judged.problems.push(`${base} has ${rows.length} row${rows.length === 1 ? '' : 's'}, expected at least ${w.minRows}`);
      }
      const before = judged.problems.length;
      let unjudged = 0;
      for (const vb of rows) {
        const d = decodeVarbind(vb);
        const label = `${base}.${rowIndex(w.oid, vb.oid)}`;
        if (d.kind === 'number') {
          metrics.push(withLimits({ name: label, value: d.value }, w.warning, w.critical));
          judgeNumber(label, d.value, w.warning, w.critical, judged);
        } else {
          values[label] = d.value;
          if (w.warning || w.critical) unjudged++;
        }
      }
      if (unjudged) {
        judged.status = worstStatus(judged.status, 'unknown');
        judged.problems.push(`${unjudged} row${unjudged === 1 ? '' : 's'} of ${base} are not numbers to compare with the thresholds`);
      }
      // Many breaching rows (a switch with 48 ports) are summarised, not listed one by one.
      const added = judged.problems.splice(before);
      judged.problems.push(...added.slice(0, 5));
      if (added.length > 5) judged.problems.push(`and ${added.length - 5} more rows of ${base}`);
    }

    const totalMs = performance.now() - t0;
    metrics.push({ name: 'total_ms', value: Math.round(totalMs * 1000) / 1000, unit: 'ms', min: 0 });
    const detail = judged.problems.length ? judged.problems.join('; ') : shown.length ? shown.join(', ') : `answered in ${formatDurationMs(totalMs) || '0ms'}`;
    return {
      status: judged.status,
      message: `${head}: ${detail}`,
      startedAt,
      durationMs: totalMs,
      metrics,
      ...(Object.keys(values).length ? { evidence: { target: where, values } } : {}),
    };
  } catch (err) {
    const totalMs = performance.now() - t0;
    const reason = err instanceof DeadlineExceeded ? err.message : `${describeSnmpError(err, spec)} while ${deadline.phase}`;
    const status: CheckStatus = err instanceof DeadlineExceeded && !err.timedOut ? 'unknown' : 'critical';
    return { status, message: `${head}: ${reason}`, startedAt, durationMs: totalMs, metrics, evidence: { target: where } };
  } finally {
    deadline.dispose();
    try {
      session?.close();
    } catch {
      /* already closed */
    }
  }
}
