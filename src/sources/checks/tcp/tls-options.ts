import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { durationSchema, parseDurationMs } from '../../../core/duration.js';
import { ProbeFailure } from './probe-deadline.js';

/**
 * TLS settings shared by the http and tcp checks. Certificate expiry is checked on every TLS
 * connection, because serving an expired certificate is one of the things a site must NOT do.
 */
export const tlsOptionsSchema = z
  .object({
    serverName: z
      .string()
      .min(1)
      .optional()
      .describe('name sent as SNI and matched against the certificate; default: the host of the target'),
    caFile: z
      .string()
      .min(1)
      .optional()
      .describe('PEM file with the CA certificates to trust instead of the system store (private CAs, self-signed services)'),
    expiryWarning: durationSchema
      .default('14d')
      .describe('WARNING when the certificate expires within this time, e.g. "30d"'),
    expiryCritical: durationSchema
      .default('7d')
      .describe('CRITICAL when the certificate expires within this time, e.g. "7d"; must not exceed expiryWarning'),
  })
  .strict()
  .superRefine((tls, ctx) => {
    const warn = parseDurationMs(tls.expiryWarning);
    const crit = parseDurationMs(tls.expiryCritical);
    if (warn !== undefined && crit !== undefined && crit > warn) {
      ctx.addIssue({
        code: 'custom',
        path: ['expiryCritical'],
        message: `expiryCritical (${tls.expiryCritical}) must not be longer than expiryWarning (${tls.expiryWarning})`,
      });
    }
  });

export type TlsOptions = z.output<typeof tlsOptionsSchema>;

/** The defaults as a parsed value, for code paths where `tls` was left out. */
export const DEFAULT_TLS_OPTIONS: TlsOptions = tlsOptionsSchema.parse({});

/** Reads tls.caFile; a missing or unreadable file makes the run UNKNOWN, not CRITICAL: the target was never asked. */
export async function readCaFile(path: string | undefined): Promise<Buffer | undefined> {
  if (path === undefined) return undefined;
  try {
    return await readFile(path);
  } catch (err) {
    throw new ProbeFailure('unknown', `cannot read tls.caFile ${path}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}
