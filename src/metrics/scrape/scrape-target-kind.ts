/**
 * `kind: ScrapeTarget`: one Prometheus exposition / OpenMetrics endpoint Kansoku scrapes, like
 * one target of a Prometheus static_config.
 */
import { z } from 'zod';
import { durationSchema, parseDurationMs } from '../../core/duration.js';
import { LABEL_NAME_RE } from '../../core/labels.js';
import type { KindDefinition } from '../../inventory/kinds.js';
import type { FieldIssue } from '../../lib/errors.js';

export const scrapeTargetSpecSchema = z
  .object({
    url: z
      .string()
      .url()
      .refine((u) => /^https?:\/\//i.test(u), 'must be an http:// or https:// URL')
      .describe('the endpoint, e.g. http://10.0.0.5:9100/metrics (the path defaults to metricsPath)'),
    metricsPath: z.string().startsWith('/').optional().describe('path to scrape when url has none; default /metrics'),
    job: z.string().min(1).optional().describe('the job label; default the object name'),
    interval: durationSchema.default('1m').describe('how often to scrape, e.g. "15s"'),
    timeout: durationSchema.default('10s').describe('give up on a scrape after this long; at most the interval'),
    labels: z
      .record(z.string().regex(LABEL_NAME_RE, 'label names are letters, digits and "_"'), z.string())
      .default({})
      .describe('extra labels on every series of this target'),
    honorLabels: z.boolean().default(false).describe('on a clash keep the scraped label (true) or rename it to exported_<name> (false), as Prometheus honor_labels'),
    honorTimestamps: z.boolean().default(true).describe('keep timestamps the target exposes (Prometheus honor_timestamps)'),
  })
  .strict();

export type ScrapeTargetSpec = z.infer<typeof scrapeTargetSpecSchema>;

export const scrapeTargetKind: KindDefinition<ScrapeTargetSpec> = {
  kind: 'ScrapeTarget',
  description: 'A Prometheus / OpenMetrics endpoint scraped into the telemetry store, with up and scrape_* series',
  specSchema: scrapeTargetSpecSchema,
  validate(spec) {
    const issues: FieldIssue[] = [];
    const interval = parseDurationMs(spec.interval) ?? 0;
    const timeout = parseDurationMs(spec.timeout) ?? 0;
    if (interval < 1000) issues.push({ path: 'spec.interval', message: 'must be at least 1s' });
    if (timeout <= 0) issues.push({ path: 'spec.timeout', message: 'must be positive' });
    if (timeout > interval) issues.push({ path: 'spec.timeout', message: `must not exceed the interval (${spec.interval})` });
    for (const k of Object.keys(spec.labels)) if (k.startsWith('__')) issues.push({ path: `spec.labels.${k}`, message: 'names starting with "__" are reserved' });
    return issues;
  },
};
