import { z } from 'zod';
import { parseDurationMs } from '../core/duration.js';
import type { KindDefinition } from '../inventory/kinds.js';
import type { FieldIssue } from '../lib/errors.js';
import { commandCheckSpecSchema } from '../sources/checks/command/index.js';
import { mysqlCheckSpecSchema, postgresCheckSpecSchema, redisCheckSpecSchema } from '../sources/checks/db/index.js';
import { dnsCheckSpecSchema } from '../sources/checks/dns/index.js';
import { folderCheckSpecSchema } from '../sources/checks/folder/index.js';
import { heartbeatCheckSpecSchema } from '../sources/checks/heartbeat/index.js';
import { httpCheckSpecSchema } from '../sources/checks/http/index.js';
import { icmpCheckSpecSchema } from '../sources/checks/icmp/index.js';
import { snmpCheckSpecSchema } from '../sources/checks/snmp/index.js';
import { tcpCheckSpecSchema } from '../sources/checks/tcp/index.js';

/**
 * `kind: Check`: one zod discriminated union on `spec.type` over every check type's own schema,
 * so an unknown type names the known ones and a wrong field is reported with its path.
 */
export const CHECK_SPEC_SCHEMAS = [
  httpCheckSpecSchema,
  tcpCheckSpecSchema,
  dnsCheckSpecSchema,
  icmpCheckSpecSchema,
  commandCheckSpecSchema,
  folderCheckSpecSchema,
  heartbeatCheckSpecSchema,
  mysqlCheckSpecSchema,
  postgresCheckSpecSchema,
  redisCheckSpecSchema,
  snmpCheckSpecSchema,
] as const;

export const CHECK_TYPES = CHECK_SPEC_SCHEMAS.map((s) => s.shape.type.value);

export const checkSpecSchema = z.discriminatedUnion('type', [...CHECK_SPEC_SCHEMAS], {
  error: (iss) =>
    iss.code === 'invalid_union' ? `expected type to be one of ${CHECK_TYPES.join(', ')}` : undefined,
});

export type CheckSpec = z.infer<typeof checkSpecSchema>;
export type CheckTypeName = CheckSpec['type'];

/** The fields every check type shares, as the scheduler reads them. */
export interface CommonCheckSpec {
  type: string;
  interval: string;
  timeout: string;
  attempts: number;
  retryInterval?: string | undefined;
  severity: string;
  locations?: string[] | undefined;
  minFailingLocations?: number | undefined;
  disabled: boolean;
  watch?: 'none' | 'connection' | undefined;
}

/** Cross-field rules the schemas cannot state: the timeout must leave room before the next run. */
export function validateCheckSpec(spec: CommonCheckSpec): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const interval = parseDurationMs(spec.interval) ?? 0;
  const timeout = parseDurationMs(spec.timeout) ?? 0;
  if (interval <= 0) issues.push({ path: 'interval', message: 'interval must be longer than 0s' });
  if (timeout <= 0) issues.push({ path: 'timeout', message: 'timeout must be longer than 0s' });
  if (interval > 0 && timeout >= interval) {
    issues.push({ path: 'timeout', message: `timeout ${spec.timeout} must be shorter than interval ${spec.interval}` });
  }
  if (spec.retryInterval !== undefined) {
    const retry = parseDurationMs(spec.retryInterval) ?? 0;
    if (retry <= timeout) issues.push({ path: 'retryInterval', message: `retryInterval ${spec.retryInterval} must be longer than timeout ${spec.timeout}` });
  }
  if (spec.minFailingLocations !== undefined) {
    const n = spec.locations?.length ?? 1;
    if (spec.minFailingLocations > n) {
      issues.push({ path: 'minFailingLocations', message: `minFailingLocations ${spec.minFailingLocations} is more than the ${n} location${n === 1 ? '' : 's'} the check runs from` });
    }
  }
  return issues;
}

export const checkKind: KindDefinition<CheckSpec> = {
  kind: 'Check',
  description: 'A service check: what to probe, how often, and when a failure is hard',
  specSchema: checkSpecSchema as z.ZodType<CheckSpec>,
  secretPaths: ['secret', 'password', 'headers.*', 'community', 'v3.authKey', 'v3.privKey'],
  validate: validateCheckSpec,
};

/** Interval, timeout and retry interval of a spec in milliseconds. */
export function checkTimings(spec: CommonCheckSpec): { intervalMs: number; timeoutMs: number; retryMs: number } {
  const intervalMs = parseDurationMs(spec.interval) ?? 60_000;
  const timeoutMs = parseDurationMs(spec.timeout) ?? 10_000;
  const retryMs = spec.retryInterval === undefined ? intervalMs : (parseDurationMs(spec.retryInterval) ?? intervalMs);
  return { intervalMs, timeoutMs, retryMs };
}
