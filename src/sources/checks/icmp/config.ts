import { z } from 'zod';
import { checkCommonFields } from '../check-type.js';
import { HOST_ARG_RE } from '../evidence/index.js';

const levelFields = {
  lossPercent: z.number().min(0).max(100).optional().describe('at or above this packet loss (percent) the level is reached'),
  rttMs: z.number().positive().optional().describe('at or above this average round-trip time (ms) the level is reached'),
};

export const icmpCheckSpecSchema = z
  .object({
    type: z.literal('icmp'),
    ...checkCommonFields,
    host: z
      .string()
      .regex(HOST_ARG_RE, 'expected a host name or an IP address')
      .describe('host name or IPv4 / IPv6 address to ping'),
    count: z.number().int().min(1).max(20).default(3).describe('echo requests sent per run, 200 ms apart'),
    family: z.enum(['auto', 'ipv4', 'ipv6']).default('auto').describe('force IPv4 or IPv6 when the host name has both'),
    packetSize: z.number().int().min(0).max(65_000).optional().describe('ICMP payload bytes (ping -s); default 56'),
    warning: z
      .object(levelFields)
      .strict()
      .prefault({ lossPercent: 20 })
      .describe('WARNING level; default lossPercent 20 (like check_ping -w …,20%)'),
    critical: z
      .object(levelFields)
      .strict()
      .prefault({ lossPercent: 60 })
      .describe('CRITICAL level; default lossPercent 60 (like check_ping -c …,60%)'),
  })
  .strict();

export type IcmpCheckSpec = z.infer<typeof icmpCheckSpecSchema>;
