import { commandCheck } from '../sources/checks/command/index.js';
import { mysqlCheck, postgresCheck, redisCheck } from '../sources/checks/db/index.js';
import { dnsCheck } from '../sources/checks/dns/index.js';
import { folderCheck } from '../sources/checks/folder/index.js';
import { evaluateHeartbeat, type HeartbeatBook, type HeartbeatCheckSpec } from '../sources/checks/heartbeat/index.js';
import { httpCheck } from '../sources/checks/http/index.js';
import { icmpCheck } from '../sources/checks/icmp/index.js';
import { snmpCheck } from '../sources/checks/snmp/index.js';
import { tcpCheck } from '../sources/checks/tcp/index.js';
import { runnerFor, type CheckRunner } from './check-runner.js';
import { CHECK_TYPES } from './check-kind.js';

/** The heartbeat type judges the beats its check has received, so it needs the check's name. */
export function heartbeatRunner(book: HeartbeatBook): CheckRunner {
  return {
    type: 'heartbeat',
    run: async (name, spec, cx) => {
      const now = cx.now?.() ?? Date.now();
      return evaluateHeartbeat(spec as unknown as HeartbeatCheckSpec, book.ensure(name, now), now);
    },
    targetHost: () => undefined,
  };
}

/** Every check type this build runs, by `spec.type`. */
export function builtinRunners(book: HeartbeatBook): Map<string, CheckRunner> {
  const runners = [runnerFor(httpCheck), runnerFor(tcpCheck), runnerFor(dnsCheck), runnerFor(icmpCheck), runnerFor(commandCheck), runnerFor(folderCheck), heartbeatRunner(book), runnerFor(mysqlCheck), runnerFor(postgresCheck), runnerFor(redisCheck), runnerFor(snmpCheck)];
  const map = new Map(runners.map((r) => [r.type, r]));
  const missing = CHECK_TYPES.filter((t) => !map.has(t));
  if (missing.length) throw new Error(`check types without a runner: ${missing.join(', ')}`);
  return map;
}
