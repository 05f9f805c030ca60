import { z } from 'zod';
import { durationSchema } from '../../../core/duration.js';
import { checkCommonFields } from '../check-type.js';

export const heartbeatCheckSpecSchema = z
  .object({
    type: z.literal('heartbeat'),
    ...checkCommonFields,
    period: durationSchema.describe('how often the job reports success, e.g. "1h" for an hourly cron job'),
    grace: durationSchema.default('5m').describe('how late a beat may be before the check fails, e.g. "10m"'),
    maxRunTime: durationSchema
      .optional()
      .describe('after a /start beat, fail when no success follows within this long (a job that hangs)'),
    secret: z
      .string()
      .min(16, 'use at least 16 characters, e.g. from `openssl rand -hex 16`')
      .regex(/^[A-Za-z0-9._~-]+$/, 'use URL-safe characters only (letters, digits, . _ ~ -)')
      .optional()
      .describe('key a job sends as ?key=… instead of an API token, so a cron job needs no token; redacted in the API'),
  })
  .strict();

export type HeartbeatCheckSpec = z.infer<typeof heartbeatCheckSpecSchema>;
