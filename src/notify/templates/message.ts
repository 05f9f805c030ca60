import type { Severity } from '../../core/severity.js';
import type { Locale } from '../channel-kind.js';
import { groupSeverity, groupStatus, type AlertNotification, type NotificationAlert } from '../types.js';
import { LOCALES, formatElapsed, formatTime, type LocaleStrings } from './locale.js';

/**
 * Turns a notification into the words of a message: for every alert what, where, since when,
 * severity, the current value, the impact and the runbook with its first step. Channel formats
 * (mail, Slack, Chatwork, SMS, voice, ticket) are views of these facts, so every channel says the
 * same thing.
 */
export interface MessageOptions {
  locale: Locale;
  timeZone: string;
  /** The render time, for "since 15 minutes". */
  now: Date;
}

export interface AlertFacts {
  status: NotificationAlert['status'];
  severity: Severity;
  what: string;
  where: string;
  since: string;
  resolvedAt?: string;
  value?: string;
  impact?: string;
  description?: string;
  runbookUrl?: string;
  runbookTitle?: string;
  firstStep?: string;
  source?: string;
  labels: string;
}

export interface MessageFacts {
  strings: LocaleStrings;
  status: 'firing' | 'resolved';
  severity: Severity;
  subject: string;
  firing: AlertFacts[];
  resolved: AlertFacts[];
  receiver: string;
  externalURL?: string;
}

/** Labels naming the place, most specific first. */
const WHERE_LABELS = ['instance', 'host', 'hostname', 'target', 'node', 'device'];
const CONTEXT_LABELS = ['service', 'job', 'location', 'env'];

export function alertFacts(a: NotificationAlert, o: MessageOptions): AlertFacts {
  const s = LOCALES[o.locale];
  const place = WHERE_LABELS.map((l) => a.labels[l]).find((v) => v);
  const context = CONTEXT_LABELS.filter((l) => a.labels[l] && a.labels[l] !== place).map((l) => `${l}=${a.labels[l]}`);
  const where = [place, context.length ? `(${context.join(', ')})` : undefined].filter(Boolean).join(' ') || (a.labels.alertname ?? '-');
  const started = Date.parse(a.startsAt);
  const ended = a.endsAt ? Date.parse(a.endsAt) : NaN;
  let since = formatTime(a.startsAt, o.timeZone);
  if (!Number.isNaN(started)) {
    if (a.status === 'resolved' && !Number.isNaN(ended)) since += s.lastedFor(formatElapsed(ended - started, s));
    else since += s.ongoingFor(formatElapsed(o.now.getTime() - started, s));
  }
  const labelText = Object.keys(a.labels)
    .sort()
    .map((k) => `${k}=${a.labels[k]}`)
    .join(', ');
  return {
    status: a.status,
    severity: a.severity,
    what: a.annotations.summary || a.labels.alertname || '-',
    where,
    since,
    resolvedAt: a.status === 'resolved' && a.endsAt ? formatTime(a.endsAt, o.timeZone) : undefined,
    value: a.value,
    impact: a.annotations.impact,
    description: a.annotations.description,
    runbookUrl: a.runbook?.url || a.annotations.runbook_url,
    runbookTitle: a.runbook?.title,
    firstStep: a.runbook?.firstStep || a.annotations.runbook_first_step,
    source: a.generatorURL,
    labels: labelText,
  };
}

export function messageFacts(n: AlertNotification, o: MessageOptions): MessageFacts {
  const s = LOCALES[o.locale];
  const status = groupStatus(n.alerts);
  const severity = groupSeverity(n.alerts);
  const facts = n.alerts.map((a) => alertFacts(a, o));
  const firing = facts.filter((f) => f.status === 'firing');
  const resolved = facts.filter((f) => f.status === 'resolved');
  const lead = (status === 'firing' ? firing : resolved)[0]!;
  const count = status === 'firing' ? firing.length : resolved.length;
  const prefix = status === 'firing' ? s.prefix[severity] : s.resolvedPrefix;
  const subject = `${prefix} ${lead.what} - ${lead.where}${count > 1 ? s.more(count - 1) : ''}`;
  return { strings: s, status, severity, subject: oneLine(subject), firing, resolved, receiver: n.receiver, externalURL: n.externalURL };
}

/** The plain-text body: mail text part, ticket article, Chatwork message. */
export function renderText(m: MessageFacts): string {
  const s = m.strings;
  const out: string[] = [m.subject, ''];
  const sections: [string, AlertFacts[]][] = [
    [s.firing, m.firing],
    [s.resolved, m.resolved],
  ];
  for (const [title, list] of sections) {
    if (list.length === 0) continue;
    if (m.firing.length && m.resolved.length) out.push(`== ${title} (${list.length}) ==`, '');
    for (const f of list) out.push(...alertLines(f, s), '');
  }
  if (m.externalURL) out.push(m.externalURL);
  out.push(s.footer(m.receiver));
  return out.join('\n');
}

