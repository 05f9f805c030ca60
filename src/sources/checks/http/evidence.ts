import type { IncomingHttpHeaders } from 'node:http';
import type { CheckEvidence } from '../../../core/check-result.js';
import { excerpt, type CertificateSummary } from '../tcp/index.js';

export interface HttpEvidenceInput {
  url: string;
  finalUrl?: string;
  redirectChain?: string[];
  statusLine?: string;
  headers?: IncomingHttpHeaders;
  bodyText?: string;
  /** Where in the body the first failing assertion pointed; the excerpt centres on it. */
  focusAt?: number;
  raw?: Buffer;
  certificate?: CertificateSummary;
}

/** Evidence kept with a result that is not OK: what answered, and a short excerpt of it. */
export function buildHttpEvidence(x: HttpEvidenceInput): CheckEvidence {
  const ev: CheckEvidence = { url: x.url };
  if (x.finalUrl && x.finalUrl !== x.url) ev.finalUrl = x.finalUrl;
  if (x.redirectChain && x.redirectChain.length > 0) ev.redirectChain = x.redirectChain;
  if (x.statusLine) ev.statusLine = x.statusLine;
  if (x.headers) ev.responseHeaders = x.headers;
  const text = x.bodyText ?? (x.raw && x.raw.length > 0 ? x.raw.toString('latin1') : undefined);
  if (text !== undefined && text.length > 0) ev.responseExcerpt = excerpt(text, 512, x.focusAt);
  if (x.certificate) ev.certificate = x.certificate;
  return ev;
}
