import { z } from 'zod';
import { durationSchema } from '../../../core/duration.js';
import { checkCommonFields } from '../check-type.js';
import { thresholdSchema } from '../db/thresholds.js';

const OID_RE = /^\.?[0-2](\.\d+)+$/;

export const oidSchema = z
  .string()
  .regex(OID_RE, 'a numeric OID such as "1.3.6.1.2.1.1.3.0" (MIB names are not resolved)')
  .transform((s) => s.replace(/^\./, ''));

const metricNameSchema = z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, 'letters, digits and _');

export const snmpGetSchema = z
  .object({
    oid: oidSchema.describe('numeric OID of one instance, e.g. "1.3.6.1.2.1.1.3.0" (sysUpTime.0)'),
    name: metricNameSchema.optional().describe('name of the value in messages and metrics, e.g. "sysUpTime"; default the OID'),
    warning: thresholdSchema.optional().describe('WARNING when the value is above / below this'),
    critical: thresholdSchema.optional().describe('CRITICAL when the value is above / below this'),
    expect: z
      .object({
        equals: z.union([z.string(), z.number()]).optional().describe('the value must equal this (compared as text)'),
        contains: z.string().min(1).optional().describe('the value must contain this text'),
      })
      .strict()
      .optional()
      .describe('what the value must be, e.g. {contains: "Linux"} for sysDescr'),
  })
  .strict();

export const snmpWalkSchema = z
  .object({
    oid: oidSchema.describe('numeric OID of a subtree or table column, e.g. "1.3.6.1.2.1.2.2.1.10" (ifInOctets)'),
    name: metricNameSchema.optional().describe('name prefix of the values; each row is "<name>.<index>"; default the OID'),
    warning: thresholdSchema.optional().describe('WARNING when any row is above / below this'),
    critical: thresholdSchema.optional().describe('CRITICAL when any row is above / below this'),
    minRows: z.number().int().min(0).optional().describe('CRITICAL when the subtree has fewer rows, e.g. 1 for "must not be empty"'),
    maxRows: z.number().int().min(1).max(10_000).default(1000).describe('stop reading the subtree after this many rows'),
  })
  .strict();

const v3Schema = z
  .object({
    user: z.string().min(1).describe('USM user name'),
    authProtocol: z.enum(['md5', 'sha', 'sha224', 'sha256', 'sha384', 'sha512']).default('sha').describe('authentication digest'),
    authKey: z.string().min(8).optional().describe('authentication passphrase (a secret; at least 8 characters); without it: noAuthNoPriv'),
    privProtocol: z.enum(['des', 'aes', 'aes256b', 'aes256r']).default('aes').describe('privacy (encryption) protocol'),
    privKey: z.string().min(8).optional().describe('privacy passphrase (a secret); with authKey: authPriv'),
    context: z.string().optional().describe('SNMPv3 context name'),
  })
  .strict()
  .superRefine((v, ctx) => {
    if (v.privKey !== undefined && v.authKey === undefined) ctx.addIssue({ code: 'custom', path: ['privKey'], message: 'privKey needs authKey: SNMPv3 has no privacy without authentication' });
  });

export const snmpCheckSpecSchema = z
  .object({
    type: z.literal('snmp'),
    ...checkCommonFields,
    host: z.string().min(1).describe('SNMP agent host name or IP address'),
    port: z.number().int().min(1).max(65535).default(161).describe('UDP port of the agent'),
    version: z.enum(['2c', '3']).default('2c').describe('SNMP version'),
    community: z.string().min(1).default('public').describe('v2c community string (a secret: redacted in the API and the audit trail)'),
    v3: v3Schema.optional().describe('SNMPv3 user and keys; required with version "3"'),
    retries: z.number().int().min(0).max(5).default(1).describe('times a request is re-sent when no answer comes; the timeout is shared among the attempts'),
    get: z.array(snmpGetSchema).default([]).describe('single values to read'),
    walk: z.array(snmpWalkSchema).default([]).describe('subtrees (tables, columns) to read'),
    restartedWithin: durationSchema
      .optional()
      .describe('WARNING when the agent restarted within this time (sysUpTime is less), e.g. "10m"; catches a device that rebooted between runs'),
  })
  .strict()
  .superRefine((spec, ctx) => {
    if (spec.version === '3' && !spec.v3) ctx.addIssue({ code: 'custom', path: ['v3'], message: 'version "3" needs v3: {user, authKey, privKey}' });
    if (spec.version === '2c' && spec.v3) ctx.addIssue({ code: 'custom', path: ['v3'], message: 'v3 settings apply to version "3" only' });
  });

export type SnmpCheckSpec = z.output<typeof snmpCheckSpecSchema>;
export type SnmpGet = z.output<typeof snmpGetSchema>;
export type SnmpWalk = z.output<typeof snmpWalkSchema>;
