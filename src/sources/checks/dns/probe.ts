/**
 * The dns probe. With `server`, asks that one server. With `authoritative: true`, finds every
 * authoritative server of the zone and asks each of them, directly and without recursion; a
 * problem at any one of them is a problem of the zone (a resolver somewhere will ask exactly that
 * server), and servers that serve different SOA serials are reported by name and address.
 */
import { worstStatus, type CheckMetric, type CheckResult, type CheckStatus } from '../../../core/check-result.js';
import type { CheckRunContext } from '../check-type.js';
import { assessAnswer, type AnswerExpectation } from './assess-answer.js';
import { findNameServers, findZone, type NameServer } from './authoritative-servers.js';
import { queryName, type DnsCheckSpec } from './config.js';
import { answersOfType, soaSerial } from './rdata.js';
import { formatServerAddress, parseServerAddress, type ServerAddress } from './server-address.js';
import { queryServer, type QueryOptions, type QueryOutcome } from './transport.js';

function ms(v: number): string {
  return v < 10 ? v.toFixed(1) : String(Math.round(v));
}

function expectationOf(spec: DnsCheckSpec): AnswerExpectation {
  const e = spec.expect;
  return {
    rcode: e.rcode,
    ...(e.answers ? { answers: e.answers } : {}),
    ...(e.contains ? { contains: e.contains } : {}),
    minAnswers: e.minAnswers ?? (e.rcode.includes('NOERROR') && e.rcode.length === 1 ? 1 : 0),
    requireAuthoritative: e.authoritativeAnswer ?? spec.authoritative,
  };
}

function rttStatus(spec: DnsCheckSpec, rttMs: number): { status: CheckStatus; note?: string } {
  if (spec.critical?.rttMs !== undefined && rttMs > spec.critical.rttMs) return { status: 'critical', note: `slower than ${spec.critical.rttMs} ms` };
  if (spec.warning?.rttMs !== undefined && rttMs > spec.warning.rttMs) return { status: 'warning', note: `slower than ${spec.warning.rttMs} ms` };
  return { status: 'ok' };
}

function excerptOf(label: string, o: QueryOutcome, answers: string[]): string {
  if (!o.ok) return `${label}: ${o.error}`;
  const flags = [o.packet.flag_aa ? 'aa' : '', o.truncatedUdp ? 'tc→tcp' : ''].filter(Boolean).join(' ');
  return `${label}: ${o.rcode}${flags ? ` (${flags})` : ''} ${answers.join(', ')}`.trim();
}

const failStatus = (o: Extract<QueryOutcome, { ok: false }>): CheckStatus => (o.kind === 'aborted' ? 'unknown' : 'critical');

type Verdict = Pick<CheckResult, 'status' | 'message' | 'metrics' | 'evidence'>;

async function checkOneServer(spec: DnsCheckSpec, server: ServerAddress, opts: QueryOptions): Promise<Verdict> {
  const qname = queryName(spec);
  const label = formatServerAddress(server);
  const o = await queryServer(server, { name: qname, type: spec.recordType, recursionDesired: spec.recursionDesired }, opts);
  const head = `${qname} ${spec.recordType} at ${label}`;
  if (!o.ok) return { status: failStatus(o), message: `${head}: ${o.error}`, metrics: [] };
  const a = assessAnswer(o, qname, spec.recordType, expectationOf(spec));
  const metrics: CheckMetric[] = [
    { name: 'rtt_ms', value: o.rttMs, unit: 'ms', min: 0 },
    { name: 'answers', value: a.answers.length, min: 0 },
  ];
  const evidence = { responseExcerpt: excerptOf(label, o, a.answers) };
  if (a.problems.length) return { status: 'critical', message: `${head}: ${a.problems.join('; ')}`, metrics, evidence };
  const r = rttStatus(spec, o.rttMs);
  const shown = a.answers.length ? a.answers.join(', ') : '(no records)';
  const message = `${head}: ${shown} (${o.rcode}, ${ms(o.rttMs)} ms${o.via === 'tcp' ? ', tcp' : ''}${r.note ? `, ${r.note}` : ''})`;
  return { status: r.status, message, metrics, ...(r.status === 'ok' ? {} : { evidence }) };
}

interface ServerRun {
  ns: NameServer;
  label: string;
  main: QueryOutcome;
  soa: QueryOutcome;
}

/** "ns2.example.test [::1]:53 serves serial 7, ns1.example.test 127.0.0.1:53 serves 8" (stale ones first). */
export function describeSerialSplit(serials: { label: string; serial: number }[]): string | undefined {
  const groups = new Map<number, string[]>();
  for (const s of serials) groups.set(s.serial, [...(groups.get(s.serial) ?? []), s.label]);
  if (groups.size < 2) return undefined;
  const ordered = [...groups.entries()].sort((a, b) => a[0] - b[0]);
  const parts = ordered.map(([serial, labels], i) => {
    const who = labels.join(' and ');
    const verb = labels.length > 1 ? 'serve' : 'serves';
    return i === 0 ? `${who} ${verb} serial ${serial}` : `${who} ${verb} ${serial}`;
  });
  return `SOA serials differ: ${parts.join(', ')}`;
}

