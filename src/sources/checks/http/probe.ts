/**
 * The http probe: request the URL (following redirects within bounds), then judge what came
 * back — status, body must / must NOT contain, JSON paths, headers, response time, certificate
 * expiry — and report per-phase timings. Modelled on blackbox_exporter's http prober and
 * Nagios check_http; a failing target is data (a CheckResult), never an exception.
 */
import { performance } from 'node:perf_hooks';
import type { CheckMetric, CheckResult, CheckStatus } from '../../../core/check-result.js';
import { worstStatus } from '../../../core/check-result.js';
import { parseDurationMs } from '../../../core/duration.js';
import type { CheckRunContext } from '../check-type.js';
import {
  connectionMetrics,
  evaluateCertificateExpiry,
  formatBytes,
  msMetric,
  ProbeDeadline,
  ProbeFailure,
  readCaFile,
  type CertificateSummary,
} from '../tcp/index.js';
import {
  evaluateBody,
  evaluateHeaders,
  evaluateJson,
  evaluateResponseTime,
  formatExpectedStatus,
  statusMatches,
  type Problem,
} from './assertions.js';
import { decodeBody, decodeContent } from './body-text.js';
import type { HttpCheckSpec } from './config.js';
import { buildHttpEvidence } from './evidence.js';
import { formatHttpMessage, formatStatusLine, overallStatus } from './message.js';
import { nextRequestAfterRedirect, REDIRECT_STATUSES, type NextRequest } from './redirects.js';
import { performExchange, type HttpExchange } from './request.js';

/** Keeps the certificate that expires first across redirect hops. */
function earlier(a: CertificateSummary | undefined, b: CertificateSummary | undefined): CertificateSummary | undefined {
  if (!a) return b;
  if (!b) return a;
  return b.validTo < a.validTo ? b : a;
}

function responseTimeThresholds(spec: HttpCheckSpec): Partial<CheckMetric> {
  const out: Partial<CheckMetric> = {};
  if (spec.expect.responseTimeWarning) out.warn = String(parseDurationMs(spec.expect.responseTimeWarning));
  if (spec.expect.maxResponseTime) out.crit = String(parseDurationMs(spec.expect.maxResponseTime));
  return out;
}

