/**
 * `type: snmp`: GET and walk OIDs over SNMP v2c and v3 (USM authPriv), thresholds per OID,
 * numeric values kept as metrics, and a warning when the agent restarted recently.
 */
import type { CheckType } from '../check-type.js';
import { snmpCheckSpecSchema, type SnmpCheckSpec } from './config.js';
import { runSnmpCheck } from './probe.js';

export { snmpCheckSpecSchema, snmpGetSchema, snmpWalkSchema, oidSchema, type SnmpCheckSpec, type SnmpGet, type SnmpWalk } from './config.js';
export { runSnmpCheck, SYS_UPTIME_OID } from './probe.js';
export { decodeVarbind, rowIndex, ticksText, type DecodedValue } from './varbind-value.js';

export const snmpCheck: CheckType<SnmpCheckSpec> = {
  type: 'snmp',
  specSchema: snmpCheckSpecSchema,
  run: runSnmpCheck,
  targetHost: (spec) => spec.host,
};
