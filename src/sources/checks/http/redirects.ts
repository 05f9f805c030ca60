/**
 * How a redirect changes the next request, as browsers and Go's net/http do it: 303 (and 301/302
 * after a POST) become a GET without a body; credentials are not carried to another origin.
 */
export const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

const SENSITIVE = new Set(['authorization', 'cookie', 'proxy-authorization']);

export interface NextRequest {
  method: string;
  body?: string;
  headers: Record<string, string>;
}

export function nextRequestAfterRedirect(status: number, from: URL, to: URL, current: NextRequest): NextRequest {
  const toGet = status === 303 ? current.method !== 'HEAD' : (status === 301 || status === 302) && current.method === 'POST';
  const sameOrigin = from.origin === to.origin;
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(current.headers)) {
    const lower = k.toLowerCase();
    if (!sameOrigin && SENSITIVE.has(lower)) continue;
    if (toGet && (lower === 'content-type' || lower === 'content-length')) continue;
    headers[k] = v;
  }
  return toGet ? { method: 'GET', headers } : { method: current.method, body: current.body, headers };
}
