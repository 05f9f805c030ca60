import { describe, expect, it } from 'vitest';
import { icmpCheck, icmpCheckSpecSchema, parsePingOutput, pingArgv, summarizePing } from './index.js';

// Output of iputils-ping 20221126 (Debian bookworm), C locale.
const ALL_ANSWERED = `PING 127.0.0.1 (127.0.0.1) 56(84) bytes of data.
64 bytes from 127.0.0.1: icmp_seq=1 ttl=64 time=0.045 ms
64 bytes from 127.0.0.1: icmp_seq=2 ttl=64 time=0.077 ms
64 bytes from 127.0.0.1: icmp_seq=3 ttl=64 time=0.061 ms

--- 127.0.0.1 ping statistics ---
3 packets transmitted, 3 received, 0% packet loss, time 401ms
rtt min/avg/max/mdev = 0.045/0.061/0.077/0.013 ms
`;
const UNREACHABLE = `PING 10.9.9.2 (10.9.9.2) 56(84) bytes of data.
From 10.9.9.1 icmp_seq=1 Destination Host Unreachable
From 10.9.9.1 icmp_seq=2 Destination Host Unreachable

--- 10.9.9.2 ping statistics ---
3 packets transmitted, 0 received, +2 errors, 100% packet loss, time 408ms
`;
const PARTIAL = `--- h ping statistics ---
4 packets transmitted, 3 received, 25% packet loss, time 3004ms
rtt min/avg/max/mdev = 10.100/120.500/300.000/90.000 ms
`;

describe('parsePingOutput', () => {
  it('reads counts, loss and rtt', () => {
    expect(parsePingOutput(ALL_ANSWERED)).toEqual({
      transmitted: 3,
      received: 3,
      errors: 0,
      duplicates: 0,
      lossPercent: 0,
      rtt: { minMs: 0.045, avgMs: 0.061, maxMs: 0.077, mdevMs: 0.013 },
      icmpErrors: [],
    });
  });
  it('reads errors and ICMP error lines when nothing answered', () => {
    expect(parsePingOutput(UNREACHABLE)).toMatchObject({ transmitted: 3, received: 0, errors: 2, lossPercent: 100, icmpErrors: ['Destination Host Unreachable'] });
    expect(parsePingOutput(UNREACHABLE)?.rtt).toBeUndefined();
  });
  it('returns undefined without a statistics line', () => {
    expect(parsePingOutput('ping: connect: Network is unreachable\n')).toBeUndefined();
  });
});

describe('icmp levels and messages', () => {
  const spec = (extra: Record<string, unknown> = {}) => icmpCheckSpecSchema.parse({ type: 'icmp', host: 'h', ...extra });
  it('defaults to check_ping-like loss levels: 20% warning, 60% critical', () => {
    expect(spec()).toMatchObject({ count: 3, family: 'auto', warning: { lossPercent: 20 }, critical: { lossPercent: 60 } });
    expect(summarizePing(spec(), parsePingOutput(ALL_ANSWERED)!).status).toBe('ok');
    const partial = summarizePing(spec(), parsePingOutput(PARTIAL)!);
    expect(partial.status).toBe('warning');
    expect(partial.message).toBe('PING h: 25% packet loss (3/4 answered), rtt min/avg/max 10.1/120.5/300 ms — warning: loss 25% ≥ 20%');
    const down = summarizePing(spec(), parsePingOutput(UNREACHABLE)!);
    expect(down.status).toBe('critical');
    expect(down.message).toBe('PING h: 100% packet loss (0/3 answered); Destination Host Unreachable — critical: loss 100% ≥ 60%');
  });
  it('rates the average rtt', () => {
    const s = spec({ warning: { rttMs: 100 }, critical: { rttMs: 500, lossPercent: 50 } });
    const v = summarizePing(s, parsePingOutput(PARTIAL)!);
    // Explicit levels replace the defaults: no loss level for warning any more.
    expect(v.status).toBe('warning');
    expect(v.message).toMatch(/warning: rtt avg 120.5 ms ≥ 100 ms$/);
    expect(v.metrics.find((m) => m.name === 'rtt_avg_ms')).toEqual({ name: 'rtt_avg_ms', value: 120.5, unit: 'ms', warn: '100', crit: '500', min: 0 });
    expect(v.metrics.find((m) => m.name === 'loss_percent')).toEqual({ name: 'loss_percent', value: 25, unit: '%', crit: '50', min: 0, max: 100 });
  });
  it('builds a bounded ping command line', () => {
    expect(pingArgv(spec({ family: 'ipv6', packetSize: 100 }), 10_000)).toEqual(['ping', '-n', '-c', '3', '-i', '0.2', '-W', '2.0', '-6', '-s', '100', '--', 'h']);
    expect(pingArgv(spec({ count: 5 }), 1000)).toEqual(['ping', '-n', '-c', '5', '-i', '0.2', '-W', '0.2', '--', 'h']);
    expect(icmpCheck.targetHost(spec())).toBe('h');
  });
  it.each([
    [{ type: 'icmp' }, 'host'],
    [{ type: 'icmp', host: '-f' }, 'host'],
    [{ type: 'icmp', host: 'a b' }, 'host'],
    [{ type: 'icmp', host: 'h', count: 0 }, 'count'],
    [{ type: 'icmp', host: 'h', warning: { loss: 5 } }, 'warning'],
    [{ type: 'icmp', host: 'h', critical: { lossPercent: 101 } }, 'critical.lossPercent'],
    [{ type: 'icmp', host: 'h', family: 'ipx' }, 'family'],
  ])('rejects %j at "%s"', (input, want) => {
    const r = icmpCheckSpecSchema.safeParse(input);
    expect(r.success).toBe(false);
    expect(r.error!.issues.map((i) => i.path.join('.'))).toContain(want);
  });
});
