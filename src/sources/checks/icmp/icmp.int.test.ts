import { spawnSync } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasExecutable, requirePeer } from '../../../../test/support/peer.js';
import { createIcmpCheck, icmpCheck, icmpCheckSpecSchema } from './index.js';

const havePing = await requirePeer('ping (iputils-ping)', () => hasExecutable('ping'));

const cx = (timeoutMs = 5000) => ({ signal: AbortSignal.timeout(timeoutMs + 2000), timeoutMs });
const spec = (extra: Record<string, unknown>) => icmpCheckSpecSchema.parse({ type: 'icmp', ...extra });

describe.skipIf(!havePing)('icmp check against loopback', () => {
  it.each([
    ['127.0.0.1', 'auto'],
    ['::1', 'auto'],
    ['localhost', 'ipv4'],
  ])('%s (%s) answers every probe', async (host, family) => {
    const r = await icmpCheck.run(spec({ host, family, count: 3 }), cx());
    expect(r.status).toBe('ok');
    expect(r.message).toMatch(new RegExp(`^PING ${host}: 0% packet loss \\(3/3 answered\\), rtt min/avg/max [\\d.]+/[\\d.]+/[\\d.]+ ms$`));
    const byName = Object.fromEntries(r.metrics.map((m) => [m.name, m.value]));
    expect(byName).toMatchObject({ loss_percent: 0, packets_sent: 3, packets_received: 3 });
    expect(byName.rtt_min_ms).toBeLessThanOrEqual(byName.rtt_avg_ms!);
    expect(byName.rtt_avg_ms).toBeLessThanOrEqual(byName.rtt_max_ms!);
  });

  it('an rtt level of 0.0001 ms is always reached: CRITICAL with the reason', async () => {
    const r = await icmpCheck.run(spec({ host: '127.0.0.1', critical: { rttMs: 0.0001 } }), cx());
    expect(r.status).toBe('critical');
    expect(r.message).toMatch(/critical: rtt avg [\d.]+ ms ≥ 0.0001 ms$/);
  });
});

// Packet loss cannot be produced on the shared loopback without changing the host's firewall.
// Instead ping runs in a private, empty network namespace (unshare -n) with one veth whose peer
// never answers: real ping, real 100% loss, and no packet can leave the machine.
const haveNetns = havePing
  ? await requirePeer('network namespaces with veth (unshare -n, ip)', () => {
      const r = spawnSync('unshare', ['-n', 'sh', '-c', 'ip link add v0 type veth peer name v1'], { encoding: 'utf8' });
      return r.status === 0 ? true : `cannot create a veth in a private namespace: ${r.stderr.trim() || r.error?.message}`;
    })
  : false;

describe.skipIf(!haveNetns)('icmp check with loss, in a private network namespace', () => {
  let dir: string;
  let lossyPing: string;
  let noNetPing: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'kansoku-icmp-'));
    lossyPing = path.join(dir, 'ping-into-void.sh');
    await writeFile(
      lossyPing,
      `#!/bin/sh\nexec unshare -n sh -c 'ip link set lo up && ip link add v0 type veth peer name v1 && ip addr add 10.9.9.1/24 dev v0 && ip link set v0 up && exec ping "$@"' ping "$@"\n`,
    );
    noNetPing = path.join(dir, 'ping-without-network.sh');
    await writeFile(noNetPing, `#!/bin/sh\nexec unshare -n ping "$@"\n`);
    await chmod(lossyPing, 0o755);
    await chmod(noNetPing, 0o755);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('a host that never answers: 100% loss → CRITICAL', async () => {
    const r = await createIcmpCheck({ pingPath: lossyPing }).run(spec({ host: '10.9.9.2', count: 2 }), cx(4000));
    expect(r.status).toBe('critical');
    expect(r.message).toMatch(/^PING 10\.9\.9\.2: 100% packet loss \(0\/2 answered\)/);
    expect(r.message).toMatch(/critical: loss 100% ≥ 60%$/);
    expect(r.metrics.find((m) => m.name === 'loss_percent')?.value).toBe(100);
    expect(r.evidence?.responseExcerpt).toMatch(/ping statistics/);
  });

  it('with only a loss WARNING level set, total loss is a WARNING', async () => {
    const r = await createIcmpCheck({ pingPath: lossyPing }).run(
      spec({ host: '10.9.9.2', count: 2, warning: { lossPercent: 50 }, critical: { rttMs: 1000 } }),
      cx(4000),
    );
    expect(r.status).toBe('warning');
  });

  it('no route at all: CRITICAL with ping\'s reason', async () => {
    const r = await createIcmpCheck({ pingPath: noNetPing }).run(spec({ host: '127.0.0.1', count: 1 }), cx(3000));
    expect(r.status).toBe('critical');
    expect(r.message).toBe('PING 127.0.0.1: connect: Network is unreachable');
  });
});

describe('icmp check without ping', () => {
  it('reports UNKNOWN when the ping program is missing', async () => {
    const r = await createIcmpCheck({ pingPath: '/nonexistent/ping' }).run(spec({ host: '127.0.0.1' }), cx(2000));
    expect(r.status).toBe('unknown');
    expect(r.message).toMatch(/^cannot run ping \(install iputils-ping\)/);
  });
});
