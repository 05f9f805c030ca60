import { parseRetryAfterMs } from '../backoff.js';
import type { DeliveryResult } from '../types.js';
import type { OutboundRequest, SendContext, SendResult } from '../notifier.js';

/**
 * Sends HTTP requests for the SaaS and webhook notifiers and decides retryability where the
 * protocol is known (ARCHITECTURE §3.1): 2xx delivered; 408 and 429 retry; other 4xx are final
 * (the request itself is wrong: retrying cannot help); 5xx, network errors and timeouts retry.
 * Retry-After is passed on so the dispatcher waits at least that long.
 */

/** Reads a 2xx answer that may still be a failure (Znuny answers errors with 200). */
export type AnswerCheck = (status: number, body: string) => DeliveryResult | undefined;

const MAX_BODY_CHARS = 16_384;

export async function sendHttpRequest(req: OutboundRequest, cx: Pick<SendContext, 'signal' | 'timeoutMs'>, check?: AnswerCheck): Promise<DeliveryResult> {
  const where = describeTarget(req.url);
  const signal = AbortSignal.any([cx.signal, AbortSignal.timeout(cx.timeoutMs)]);
  let res: Response;
  try {
    res = await fetch(req.url, { method: req.method, headers: req.headers, body: req.body, signal, redirect: 'follow' });
  } catch (err) {
    return { ok: false, retryable: true, error: networkError(err, where, cx.timeoutMs) };
  }
  let body = '';
  try {
    body = await readLimited(res, signal);
  } catch (err) {
    // The status already tells the outcome; a body cut off by the timeout only loses detail,
    // except for a success whose body we must inspect.
    if (res.ok && check) return { ok: false, retryable: true, status: res.status, error: networkError(err, where, cx.timeoutMs) };
  }
  return classifyResponse(res.status, res.headers, body, where, check);
}

export function classifyResponse(status: number, headers: Headers, body: string, where: string, check?: AnswerCheck): DeliveryResult {
  if (status >= 200 && status < 300) return check?.(status, body) ?? { ok: true, status };
  const retryAfterMs = parseRetryAfterMs(headers.get('retry-after')) ?? rateLimitResetMs(headers);
  const error = `HTTP ${status} from ${where}${body ? `: ${excerpt(body)}` : ''}`;
  const retryable = status === 408 || status === 429 || status >= 500;
  return retryAfterMs !== undefined && retryable ? { ok: false, retryable, status, error, retryAfterMs } : { ok: false, retryable, status, error };
}

/** Sends the requests one by one, skipping parts an earlier attempt delivered. */
export async function sendHttpRequests(requests: readonly OutboundRequest[], cx: SendContext, check?: AnswerCheck): Promise<SendResult> {
  const done = new Set(cx.completedParts);
  let last: DeliveryResult = { ok: true };
  for (const req of requests) {
    if (req.part !== undefined && done.has(req.part)) continue;
    last = await sendHttpRequest(req, cx, check);
    if (!last.ok) return { ...last, completedParts: [...done] };
    if (req.part !== undefined) done.add(req.part);
  }
  return { ...last, completedParts: [...done] };
}

/** Chatwork and others announce the end of a rate-limit window as epoch seconds. */
function rateLimitResetMs(headers: Headers): number | undefined {
  const reset = headers.get('x-ratelimit-reset');
  if (!reset || !/^\d+$/.test(reset)) return undefined;
  return Math.max(0, Number(reset) * 1000 - Date.now());
}

async function readLimited(res: Response, signal: AbortSignal): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  const onAbort = () => void reader.cancel().catch(() => {});
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
      if (text.length > MAX_BODY_CHARS) {
        await reader.cancel().catch(() => {});
        break;
      }
    }
    if (signal.aborted) throw signal.reason;
    return text;
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

function networkError(err: unknown, where: string, timeoutMs: number): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError') return `no answer from ${where} within ${timeoutMs} ms (timeout)`;
  if (e?.name === 'AbortError') return `request to ${where} was cancelled (Kansoku is stopping)`;
  const cause = e?.cause?.code ?? e?.cause?.message;
  return `cannot reach ${where}: ${e?.message ?? String(err)}${cause ? ` (${cause})` : ''}`;
}

/** Origin only: paths of webhook URLs often carry the credential (Slack, Alertmanager SecretURL). */
export function describeTarget(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return 'the receiver';
  }
}

function excerpt(body: string): string {
  const oneLine = body.replace(/\s+/g, ' ').trim();
  return oneLine.length > 300 ? `${oneLine.slice(0, 300)}…` : oneLine;
}

export function basicAuth(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`;
}

export function formBody(fields: Record<string, string>): string {
  return new URLSearchParams(fields).toString();
}
