/**
 * Real DNS servers for the dns check's integration tests: NSD (authoritative) and Unbound, each
 * started in the foreground on loopback with its own config in a temp dir, on a free port, and
 * stopped (whole process group) afterwards.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { queryServer } from '../transport.js';

/** A port free for both TCP and UDP on 127.0.0.1 and ::1 (DNS servers bind all four). */
export async function freeDnsPort(): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = await new Promise<number>((resolve, reject) => {
      const srv = net.createServer();
      srv.once('error', reject);
      srv.listen(0, '127.0.0.1', () => {
        const p = (srv.address() as net.AddressInfo).port;
        srv.close(() => resolve(p));
      });
    });
    const ok = await Promise.all(
      (['udp4', 'udp6'] as const).map(
        (t) =>
          new Promise<boolean>((resolve) => {
            const s = dgram.createSocket(t);
            s.once('error', () => resolve(false));
            s.bind(port, t === 'udp4' ? '127.0.0.1' : '::1', () => s.close(() => resolve(true)));
          }),
      ),
    );
    if (ok.every(Boolean)) return port;
  }
  throw new Error('no free port for a DNS server');
}

export interface RunningServer {
  port: number;
  stop(): Promise<void>;
  log(): string;
}

async function startDaemon(argv: string[], probe: { host: string; port: number; name: string }): Promise<RunningServer> {
  const child: ChildProcess = spawn(argv[0]!, argv.slice(1), { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout!.on('data', (c: Buffer) => (log += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (log += c.toString()));
  let exited = false;
  const exitP = new Promise<void>((r) => child.once('exit', () => ((exited = true), r())));
  const stop = async (): Promise<void> => {
    if (exited) return;
    try {
      process.kill(-child.pid!, 'SIGTERM');
    } catch {
      /* gone */
    }
    const t = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        /* gone */
      }
    }, 3000);
    await exitP;
    clearTimeout(t);
  };
  // Ready when it answers a query about its own zone (any rcode will do).
  for (let i = 0; i < 100; i++) {
    if (exited) throw new Error(`${argv[0]} exited during start-up:\n${log}`);
    const r = await queryServer(
      { host: probe.host, port: probe.port, family: probe.host.includes(':') ? 6 : 4 },
      { name: probe.name, type: 'SOA', recursionDesired: false },
      { transport: 'udp', deadline: performance.now() + 200, signal: AbortSignal.timeout(1000) },
    );
    if (r.ok) return { port: probe.port, stop, log: () => log };
    await new Promise((res) => setTimeout(res, 50));
  }
  await stop();
  throw new Error(`${argv[0]} did not answer on ${probe.host}:${probe.port} within 5s:\n${log}`);
}

export interface NsdOptions {
  dir: string;
  /** Instance name: keeps files of several instances in one dir apart. */
  name: string;
  addresses: string[];
  port: number;
  /** zone name → zone file text, or null for a configured zone without a loadable file (SERVFAIL). */
  zones: Record<string, string | null>;
}

export async function startNsd(o: NsdOptions): Promise<RunningServer> {
  const base = path.join(o.dir, o.name);
  const zoneConf: string[] = [];
  for (const [zone, text] of Object.entries(o.zones)) {
    const file = `${base}-${zone}.zone`;
    if (text !== null) await writeFile(file, text);
    zoneConf.push(`zone:\n  name: "${zone}"\n  zonefile: "${file}"\n`);
  }
  const conf = `server:
${o.addresses.map((a) => `  ip-address: ${a}@${o.port}`).join('\n')}
  username: ""
  chroot: ""
  zonesdir: "${o.dir}"
  pidfile: "${base}.pid"
  database: ""
  xfrdfile: "${base}-xfrd.state"
  zonelistfile: "${base}-zone.list"
  xfrdir: "${o.dir}"
  logfile: "${base}.log"
  server-count: 1
  verbosity: 1
  refuse-any: yes
remote-control:
  control-enable: no
${zoneConf.join('')}`;
  await writeFile(`${base}.conf`, conf);
  const firstZone = Object.keys(o.zones)[0]!;
  return startDaemon(['/usr/sbin/nsd', '-d', '-c', `${base}.conf`], { host: o.addresses[0]!, port: o.port, name: firstZone });
}

export interface UnboundOptions {
  dir: string;
  port: number;
  localZones: string[];
  localData: string[];
}

export async function startUnbound(o: UnboundOptions): Promise<RunningServer> {
  const conf = `server:
  interface: 127.0.0.1@${o.port}
  port: ${o.port}
  do-daemonize: no
  username: ""
  chroot: ""
  directory: "${o.dir}"
  pidfile: "${o.dir}/unbound.pid"
  use-syslog: no
  logfile: ""
  verbosity: 1
  do-ip6: no
  access-control: 127.0.0.0/8 allow
  module-config: "iterator"
${o.localZones.map((z) => `  local-zone: "${z}" static`).join('\n')}
${o.localData.map((d) => `  local-data: '${d}'`).join('\n')}
remote-control:
  control-enable: no
`;
  await writeFile(path.join(o.dir, 'unbound.conf'), conf);
  return startDaemon(['/usr/sbin/unbound', '-d', '-c', path.join(o.dir, 'unbound.conf')], { host: '127.0.0.1', port: o.port, name: o.localZones[0]! });
}

/** A zone file for example.test with the given serial; ns1 at 127.0.0.1, ns2 at ::1. */
export function exampleZone(serial: number, extra = ''): string {
  return `$ORIGIN example.test.
$TTL 300
@    IN SOA ns1.example.test. hostmaster.example.test. ${serial} 3600 900 604800 300
@    IN NS  ns1.example.test.
@    IN NS  ns2.example.test.
ns1  IN A    127.0.0.1
ns2  IN AAAA ::1
www  IN A    192.0.2.10
www  IN A    192.0.2.11
www6 IN AAAA 2001:db8:0:0::10
alias IN CNAME www.example.test.
@    IN MX 10 mail.example.test.
@    IN MX 20 backup-mail.example.test.
@    IN TXT "v=spf1 -all"
${extra}`;
}
