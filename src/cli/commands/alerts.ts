import { randomBytes } from 'node:crypto';
import { formatDurationMs, parseDurationMs } from '../../core/duration.js';
import { ApiClient, CliError, type ClientOptions } from '../client.js';
import { color, printJson, table } from '../output.js';
import { ago } from './status.js';

interface AlertJson {
  fingerprint: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: string;
  severity: string;
  startsAt: string;
  reasons: string[];
  ack: { by: string; at: string; comment: string } | null;
  receivers: string[];
}

const paint: Record<string, (s: string) => string> = { firing: color.red, pending: color.yellow, suppressed: color.dim, resolved: color.green };

/** The labels that say what an alert is about, without the ones already in other columns. */
function labelText(l: Record<string, string>): string {
  return Object.entries(l)
    .filter(([k]) => k !== 'alertname' && k !== 'severity')
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
}

/** `kansoku alerts`: firing, pending and suppressed alerts (why suppressed), newest first. */
export async function alertsCommand(o: ClientOptions & { json?: boolean; all?: boolean; filter?: string }): Promise<number> {
  const q = new URLSearchParams();
  if (o.all) q.set('state', 'pending,firing,suppressed,resolved');
  if (o.filter) q.set('filter', o.filter);
  const qs = q.toString();
  const r = await new ApiClient(o).request<{ alerts: AlertJson[]; routingProblems: string[] }>('GET', `/api/v1/alerts${qs ? `?${qs}` : ''}`);
  if (o.json) {
    printJson(r.alerts);
    return 0;
  }
  for (const p of r.routingProblems) process.stderr.write(`warning: alert routing: ${p}\n`);
  if (!r.alerts.length) {
    process.stdout.write('No alerts.\n');
    return 0;
  }
  const now = Date.now();
  process.stdout.write(
    `${table(
      ['STATE', 'SEVERITY', 'ALERT', 'LABELS', 'SINCE', 'FINGERPRINT', 'NOTE'],
      r.alerts.map((a) => [
        (paint[a.state] ?? ((s: string) => s))(a.state.toUpperCase()),
        a.severity,
        a.labels.alertname ?? '',
        labelText(a.labels),
        ago(a.startsAt, now),
        a.fingerprint,
        [a.ack ? `acked by ${a.ack.by}${a.ack.comment ? `: ${a.ack.comment}` : ''}` : '', ...a.reasons, a.annotations.summary ?? ''].filter(Boolean).join('; '),
      ]),
    )}\n`,
  );
  return 0;
}

/** `kansoku ack FINGERPRINT [--comment …]`. */
export async function ackCommand(fingerprint: string, o: ClientOptions & { comment?: string }): Promise<number> {
  const a = await new ApiClient(o).request<AlertJson>('POST', `/api/v1/alerts/${encodeURIComponent(fingerprint)}/ack`, { comment: o.comment ?? '' });
  process.stdout.write(`acknowledged ${a.labels.alertname ?? ''} ${fingerprint} as ${a.ack?.by ?? '?'}\n`);
  return 0;
}

interface AlertDetailJson {
  alert: AlertJson & { endsAt: string | null };
  activeAt: string | null;
  history: { at: string; event: string; detail: string }[];
  escalations: { groupKey: string; policy: string; startedAt: string; stepReached: number; nextStepAt: string | null; notified: string[]; stopped: boolean }[];
  notifications: { at: string; channel: string; reason: string; step: number | null; status: string; outcome: string; outboxKey: string | null; error: string | null; delivery: { status: string; attempts: number; deliveredAt: string | null; lastError: string | null } | null }[];
}

/** `kansoku alerts show FINGERPRINT [--json]`: one alert with its history and notifications. */
export async function alertShowCommand(fingerprint: string, o: ClientOptions & { json?: boolean }): Promise<number> {
  const d = await new ApiClient(o).request<AlertDetailJson>('GET', `/api/v1/alerts/${encodeURIComponent(fingerprint)}`);
  if (o.json) {
    printJson(d);
    return 0;
  }
  const a = d.alert;
  const lines = [
    `${(paint[a.state] ?? ((s: string) => s))(a.state.toUpperCase())} ${a.labels.alertname ?? ''} ${a.fingerprint}`,
    `labels:      ${Object.entries(a.labels).map(([k, v]) => `${k}=${v}`).join(' ')}`,
    ...Object.entries(a.annotations).map(([k, v]) => `${`${k}:`.padEnd(12)} ${v}`),
    `since:       ${a.startsAt}${d.activeAt && d.activeAt !== a.startsAt ? ` (pending since ${d.activeAt})` : ''}${a.endsAt ? `, ended ${a.endsAt}` : ''}`,
    `acknowledged: ${a.ack ? `${a.ack.at} by ${a.ack.by}${a.ack.comment ? `: ${a.ack.comment}` : ''}` : 'no'}`,
    ...(a.reasons.length ? [`why:         ${a.reasons.join('; ')}`] : []),
    ...d.escalations.map((e) => `escalation:  policy ${e.policy}, step ${e.stepReached < 0 ? 'none yet' : e.stepReached} reached${e.stopped ? ' (stopped)' : e.nextStepAt ? `, next at ${e.nextStepAt}` : ''}${e.notified.length ? `, notified ${e.notified.join(', ')}` : ''}`),
  ];
  process.stdout.write(`${lines.join('\n')}\n\nHISTORY\n`);
  process.stdout.write(d.history.length ? `${table(['AT', 'EVENT', 'DETAIL'], d.history.map((h) => [h.at, h.event, h.detail]))}\n` : 'none\n');
  process.stdout.write('\nNOTIFICATIONS\n');
  process.stdout.write(
    d.notifications.length
      ? `${table(
          ['AT', 'CHANNEL', 'STATUS', 'WHY', 'OUTCOME', 'DELIVERY'],
          d.notifications.map((n) => [n.at, n.channel, n.status, n.reason === 'escalation' ? `escalation step ${n.step ?? '?'}` : 'route', n.error ? `${n.outcome}: ${n.error}` : n.outcome, n.delivery ? `${n.delivery.status}${n.delivery.lastError ? ` (${n.delivery.lastError})` : ''}` : '-']),
        )}\n`
      : 'none\n',
  );
  return 0;
}