export async function runHttpCheck(spec: HttpCheckSpec, cx: CheckRunContext): Promise<CheckResult> {
  const clock = cx.now ?? Date.now;
  const startedAt = clock();
  const t0 = performance.now();
  const deadline = new ProbeDeadline(cx);
  const firstUrl = new URL(spec.url);
  const chain: string[] = [];
  let certificate: CertificateSummary | undefined;

  const certificateVerdict = (cert: CertificateSummary | undefined) => (cert ? evaluateCertificateExpiry(cert, spec.tls, clock()) : undefined);

  let exchange: HttpExchange;
  try {
    const ca = await readCaFile(spec.tls.caFile);
    let url = firstUrl;
    let request: NextRequest = { method: spec.method, body: spec.body, headers: { ...(spec.headers ?? {}) } };
    const isRedirect = (status: number, location: string | undefined) => spec.followRedirects && REDIRECT_STATUSES.has(status) && location !== undefined;
    for (;;) {
      exchange = await performExchange(
        {
          url,
          method: request.method,
          headers: request.headers,
          body: request.body,
          readBody: (status, headers) => !isRedirect(status, headers.location),
          maxBodyBytes: spec.maxBodyBytes,
          tls: {
            verify: spec.tlsVerify,
            ca,
            // serverName belongs to the configured host; a redirect elsewhere is matched against its own name.
            serverName: url.hostname === firstUrl.hostname ? spec.tls.serverName : undefined,
          },
        },
        deadline,
      );
      certificate = earlier(certificate, exchange.certificate);
      const location = exchange.headers.location;
      if (!isRedirect(exchange.status, location)) break;
      let next: URL;
      try {
        next = new URL(location!, url);
      } catch {
        throw new ProbeFailure('critical', `HTTP ${exchange.status} from ${url.href} redirects to an invalid Location ${JSON.stringify(location)}`);
      }
      if (next.protocol !== 'http:' && next.protocol !== 'https:') {
        throw new ProbeFailure('critical', `HTTP ${exchange.status} from ${url.href} redirects to unsupported ${next.href}`);
      }
      chain.push(url.href);
      if (chain.length > spec.maxRedirects) {
        throw new ProbeFailure('critical', `too many redirects: stopped after ${spec.maxRedirects} (maxRedirects) at ${url.href}, which redirects to ${next.href}`, {
          certificate,
        });
      }
      request = nextRequestAfterRedirect(exchange.status, url, next, request);
      url = next;
    }
  } catch (err) {
    if (!(err instanceof ProbeFailure)) throw err;
    const durationMs = performance.now() - t0;
    const cert = certificateVerdict(earlier(certificate, err.details.certificate));
    let status = err.status;
    let message = err.message;
    if (cert && cert.status !== 'ok') {
      status = worstStatus(status, cert.status);
      message = `${message}; ${cert.message}`;
    }
    return {
      status,
      message,
      startedAt,
      durationMs,
      metrics: [...connectionMetrics(err.details.timings), msMetric('total_ms', durationMs), ...(chain.length ? [{ name: 'redirects', value: chain.length }] : []), ...(cert ? [cert.metric] : [])],
      evidence: buildHttpEvidence({ url: firstUrl.href, redirectChain: chain, raw: err.details.received, certificate: err.details.certificate ?? certificate }),
    };
  }

  const totalMs = performance.now() - t0;
  const content = decodeContent(exchange.body, exchange.headers, spec.maxBodyBytes);
  const bodyText = decodeBody(content.body, exchange.headers);
  const problems: Problem[] = [];
  if (exchange.truncated || content.truncated) {
    const what = exchange.truncated ? 'body' : 'decompressed body';
    problems.push({ status: 'critical', text: `${what} is larger than ${formatBytes(spec.maxBodyBytes)} (maxBodyBytes); stopped reading` });
  }
  if (content.error) problems.push({ status: 'critical', text: content.error });
  problems.push(...evaluateBody(spec.expect, bodyText));
  problems.push(...evaluateJson(spec.expect.json, bodyText));
  problems.push(...evaluateHeaders(spec.expect.headers, exchange.headers));
  problems.push(...evaluateResponseTime(spec.expect, totalMs));
  const cert = certificateVerdict(certificate);
  const notes: string[] = [];
  if (cert) {
    if (cert.status === 'ok') notes.push(cert.message);
    else problems.push({ status: cert.status, text: cert.message });
  }
  const statusOk = statusMatches(exchange.status, spec.expect.status);
  const status: CheckStatus = worstStatus(statusOk ? 'ok' : 'critical', overallStatus(problems));
  const summary = { status: exchange.status, statusText: exchange.statusText, url: exchange.url.href, totalMs, redirects: chain.length, firstUrl: chain.length ? firstUrl.href : undefined };

  // dns/connect/tls/ttfb describe the hop that answered last (a fresh connection each hop);
  // total_ms covers the whole exchange, redirects included, and is what the limits apply to.
  const metrics: CheckMetric[] = [
    { name: 'status_code', value: exchange.status },
    ...connectionMetrics(exchange.timings),
    msMetric('ttfb_ms', exchange.timings.ttfbMs),
    msMetric('total_ms', totalMs, responseTimeThresholds(spec)),
    { name: 'size_bytes', value: exchange.body.length, unit: 'bytes', min: 0 },
    { name: 'redirects', value: chain.length, min: 0 },
  ];
  if (cert) metrics.push(cert.metric);

  return {
    status,
    message: formatHttpMessage(summary, problems, statusOk ? undefined : formatExpectedStatus(spec.expect.status), notes),
    startedAt,
    durationMs: totalMs,
    metrics,
    evidence:
      status === 'ok'
        ? undefined
        : buildHttpEvidence({
            url: firstUrl.href,
            finalUrl: exchange.url.href,
            redirectChain: chain,
            statusLine: `${formatStatusLine(exchange.status, exchange.statusText)} (HTTP/${exchange.httpVersion})`,
            headers: exchange.headers,
            bodyText,
            focusAt: problems.find((p) => p.at !== undefined)?.at,
            certificate,
          }),
  };
}
