import { z } from 'zod';
import { checkCommonFields } from '../check-type.js';
import { tlsOptionsSchema } from './tls-options.js';

/** A regex given as text; rejected at load time when it does not compile. */
export const regexSourceSchema = z.string().min(1).superRefine((source, ctx) => {
  try {
    new RegExp(source);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: `not a valid regular expression: ${err instanceof Error ? err.message : String(err)}` });
  }
});

const tcpExpectSchema = z
  .object({
    bannerContains: z.string().min(1).optional().describe('the data the peer sends (after `send`, if any) must contain this text, e.g. "220 "'),
    bannerMatches: regexSourceSchema.optional().describe('the data the peer sends must match this regular expression, e.g. "^SSH-2\\\\.0-"'),
  })
  .strict();

export const tcpCheckSpecSchema = z
  .object({
    type: z.literal('tcp'),
    ...checkCommonFields,
    host: z.string().min(1).describe('host name or IP address to connect to'),
    port: z.number().int().min(1).max(65535).describe('TCP port'),
    tls: z
      .preprocess((v) => (v === true ? {} : v === false ? undefined : v), tlsOptionsSchema.optional())
      .describe('speak TLS on the connection: `true`, or TLS settings (serverName, caFile, expiryWarning, expiryCritical)'),
    tlsVerify: z.boolean().default(true).describe('verify the peer certificate chain and host name; false still reports its expiry'),
    send: z.string().min(1).optional().describe('text written once connected, e.g. "EHLO kansoku\\r\\n"'),
    expect: tcpExpectSchema.optional().describe('what the peer must send back; without it the check only connects'),
    quit: z.string().min(1).optional().describe('text written before closing, so the peer logs a clean goodbye, e.g. "QUIT\\r\\n"'),
    maxReadBytes: z
      .number()
      .int()
      .min(1)
      .max(1024 * 1024)
      .default(64 * 1024)
      .describe('most bytes read while waiting for the expected banner'),
  })
  .strict();

export type TcpCheckSpec = z.output<typeof tcpCheckSpecSchema>;