async function checkAuthoritative(spec: DnsCheckSpec, opts: QueryOptions): Promise<Verdict> {
  const qname = queryName(spec);
  const bootstrap = parseServerAddress((spec.bootstrap ?? spec.server)!)!;
  let zone = spec.zone?.replace(/\.$/, '').toLowerCase();
  if (!zone) {
    const z = await findZone(bootstrap, qname, opts);
    if (!z.ok) return { status: opts.signal.aborted ? 'unknown' : 'critical', message: z.error, metrics: [] };
    zone = z.value;
  }
  const found = await findNameServers(bootstrap, zone, spec.port, spec.family, opts);
  if (!found.ok) return { status: opts.signal.aborted ? 'unknown' : 'critical', message: found.error, metrics: [] };
  const { servers, unresolved } = found.value;
  // hard: faults of the zone (CRITICAL); slow (below): rtt levels (WARNING or CRITICAL as configured).
  const hard: string[] = unresolved.map((n) => `name server ${n} has no ${spec.family === 'any' ? '' : `${spec.family} `}address (asked ${formatServerAddress(bootstrap)})`);
  if (servers.length === 0) {
    return { status: 'critical', message: `${qname} ${spec.recordType}: no authoritative server of ${zone} could be reached: ${hard.join('; ')}`, metrics: [] };
  }
  const runs: ServerRun[] = await Promise.all(
    servers.map(async (ns) => {
      const [main, soa] = await Promise.all([
        queryServer(ns.address, { name: qname, type: spec.recordType, recursionDesired: false }, opts),
        queryServer(ns.address, { name: zone!, type: 'SOA', recursionDesired: false }, opts),
      ]);
      return { ns, label: `${ns.name} ${formatServerAddress(ns.address)}`, main, soa };
    }),
  );
  const expect = expectationOf(spec);
  const slow: { status: CheckStatus; text: string }[] = [];
  let aborted = false;
  const metrics: CheckMetric[] = [];
  const serials: { label: string; serial: number }[] = [];
  const answerSets = new Map<string, string[]>();
  const excerpt: string[] = [];
  let slowest = 0;
  let fewest = Infinity;
  for (const r of runs) {
    if (!r.main.ok) {
      if (r.main.kind === 'aborted') aborted = true;
      hard.push(`${r.ns.name}: ${r.main.error}`);
      excerpt.push(excerptOf(r.label, r.main, []));
      continue;
    }
    const a = assessAnswer(r.main, qname, spec.recordType, expect);
    excerpt.push(excerptOf(r.label, r.main, a.answers));
    for (const p of a.problems) hard.push(`${r.label} ${p}`);
    slowest = Math.max(slowest, r.main.rttMs);
    fewest = Math.min(fewest, a.answers.length);
    metrics.push({ name: `rtt_ms{server="${formatServerAddress(r.ns.address)}"}`, value: r.main.rttMs, unit: 'ms', min: 0 });
    if (r.main.rcode === 'NOERROR') answerSets.set(r.label, [...new Set(a.answers)].sort());
    const rt = rttStatus(spec, r.main.rttMs);
    if (rt.status !== 'ok') slow.push({ status: rt.status, text: `${r.label} ${rt.note} (${ms(r.main.rttMs)} ms)` });
    if (!r.soa.ok) hard.push(`${r.label} SOA query failed: ${r.soa.error}`);
    else if (r.soa.rcode !== 'NOERROR' || soaSerial(r.soa.packet) === undefined) {
      hard.push(`${r.label} has no SOA for ${zone} (${r.soa.rcode}): it does not serve the zone`);
    } else serials.push({ label: r.label, serial: soaSerial(r.soa.packet)! });
  }
  const split = describeSerialSplit(serials);
  if (split) hard.unshift(split);
  metrics.unshift(
    { name: 'rtt_ms', value: slowest, unit: 'ms', min: 0 },
    { name: 'answers', value: Number.isFinite(fewest) ? fewest : 0, min: 0 },
    { name: 'servers', value: runs.length, min: 0 },
  );
  let status: CheckStatus = hard.length ? (aborted ? 'unknown' : 'critical') : 'ok';
  for (const s of slow) status = worstStatus(status, s.status);
  const all = [...hard, ...slow.map((s) => s.text)];
  if (all.length === 0) {
    const distinct = new Set([...answerSets.values()].map((s) => s.join(', ')));
    if (distinct.size > 1) {
      status = 'warning';
      all.push(`authoritative servers answer differently at the same serial: ${[...answerSets.entries()].map(([l, s]) => `${l} gives ${s.join(', ') || 'nothing'}`).join('; ')}`);
    }
  }
  const head = `${qname} ${spec.recordType} at ${runs.length} authoritative server${runs.length === 1 ? '' : 's'} of ${zone}`;
  if (all.length) return { status, message: `${head}: ${all.join('; ')}`, metrics, evidence: { responseExcerpt: excerpt.join('\n') } };
  const answers = answersOfType((runs[0]!.main as Extract<QueryOutcome, { ok: true }>).packet, spec.recordType);
  return {
    status: 'ok',
    message: `${head}: ${answers.join(', ') || '(no records)'} (serial ${serials[0]?.serial}, slowest ${ms(slowest)} ms)`,
    metrics,
  };
}

export async function runDnsCheck(spec: DnsCheckSpec, cx: CheckRunContext): Promise<CheckResult> {
  const startedAt = (cx.now ?? Date.now)();
  const t0 = performance.now();
  // Finish a little before the caller's own deadline, so the result says which server was slow.
  const deadline = t0 + cx.timeoutMs - Math.min(250, cx.timeoutMs * 0.1);
  const opts: QueryOptions = { transport: spec.transport, deadline, signal: cx.signal };
  const v = spec.authoritative ? await checkAuthoritative(spec, opts) : await checkOneServer(spec, parseServerAddress(spec.server!)!, opts);
  return { ...v, startedAt, durationMs: Math.round(performance.now() - t0) };
}
