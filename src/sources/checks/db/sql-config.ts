import { z } from 'zod';
import { durationSchema, parseDurationMs } from '../../../core/duration.js';
import { checkCommonFields } from '../check-type.js';
import { thresholdSchema } from './thresholds.js';

/** TLS to the database server; `true` means TLS with the system CAs and full verification. */
export const dbTlsSchema = z
  .object({
    caFile: z.string().min(1).optional().describe('PEM file with the CA certificates to trust instead of the system store'),
    verify: z.boolean().default(true).describe('verify the certificate chain and host name; false encrypts without checking who answers'),
  })
  .strict();

export type DbTls = z.output<typeof dbTlsSchema>;

/** `tls: true` is shorthand for `tls: {}`; `tls: false` for no TLS. */
export const dbTlsField = z
  .preprocess((v) => (v === true ? {} : v === false ? undefined : v), dbTlsSchema.optional())
  .describe('connect over TLS: `true`, or {caFile, verify}');

export const sqlExpectSchema = z
  .object({
    rows: z.number().int().min(0).optional().describe('the query must return exactly this many rows'),
    minRows: z.number().int().min(0).optional().describe('the query must return at least this many rows'),
    equals: z
      .union([z.string(), z.number(), z.boolean()])
      .optional()
      .describe('the first column of the first row must equal this (compared as text: 1 equals "1")'),
    contains: z.string().min(1).optional().describe('some value in the result must contain this text'),
  })
  .strict();

export type SqlExpect = z.output<typeof sqlExpectSchema>;

/** Fields the mysql and postgres checks share. */
export const sqlCheckFields = {
  ...checkCommonFields,
  host: z.string().min(1).describe('database server host name or IP address'),
  user: z.string().min(1).describe('user to log in as'),
  password: z.string().optional().describe('password of the user (a secret: redacted in the API and the audit trail)'),
  database: z.string().min(1).optional().describe('database to connect to'),
  tls: dbTlsField,
  query: z.string().min(1).optional().describe('a read-only query to run once connected, e.g. "SELECT count(*) FROM jobs WHERE state = \'stuck\'"'),
  expect: sqlExpectSchema.optional().describe('what the query must return'),
  warning: thresholdSchema.optional().describe('WARNING when the first column of the first row is above / below this, e.g. {above: 100}'),
  critical: thresholdSchema.optional().describe('CRITICAL when the first column of the first row is above / below this, e.g. {above: 1000}'),
  replicationLag: z
    .object({
      warning: durationSchema.optional().describe('WARNING when the replica is further behind than this, e.g. "30s"'),
      critical: durationSchema.optional().describe('CRITICAL when the replica is further behind than this, e.g. "5m"'),
    })
    .strict()
    .optional()
    .describe('the server must be a replica that keeps up with its primary'),
};

interface SqlRefinable {
  query?: string | undefined;
  expect?: SqlExpect | undefined;
  warning?: unknown;
  critical?: unknown;
  replicationLag?: { warning?: string | undefined; critical?: string | undefined } | undefined;
}

/** Cross-field rules: expectations and thresholds need a query; lag limits in order. */
export function refineSqlSpec(spec: SqlRefinable, ctx: z.RefinementCtx): void {
  for (const field of ['expect', 'warning', 'critical'] as const) {
    if (spec[field] !== undefined && spec.query === undefined) {
      ctx.addIssue({ code: 'custom', path: [field], message: `${field} needs a query to judge` });
    }
  }
  if (spec.expect?.rows !== undefined && spec.expect.minRows !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['expect', 'minRows'], message: 'give rows or minRows, not both' });
  }
  const lag = spec.replicationLag;
  if (lag?.warning !== undefined && lag.critical !== undefined && (parseDurationMs(lag.critical) ?? 0) < (parseDurationMs(lag.warning) ?? 0)) {
    ctx.addIssue({ code: 'custom', path: ['replicationLag', 'critical'], message: `critical (${lag.critical}) must not be shorter than warning (${lag.warning})` });
  }
}

export const processlistSchema = z
  .object({
    every: durationSchema.default('5m').describe('how often to keep a snapshot of SHOW FULL PROCESSLIST, e.g. "5m"'),
    retention: durationSchema
      .default('7d')
      .describe('how far back snapshots are searched; the log store TTL (telemetry retention) deletes them, whichever is shorter'),
  })
  .strict();

export type ProcesslistOptions = z.output<typeof processlistSchema>;

export const mysqlCheckSpecSchema = z
  .object({
    type: z.literal('mysql'),
    ...sqlCheckFields,
    port: z.number().int().min(1).max(65535).default(3306).describe('TCP port'),
    processlist: processlistSchema.optional().describe('keep SHOW FULL PROCESSLIST snapshots (MySQL / MariaDB), searchable by time and text'),
  })
  .strict()
  .superRefine(refineSqlSpec);

export type MysqlCheckSpec = z.output<typeof mysqlCheckSpecSchema>;

export const postgresCheckSpecSchema = z
  .object({
    type: z.literal('postgres'),
    ...sqlCheckFields,
    port: z.number().int().min(1).max(65535).default(5432).describe('TCP port'),
  })
  .strict()
  .superRefine(refineSqlSpec);

export type PostgresCheckSpec = z.output<typeof postgresCheckSpecSchema>;
