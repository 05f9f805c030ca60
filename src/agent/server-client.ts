import { PROBE_API, type AssignmentsResponse, type ProbeResult, type ResultsResponse } from '../checks/locations/protocol.js';

/** Why a request to the server failed, and whether trying again can help. */
export class ProbeServerError extends Error {
  constructor(
    message: string,
    /** false: the request itself is wrong (400) and sending it again will fail again. */
    readonly retryable: boolean,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'ProbeServerError';
  }
}

export interface ProbeServerClientOptions {
  server: string;
  token: string;
  location: string;
  requestTimeoutMs?: number;
  fetch?: typeof fetch;
}

/** The probe agent's two calls to the server, over plain fetch (no server code in the agent). */
export class ProbeServerClient {
  readonly #base: string;
  readonly #fetch: typeof fetch;
  #etag: string | undefined;

  constructor(private readonly opts: ProbeServerClientOptions) {
    this.#base = `${opts.server.replace(/\/+$/, '')}${PROBE_API}/${encodeURIComponent(opts.location)}`;
    this.#fetch = opts.fetch ?? fetch;
  }

  /** The current assignments, or null when they have not changed since the last call. */
  async assignments(signal?: AbortSignal): Promise<AssignmentsResponse | null> {
    const headers: Record<string, string> = {};
    if (this.#etag) headers['if-none-match'] = this.#etag;
    const res = await this.#send('GET', '/assignments', undefined, headers, signal);
    if (res.status === 304) return null;
    const body = (await res.json()) as AssignmentsResponse;
    this.#etag = res.headers.get('etag') ?? undefined;
    return body;
  }

  async pushResults(results: readonly ProbeResult[], signal?: AbortSignal): Promise<ResultsResponse> {
    const res = await this.#send('POST', '/results', JSON.stringify({ results }), { 'content-type': 'application/json' }, signal);
    return (await res.json()) as ResultsResponse;
  }

  async #send(method: string, suffix: string, body: string | undefined, headers: Record<string, string>, signal?: AbortSignal): Promise<Response> {
    const timeout = AbortSignal.timeout(this.opts.requestTimeoutMs ?? 30_000);
    let res: Response;
    try {
      res = await this.#fetch(`${this.#base}${suffix}`, {
        method,
        headers: { ...headers, authorization: `Bearer ${this.opts.token}`, accept: 'application/json', 'user-agent': 'kansoku-agent' },
        ...(body !== undefined ? { body } : {}),
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      throw new ProbeServerError(`cannot reach the server at ${this.opts.server} (${cause?.code ?? cause?.message ?? (err as Error).message})`, true);
    }
    if (res.ok || res.status === 304) return res;
    const text = await res.text().catch(() => '');
    let why = text.slice(0, 500);
    try {
      const j = JSON.parse(text) as { error?: string; code?: string };
      if (j.error) why = j.code ? `${j.error} [${j.code}]` : j.error;
    } catch {
      /* not JSON */
    }
    // 400 / 413 / 422: this request will never be accepted; anything else (auth, 404 on an older server, 5xx) may heal.
    throw new ProbeServerError(`${method} ${PROBE_API}/${this.opts.location}${suffix}: HTTP ${res.status}: ${why}`, ![400, 413, 422].includes(res.status), res.status);
  }
}
