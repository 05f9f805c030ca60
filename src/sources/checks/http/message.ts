/**
 * The one line a human reads first. Status problems lead with the status line
 * ("HTTP 500 Internal Server Error from https://… in 12 ms (expected 200)"); other problems lead
 * with what is wrong and end with the exchange ("body contains forbidden "Traceback" — HTTP 200
 * OK from https://… in 12 ms").
 */
import { worstStatus, type CheckStatus } from '../../../core/check-result.js';
import { formatElapsedMs } from '../tcp/index.js';
import type { Problem } from './assertions.js';

export interface ExchangeSummary {
  status: number;
  statusText: string;
  /** The URL that answered last. */
  url: string;
  totalMs: number;
  /** The URL first asked, when redirects led elsewhere. */
  firstUrl?: string;
  redirects: number;
}

/** "HTTP 200 OK", "HTTP 599" when the peer sent no reason phrase. */
export function formatStatusLine(status: number, statusText: string): string {
  return statusText ? `HTTP ${status} ${statusText}` : `HTTP ${status}`;
}

/** "HTTP 200 OK from https://b/ in 12 ms after 2 redirects from https://a/". */
export function formatExchange(x: ExchangeSummary): string {
  let line = `${formatStatusLine(x.status, x.statusText)} from ${x.url} in ${formatElapsedMs(x.totalMs)}`;
  if (x.redirects > 0) line += ` after ${x.redirects} ${x.redirects === 1 ? 'redirect' : 'redirects'}${x.firstUrl ? ` from ${x.firstUrl}` : ''}`;
  return line;
}

const RANK: Record<CheckStatus, number> = { critical: 0, unknown: 1, warning: 2, ok: 3 };

/** Worst problems first, stable otherwise. */
export function sortProblems(problems: readonly Problem[]): Problem[] {
  return [...problems].sort((a, b) => RANK[a.status] - RANK[b.status]);
}

export function overallStatus(problems: readonly Problem[]): CheckStatus {
  return problems.reduce<CheckStatus>((s, p) => worstStatus(s, p.status), 'ok');
}

/**
 * Builds the message. `expectedStatus` is set when the status code itself was wrong; `notes`
 * are appended to an OK line (e.g. "certificate valid for 364 days").
 */
export function formatHttpMessage(x: ExchangeSummary, problems: readonly Problem[], expectedStatus?: string, notes: readonly string[] = []): string {
  const exchange = formatExchange(x);
  const sorted = sortProblems(problems).map((p) => p.text);
  if (expectedStatus !== undefined) return [`${exchange} (expected ${expectedStatus})`, ...sorted].join('; ');
  if (sorted.length > 0) return `${sorted.join('; ')} — ${exchange}`;
  return [exchange, ...notes].join('; ');
}
