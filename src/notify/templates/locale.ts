import type { Severity } from '../../core/severity.js';
import type { Locale } from '../channel-kind.js';

/**
 * The words of every message, per locale. Kept in one table so a reviewer reads the Japanese and
 * English side by side (MISSION principle 4: notification text is reviewed like code).
 */
export interface LocaleStrings {
  /** Subject prefix per severity while firing, and once resolved. */
  prefix: Record<Severity, string>;
  resolvedPrefix: string;
  severityName: Record<Severity, string>;
  statusFiring: string;
  statusResolved: string;
  status: string;
  severity: string;
  where: string;
  since: string;
  resolvedAt: string;
  value: string;
  impact: string;
  runbook: string;
  firstStep: string;
  details: string;
  source: string;
  labels: string;
  noImpact: string;
  noRunbook: string;
  firing: string;
  resolved: string;
  more(n: number): string;
  ongoingFor(d: string): string;
  lastedFor(d: string): string;
  footer(receiver: string): string;
  /** What a phone call says before the alert. */
  callIntro(severity: Severity, resolved: boolean): string;
  callFirstStep: string;
  sayLanguage: string;
  durationUnits: { d: string; h: string; m: string; s: string; sep: string };
}

const ja: LocaleStrings = {
  prefix: { critical: '【重要】', error: '【障害】', warning: '【警告】', info: '【情報】' },
  resolvedPrefix: '【復旧】',
  severityName: { critical: '重要 (critical)', error: '障害 (error)', warning: '警告 (warning)', info: '情報 (info)' },
  statusFiring: '発生中',
  statusResolved: '復旧',
  status: '状態',
  severity: '重要度',
  where: '対象',
  since: '発生時刻',
  resolvedAt: '復旧時刻',
  value: '現在値',
  impact: '影響',
  runbook: '手順書',
  firstStep: '最初の手順',
  details: '詳細',
  source: '発生元',
  labels: 'ラベル',
  noImpact: '(影響の記載なし: ルールの annotations.impact に書いてください)',
  noRunbook: '(手順書なし: ルールに runbook を設定してください)',
  firing: '発生中のアラート',
  resolved: '復旧したアラート',
  more: (n) => ` 他${n}件`,
  ongoingFor: (d) => `（${d}前から継続中）`,
  lastedFor: (d) => `（継続時間 ${d}）`,
  footer: (r) => `このメッセージは Kansoku が受信者「${r}」へ送信しました。`,
  callIntro: (s, resolved) => (resolved ? '観測からのお知らせです。次のアラートは復旧しました。' : s === 'critical' ? '観測からの重要なお知らせです。' : '観測からのお知らせです。'),
  callFirstStep: '最初の手順は、',
  sayLanguage: 'ja-JP',
  durationUnits: { d: '日', h: '時間', m: '分', s: '秒', sep: '' },
};

const en: LocaleStrings = {
  prefix: { critical: '[CRITICAL]', error: '[ERROR]', warning: '[WARNING]', info: '[INFO]' },
  resolvedPrefix: '[RESOLVED]',
  severityName: { critical: 'critical', error: 'error', warning: 'warning', info: 'info' },
  statusFiring: 'FIRING',
  statusResolved: 'RESOLVED',
  status: 'Status',
  severity: 'Severity',
  where: 'Where',
  since: 'Since',
  resolvedAt: 'Resolved at',
  value: 'Value',
  impact: 'Impact',
  runbook: 'Runbook',
  firstStep: 'First step',
  details: 'Details',
  source: 'Source',
  labels: 'Labels',
  noImpact: '(impact not stated: add annotations.impact to the rule)',
  noRunbook: '(no runbook: link one to the rule)',
  firing: 'Firing',
  resolved: 'Resolved',
  more: (n) => ` (+${n} more)`,
  ongoingFor: (d) => ` (for ${d})`,
  lastedFor: (d) => ` (lasted ${d})`,
  footer: (r) => `Sent by Kansoku to receiver "${r}".`,
  callIntro: (s, resolved) => (resolved ? 'This is Kansoku. The following alert has resolved.' : s === 'critical' ? 'This is Kansoku with a critical alert.' : 'This is Kansoku with an alert.'),
  callFirstStep: 'The first step is: ',
  sayLanguage: 'en-US',
  durationUnits: { d: 'd', h: 'h', m: 'm', s: 's', sep: ' ' },
};

export const LOCALES: Record<Locale, LocaleStrings> = { ja, en };

/** "2026-01-05 09:03:00 JST": wall-clock time in the channel's zone, with the zone named. */
export function formatTime(iso: string, timeZone: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
    timeZoneName: 'short',
  }).formatToParts(d);
  const get = (t: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === t)?.value ?? '';
  const zone = timeZone === 'Asia/Tokyo' ? 'JST' : get('timeZoneName');
  return `${get('year')}-${get('month')}-${get('day')} ${get('hour')}:${get('minute')}:${get('second')} ${zone}`;
}

/** A coarse human duration ("1時間5分", "1h 5m"): two largest units are enough to act on. */
export function formatElapsed(ms: number, strings: LocaleStrings): string {
  const u = strings.durationUnits;
  let rest = Math.max(0, Math.floor(ms / 1000));
  const parts: string[] = [];
  for (const [unit, size] of [['d', 86400], ['h', 3600], ['m', 60], ['s', 1]] as const) {
    const n = Math.floor(rest / size);
    if (n > 0) parts.push(`${n}${u[unit]}`);
    rest -= n * size;
  }
  if (parts.length === 0) parts.push(`0${u.s}`);
  return parts.slice(0, 2).join(u.sep);
}
