/**
 * `type: icmp` — pings a host with iputils `ping` (the process may not hold CAP_NET_RAW for raw
 * sockets of its own, and ping's ICMP-datagram or setcap path already handles that), and rates
 * packet loss and average round-trip time against warning / critical levels, as check_ping does.
 */
import type { CheckType } from '../check-type.js';
import { icmpCheckSpecSchema, type IcmpCheckSpec } from './config.js';
import { runIcmpCheck, type IcmpProbeOptions } from './probe.js';

export { icmpCheckSpecSchema, type IcmpCheckSpec } from './config.js';
export { parsePingOutput, type PingSummary } from './parse-ping.js';
export { pingArgv, summarizePing, type IcmpProbeOptions } from './probe.js';

/** An icmp check type bound to a ping program (tests and unusual hosts pass their own path). */
export function createIcmpCheck(opts: IcmpProbeOptions = {}): CheckType<IcmpCheckSpec> {
  return {
    type: 'icmp',
    specSchema: icmpCheckSpecSchema,
    run: (spec, cx) => runIcmpCheck(spec, cx, opts),
    targetHost: (spec) => spec.host,
  };
}

export const icmpCheck: CheckType<IcmpCheckSpec> = createIcmpCheck();