function alertLines(f: AlertFacts, s: LocaleStrings): string[] {
  const lines = [`■ ${f.what}`];
  lines.push(`${s.status}: ${f.status === 'firing' ? s.statusFiring : s.statusResolved}`);
  lines.push(`${s.severity}: ${s.severityName[f.severity]}`);
  lines.push(`${s.where}: ${f.where}`);
  lines.push(`${s.since}: ${f.since}`);
  if (f.resolvedAt) lines.push(`${s.resolvedAt}: ${f.resolvedAt}`);
  if (f.value !== undefined) lines.push(`${s.value}: ${f.value}`);
  lines.push(`${s.impact}: ${f.impact ?? s.noImpact}`);
  lines.push(`${s.runbook}: ${f.runbookUrl ? `${f.runbookTitle ? `${f.runbookTitle} ` : ''}${f.runbookUrl}` : s.noRunbook}`);
  if (f.firstStep) lines.push(`${s.firstStep}: ${f.firstStep}`);
  if (f.description) lines.push(`${s.details}: ${f.description}`);
  if (f.source) lines.push(`${s.source}: ${f.source}`);
  lines.push(`${s.labels}: ${f.labels}`);
  return lines;
}

const SEVERITY_COLOUR: Record<Severity, string> = { critical: '#b00020', error: '#d35400', warning: '#b7950b', info: '#1f618d' };
const RESOLVED_COLOUR = '#1e8449';

export function severityColour(m: Pick<MessageFacts, 'status' | 'severity'>): string {
  return m.status === 'resolved' ? RESOLVED_COLOUR : SEVERITY_COLOUR[m.severity];
}

/** The HTML mail part: the same facts as the text, with the severity as a coloured banner. */
export function renderHtml(m: MessageFacts): string {
  const s = m.strings;
  const colour = severityColour(m);
  const rows = (f: AlertFacts): string => {
    const row = (k: string, v: string) => `<tr><th style="text-align:left;padding:2px 8px;vertical-align:top;white-space:nowrap">${esc(k)}</th><td style="padding:2px 8px">${v}</td></tr>`;
    const link = (u: string, t?: string) => `<a href="${esc(u)}">${esc(t ?? u)}</a>`;
    return [
      row(s.status, esc(f.status === 'firing' ? s.statusFiring : s.statusResolved)),
      row(s.severity, esc(s.severityName[f.severity])),
      row(s.where, esc(f.where)),
      row(s.since, esc(f.since)),
      f.resolvedAt ? row(s.resolvedAt, esc(f.resolvedAt)) : '',
      f.value !== undefined ? row(s.value, `<strong>${esc(f.value)}</strong>`) : '',
      row(s.impact, esc(f.impact ?? s.noImpact)),
      row(s.runbook, f.runbookUrl ? link(f.runbookUrl, f.runbookTitle ? `${f.runbookTitle} (${f.runbookUrl})` : undefined) : esc(s.noRunbook)),
      f.firstStep ? row(s.firstStep, `<strong>${esc(f.firstStep)}</strong>`) : '',
      f.description ? row(s.details, esc(f.description)) : '',
      f.source ? row(s.source, link(f.source)) : '',
      row(s.labels, `<code>${esc(f.labels)}</code>`),
    ].join('');
  };
  const blocks = [...m.firing, ...m.resolved]
    .map((f) => `<h3 style="margin:16px 0 4px">${esc(f.what)}</h3><table style="border-collapse:collapse">${rows(f)}</table>`)
    .join('');
  return [
    '<!DOCTYPE html><html><head><meta charset="utf-8"></head><body style="font-family:sans-serif">',
    `<div style="background:${colour};color:#fff;padding:8px 12px;font-size:18px;font-weight:bold">${esc(m.subject)}</div>`,
    blocks,
    m.externalURL ? `<p><a href="${esc(m.externalURL)}">${esc(m.externalURL)}</a></p>` : '',
    `<p style="color:#666;font-size:12px">${esc(s.footer(m.receiver))}</p>`,
    '</body></html>',
  ].join('');
}

/** A text message: the lead alert only, with the first thing to do. */
export function renderShort(m: MessageFacts, maxChars: number): string {
  const s = m.strings;
  const f = (m.status === 'firing' ? m.firing : m.resolved)[0]!;
  const lines = [m.subject, `${s.since}: ${f.since}`];
  if (f.value !== undefined) lines.push(`${s.value}: ${f.value}`);
  if (f.impact) lines.push(`${s.impact}: ${f.impact}`);
  if (f.firstStep) lines.push(`${s.firstStep}: ${f.firstStep}`);
  if (f.runbookUrl) lines.push(`${s.runbook}: ${f.runbookUrl}`);
  return truncate(lines.join('\n'), maxChars);
}

/** What a phone call reads aloud: no URLs or label syntax, which are useless spoken. */
export function renderSpeech(m: MessageFacts): string {
  const s = m.strings;
  const f = (m.status === 'firing' ? m.firing : m.resolved)[0]!;
  const parts = [s.callIntro(m.severity, m.status === 'resolved'), `${f.what}.`, `${s.where}: ${f.where}.`, `${s.since}: ${f.since}.`];
  if (f.value !== undefined) parts.push(`${s.value}: ${f.value}.`);
  if (f.impact) parts.push(`${s.impact}: ${f.impact}.`);
  if (m.status === 'firing' && f.firstStep) parts.push(`${s.callFirstStep}${f.firstStep}.`);
  return parts.join(' ');
}

export function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

export function truncate(text: string, maxChars: number): string {
  const chars = [...text];
  return chars.length <= maxChars ? text : `${chars.slice(0, maxChars - 1).join('')}…`;
}

function oneLine(text: string): string {
  return text.replace(/[\r\n]+/g, ' ').trim();
}
