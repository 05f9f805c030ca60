import { readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The CLI's way to the server's API. URL and token come from --url/--token, then KANSOKU_URL /
 * KANSOKU_TOKEN, then the defaults a local quick start has: http://127.0.0.1:7700 and the token
 * file ./kansoku-data/admin-token.
 */
export interface ClientOptions {
  url?: string;
  token?: string;
}

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

export class ApiClient {
  readonly url: string;
  private readonly token: string | undefined;

  constructor(opts: ClientOptions = {}) {
    this.url = (opts.url ?? process.env.KANSOKU_URL ?? 'http://127.0.0.1:7700').replace(/\/+$/, '');
    this.token = opts.token ?? process.env.KANSOKU_TOKEN ?? readDefaultToken();
  }

  async request<T = unknown>(method: string, pathAndQuery: string, body?: unknown, opts: { raw?: boolean; contentType?: string } = {}): Promise<T> {
    const res = await this.send(method, pathAndQuery, body, opts.contentType);
    const text = await res.text();
    if (!res.ok) throw new CliError(describeError(res.status, text, this.url), 1);
    if (opts.raw) return text as T;
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /** For streamed responses (audit export). */
  async stream(pathAndQuery: string): Promise<Response> {
    const res = await this.send('GET', pathAndQuery);
    if (!res.ok) throw new CliError(describeError(res.status, await res.text(), this.url), 1);
    return res;
  }

  private async send(method: string, pathAndQuery: string, body?: unknown, contentType?: string): Promise<Response> {
    const headers: Record<string, string> = { 'user-agent': 'kansoku-cli', accept: 'application/json' };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    let payload: string | undefined;
    if (body !== undefined) {
      headers['content-type'] = contentType ?? 'application/json';
      payload = typeof body === 'string' ? body : JSON.stringify(body);
    }
    try {
      return await fetch(`${this.url}${pathAndQuery}`, { method, headers, body: payload, signal: AbortSignal.timeout(120_000) });
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      const why = cause?.code ?? cause?.message ?? (err as Error).message;
      throw new CliError(`cannot reach the Kansoku server at ${this.url} (${why}); is it running? Start one with "kansoku server", or set --url / KANSOKU_URL`, 3);
    }
  }
}

function readDefaultToken(): string | undefined {
  const file = path.resolve(process.env.KANSOKU_DATA_DIR ?? 'kansoku-data', 'admin-token');
  try {
    return readFileSync(file, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

function describeError(status: number, text: string, url: string): string {
  let msg = text;
  try {
    const body = JSON.parse(text) as { error?: string; code?: string };
    if (body.error) msg = body.code ? `${body.error} [${body.code}]` : body.error;
  } catch {
    /* not JSON */
  }
  if (status === 401) return `${msg}\n(the server at ${url} did not accept the token: pass --token or set KANSOKU_TOKEN; the first admin token is in <data-dir>/admin-token)`;
  return msg;
}
