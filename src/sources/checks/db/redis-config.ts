import { z } from 'zod';
import { checkCommonFields } from '../check-type.js';
import { dbTlsField } from './sql-config.js';
import { thresholdSchema } from './thresholds.js';

export const redisCheckSpecSchema = z
  .object({
    type: z.literal('redis'),
    ...checkCommonFields,
    host: z.string().min(1).describe('Redis server host name or IP address'),
    port: z.number().int().min(1).max(65535).default(6379).describe('TCP port'),
    username: z.string().min(1).optional().describe('ACL user (Redis 6+); default the "default" user'),
    password: z.string().optional().describe('password (AUTH); a secret: redacted in the API and the audit trail'),
    db: z.number().int().min(0).default(0).describe('database number to SELECT'),
    tls: dbTlsField,
    command: z
      .array(z.string())
      .min(1)
      .optional()
      .describe('a read-only command to run after PING, e.g. ["LLEN", "queue:mail"]; its reply is judged by expect / warning / critical'),
    name: z
      .string()
      .regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, 'letters, digits and _')
      .optional()
      .describe('metric name for the command reply, e.g. "mail_queue_length"; default "value"'),
    expect: z
      .object({
        equals: z.union([z.string(), z.number()]).optional().describe('the reply must equal this (compared as text)'),
        contains: z.string().min(1).optional().describe('the reply must contain this text'),
      })
      .strict()
      .optional()
      .describe('what the command must reply'),
    warning: thresholdSchema.optional().describe('WARNING when the numeric reply is above / below this, e.g. {above: 100}'),
    critical: thresholdSchema.optional().describe('CRITICAL when the numeric reply is above / below this, e.g. {above: 1000}'),
    role: z
      .enum(['master', 'replica'])
      .optional()
      .describe('the role the server must have (INFO replication); a replica must also have its link to the master up'),
  })
  .strict()
  .superRefine((spec, ctx) => {
    for (const field of ['expect', 'warning', 'critical', 'name'] as const) {
      if (spec[field] !== undefined && spec.command === undefined) ctx.addIssue({ code: 'custom', path: [field], message: `${field} needs a command` });
    }
    if (spec.command?.[0] === '') ctx.addIssue({ code: 'custom', path: ['command', 0], message: 'the command name must not be empty' });
  });

export type RedisCheckSpec = z.output<typeof redisCheckSpecSchema>;