/** A silence's object name: when it was made, plus a little randomness so two in a second differ. */
export function silenceName(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-').toLowerCase();
  return `silence-${stamp}-${randomBytes(2).toString('hex')}`;
}

/** `kansoku silence --matcher 'a="b"' --duration 2h --comment …`: creates a `kind: Silence` object. */
export async function silenceCommand(o: ClientOptions & { matcher?: string[]; duration?: string; comment?: string; by?: string; name?: string; start?: string; json?: boolean }): Promise<number> {
  if (!o.matcher?.length) throw new CliError('give at least one --matcher, e.g. --matcher \'alertname="CheckFailed"\' --matcher \'check="shop-top"\'', 2);
  if (!o.comment) throw new CliError('say why with --comment (a ticket or the reason)', 2);
  const ms = parseDurationMs(o.duration ?? '2h');
  if (!ms || ms <= 0) throw new CliError(`--duration: "${o.duration}" is not a duration such as 30m or 2h`, 2);
  const start = o.start ? Date.parse(o.start) : Date.now();
  if (Number.isNaN(start)) throw new CliError(`--start: "${o.start}" is not an ISO 8601 time`, 2);
  const doc = {
    apiVersion: 'kansoku/v1',
    kind: 'Silence',
    metadata: { name: o.name ?? silenceName(new Date(start)) },
    spec: {
      matchers: o.matcher,
      startsAt: new Date(start).toISOString(),
      endsAt: new Date(start + ms).toISOString(),
      createdBy: o.by ?? process.env.USER ?? 'kansoku-cli',
      comment: o.comment,
    },
  };
  const created = await new ApiClient(o).request<{ metadata?: { name: string }; name?: string }>('POST', '/api/v1/objects', doc);
  if (o.json) {
    printJson(created);
    return 0;
  }
  process.stdout.write(`created Silence/${doc.metadata.name} for ${formatDurationMs(ms)} (until ${doc.spec.endsAt}); remove it early with "kansoku delete Silence ${doc.metadata.name}"\n`);
  return 0;
}

interface DrillJson {
  ok: boolean;
  alert: { fingerprint: string; labels: Record<string, string> };
  receivers: string[];
  hops: { hop: string; channel?: string; outcome: string; latencyMs: number; detail?: string; status?: number }[];
  totalMs: number;
}

/** `kansoku drill [--channel NAME]`: exits 1 unless every hop succeeded. */
export async function drillCommand(o: ClientOptions & { channel?: string; json?: boolean; label?: string[] }): Promise<number> {
  const labels: Record<string, string> = {};
  for (const l of o.label ?? []) {
    const m = /^([a-zA-Z_][a-zA-Z0-9_]*)=(.*)$/.exec(l);
    if (!m) throw new CliError(`--label: "${l}" is not name=value`, 2);
    labels[m[1]!] = m[2]!.replace(/^"(.*)"$/, '$1');
  }
  const r = await new ApiClient(o).request<DrillJson>('POST', '/api/v1/drill', { ...(o.channel ? { channel: o.channel } : {}), ...(Object.keys(labels).length ? { labels } : {}) });
  if (o.json) printJson(r);
  else {
    process.stdout.write(
      `${table(
        ['HOP', 'CHANNEL', 'OUTCOME', 'LATENCY', 'DETAIL'],
        r.hops.map((h) => [h.hop, h.channel ?? '-', h.outcome === 'failed' ? color.red(h.outcome) : color.green(h.outcome), `${h.latencyMs.toFixed(1)} ms`, [h.status !== undefined ? `HTTP ${h.status}` : '', h.detail ?? ''].filter(Boolean).join(' ')]),
      )}\n${r.ok ? 'drill passed' : 'drill FAILED'} in ${r.totalMs.toFixed(0)} ms\n`,
    );
  }
  return r.ok ? 0 : 1;
}
