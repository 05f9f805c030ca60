import type { ExpositionFormat } from './types.js';

/**
 * Which parser a scrape response needs, from its Content-Type. OpenMetrics is chosen only
 * for `application/openmetrics-text`; everything else (text/plain; version=0.0.4, a missing
 * or unknown header) is read as the Prometheus text format, which is what Prometheus does.
 */
export function parseContentType(header: string | undefined | null): ExpositionFormat {
  if (!header) return 'text';
  const semi = header.indexOf(';');
  const media = (semi < 0 ? header : header.slice(0, semi)).trim().toLowerCase();
  return media === 'application/openmetrics-text' ? 'openmetrics' : 'text';
}

/** The Accept header a scraper sends: OpenMetrics 1.0 first, the text format as fallback. */
export const SCRAPE_ACCEPT_HEADER =
  'application/openmetrics-text;version=1.0.0;q=0.5,text/plain;version=0.0.4;q=0.4,*/*;q=0.1';

/** Content-Type values for what formatExposition writes. */
export const CONTENT_TYPES: Record<ExpositionFormat, string> = {
  openmetrics: 'application/openmetrics-text; version=1.0.0; charset=utf-8',
  text: 'text/plain; version=0.0.4; charset=utf-8',
};
