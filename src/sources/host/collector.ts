/**
 * Linux host metrics read straight from /proc and /sys (no native code, no node_exporter), named
 * and labelled as prometheus-node-exporter names them so its rules and dashboards work unchanged.
 * See README.md for the families, the excludes and what is left out.
 */
import { closeSync, openSync, readFileSync, readSync, readdirSync } from 'node:fs';
import { statfs } from 'node:fs/promises';
import { machine } from 'node:os';
import path from 'node:path';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { Logger } from '../../lib/logger.js';
import { CPU_MODES, DISK_FIELDS, NETDEV_FIELDS, parseDiskstats, parseLoadavg, parseMeminfo, parseMounts, parseNetDev, parseProcStat, parseProcessStat, parseVmstat, type CpuTimes, type ProcessStat } from './parse.js';

export type HostMetricType = 'counter' | 'gauge' | 'untyped';

export interface HostSample {
  labels: Record<string, string>;
  value: number;
}

export interface HostMetricFamily {
  name: string;
  type: HostMetricType;
  help: string;
  samples: HostSample[];
}

export interface HostCollection {
  /** When the collection started (ms since the epoch): every sample carries it. */
  timestampMs: number;
  families: HostMetricFamily[];
  /** CPU this process spent collecting (user + system, ms). */
  cpuMs: number;
}

/** node_exporter's defaults (upstream, not Debian's patched ones: Debian also hides /run, /mnt, /media and lo). */
export const DEFAULT_EXCLUDES = {
  mountPoints: /^\/(dev|proc|run\/credentials\/.+|sys|var\/lib\/docker\/.+|var\/lib\/containers\/storage\/.+)($|\/)/,
  fsTypes: /^(autofs|binfmt_misc|bpf|cgroup2?|configfs|debugfs|devpts|devtmpfs|fusectl|hugetlbfs|iso9660|mqueue|nsfs|overlay|proc|procfs|pstore|rpc_pipefs|securityfs|selinuxfs|squashfs|erofs|sysfs|tracefs)$/,
  diskDevices: /^(z?ram|loop|fd|(h|s|v|xv)d[a-z]|nvme\d+n\d+p)\d+$/,
  /** None by default upstream: loopback traffic is reported too. */
  netDevices: undefined as RegExp | undefined,
  vmstatFields: /^(oom_kill|pgpg|pswp|pg.*fault).*/,
};

export interface HostCollectorOptions {
  procPath?: string;
  sysPath?: string;
  /** Prefix for statfs paths, for a collector that sees the host's root under a mount (node_exporter's --path.rootfs). */
  rootfsPath?: string;
  /** Processes reported by CPU and by resident memory (each). Default 10; 0 turns it off. */
  topProcesses?: number;
  /** A statfs that takes longer marks its mount point stuck (skipped until the call returns). */
  statfsTimeoutMs?: number;
  excludes?: Partial<typeof DEFAULT_EXCLUDES>;
  logger?: Pick<Logger, 'warn' | 'debug'>;
  now?: () => number;
}

class FamilyBuilder {
  readonly #families = new Map<string, HostMetricFamily>();

  add(name: string, type: HostMetricType, help: string, labels: Record<string, string>, value: number): void {
    if (!Number.isFinite(value)) return;
    let f = this.#families.get(name);
    if (!f) this.#families.set(name, (f = { name, type, help, samples: [] }));
    f.samples.push({ labels, value });
  }

  list(): HostMetricFamily[] {
    return [...this.#families.values()];
  }
}

type SubCollector = (b: FamilyBuilder, now: number) => Promise<void> | void;

export class HostCollector {
  readonly #proc: string;
  readonly #sys: string;
  readonly #rootfs: string;
  readonly #top: number;
  readonly #statfsTimeoutMs: number;
  readonly #ex: typeof DEFAULT_EXCLUDES;
  readonly #now: () => number;
  readonly #log: HostCollectorOptions['logger'];
  /** Last CPU times per cpu: counters never go back (idle/iowait can on some kernels), as node_exporter holds them. */
  readonly #cpuLast = new Map<string, CpuTimes>();
  /** Mount points whose statfs has not returned: skipped until it does (a hung NFS server must not pile up calls). */
  readonly #stuck = new Set<string>();
  /** Per pid, the CPU seconds seen by the previous collection, to rank by recent use rather than lifetime. */
  #procLast = new Map<string, number>();
  #pageSize: number | undefined;

  constructor(opts: HostCollectorOptions = {}) {
    this.#proc = opts.procPath ?? '/proc';
    this.#sys = opts.sysPath ?? '/sys';
    this.#rootfs = opts.rootfsPath ?? '/';
    this.#top = opts.topProcesses ?? 10;
    this.#statfsTimeoutMs = opts.statfsTimeoutMs ?? 5000;
    this.#ex = { ...DEFAULT_EXCLUDES, ...opts.excludes };
    this.#now = opts.now ?? Date.now;
    this.#log = opts.logger;
  }

  async collect(): Promise<HostCollection> {
    const cpu0 = process.cpuUsage();
    const timestampMs = this.#now();
    const b = new FamilyBuilder();
    const collectors: [string, SubCollector][] = [
      ['cpu', (x) => this.#cpu(x)],
      ['stat', (x) => this.#stat(x)],
      ['meminfo', (x) => this.#meminfo(x)],
      ['loadavg', (x) => this.#loadavg(x)],
      ['filesystem', (x) => this.#filesystem(x)],
      ['diskstats', (x) => this.#diskstats(x)],
      ['netdev', (x) => this.#netdev(x)],
      ['vmstat', (x) => this.#vmstat(x)],
      ['time', (x, now) => x.add('node_time_seconds', 'gauge', 'System time in seconds since epoch (1970).', {}, now / 1000)],
      ['uname', (x) => this.#uname(x)],
    ];
    if (this.#top > 0) collectors.push(['top_processes', (x) => this.#topProcesses(x)]);
    for (const [name, fn] of collectors) {
      const t0 = performance.now();
      let ok = 1;
      try {
        await fn(b, timestampMs);
      } catch (err) {
        ok = 0;
        this.#log?.warn({ collector: name, err: (err as Error).message }, 'host metrics: a collector failed');
      }
      const labels = { collector: name };
      b.add('node_scrape_collector_duration_seconds', 'gauge', 'node_exporter: Duration of a collector scrape.', labels, (performance.now() - t0) / 1000);
      b.add('node_scrape_collector_success', 'gauge', 'node_exporter: Whether a collector succeeded.', labels, ok);
    }
    const used = process.cpuUsage(cpu0);
    return { timestampMs, families: b.list(), cpuMs: (used.user + used.system) / 1000 };
  }

  #read(rel: string): string {
    return readFileSync(path.join(this.#proc, rel), 'utf8');
  }

  #cpu(b: FamilyBuilder): void {
    const stat = parseProcStat(this.#read('stat'));
    for (const [cpu, now] of stat.cpus) {
      const last = this.#cpuLast.get(cpu);
      // Idle going back by 3 s or more means a CPU was hot-plugged: start again from its new values.
      const t: CpuTimes = last && last.modes.idle - now.modes.idle < 3 ? monotonic(last, now) : now;
      this.#cpuLast.set(cpu, t);
      for (const mode of CPU_MODES) b.add('node_cpu_seconds_total', 'counter', 'Seconds the CPUs spent in each mode.', { cpu, mode }, t.modes[mode]);
      b.add('node_cpu_guest_seconds_total', 'counter', 'Seconds the CPUs spent in guests (VMs) for each mode.', { cpu, mode: 'user' }, t.guest);
      b.add('node_cpu_guest_seconds_total', 'counter', 'Seconds the CPUs spent in guests (VMs) for each mode.', { cpu, mode: 'nice' }, t.guestNice);
    }
    for (const cpu of [...this.#cpuLast.keys()]) if (!stat.cpus.has(cpu)) this.#cpuLast.delete(cpu);
  }

  #stat(b: FamilyBuilder): void {
    const s = parseProcStat(this.#read('stat'));
    if (s.bootTime !== undefined) b.add('node_boot_time_seconds', 'gauge', 'Node boot time, in unixtime.', {}, s.bootTime);
    if (s.contextSwitches !== undefined) b.add('node_context_switches_total', 'counter', 'Total number of context switches.', {}, s.contextSwitches);
    if (s.forks !== undefined) b.add('node_forks_total', 'counter', 'Total number of forks.', {}, s.forks);
    if (s.interrupts !== undefined) b.add('node_intr_total', 'counter', 'Total number of interrupts serviced.', {}, s.interrupts);
    if (s.procsRunning !== undefined) b.add('node_procs_running', 'gauge', 'Number of processes in runnable state.', {}, s.procsRunning);
    if (s.procsBlocked !== undefined) b.add('node_procs_blocked', 'gauge', 'Number of processes blocked waiting for I/O to complete.', {}, s.procsBlocked);
  }

  #meminfo(b: FamilyBuilder): void {
    for (const [k, v] of parseMeminfo(this.#read('meminfo'))) b.add(`node_memory_${k}`, 'gauge', `Memory information field ${k}.`, {}, v);
  }

  #loadavg(b: FamilyBuilder): void {
    const l = parseLoadavg(this.#read('loadavg'));
    if (!l) throw new Error(`${this.#proc}/loadavg is not "load1 load5 load15 …"`);
    b.add('node_load1', 'gauge', '1m load average.', {}, l.load1);
    b.add('node_load5', 'gauge', '5m load average.', {}, l.load5);
    b.add('node_load15', 'gauge', '15m load average.', {}, l.load15);
  }

  async #filesystem(b: FamilyBuilder): Promise<void> {
    let text: string;
    try {
      // PID 1's view, as node_exporter reads it: inside a container with the host's /proc this is the host's mounts.
      text = this.#read('1/mounts');
    } catch {
      text = this.#read('self/mounts');
    }
    const seen = new Set<string>();
    const mounts = parseMounts(text).filter((m) => {
      if (this.#ex.mountPoints?.test(m.mountpoint) || this.#ex.fsTypes?.test(m.fstype)) return false;
      const key = `${m.device}\u0000${m.mountpoint}\u0000${m.fstype}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
    const results = await Promise.all(mounts.map((m) => this.#statfs(m.mountpoint)));
    mounts.forEach((m, i) => {
      const r = results[i]!;
      if (r === 'stuck') return;
      const labels = { device: m.device, fstype: m.fstype, mountpoint: m.mountpoint };
      b.add('node_filesystem_device_error', 'gauge', 'Whether an error occurred while getting statistics for the given device.', labels, r === 'error' ? 1 : 0);
      b.add('node_filesystem_readonly', 'gauge', 'Filesystem read-only status.', labels, m.options.includes('ro') ? 1 : 0);
      if (r === 'error') return;
      b.add('node_filesystem_size_bytes', 'gauge', 'Filesystem size in bytes.', labels, r.blocks * r.bsize);
      b.add('node_filesystem_free_bytes', 'gauge', 'Filesystem free space in bytes.', labels, r.bfree * r.bsize);
      b.add('node_filesystem_avail_bytes', 'gauge', 'Filesystem space available to non-root users in bytes.', labels, r.bavail * r.bsize);
      b.add('node_filesystem_files', 'gauge', 'Filesystem total file nodes.', labels, r.files);
      b.add('node_filesystem_files_free', 'gauge', 'Filesystem total free file nodes.', labels, r.ffree);
    });
  }

  async #statfs(mountpoint: string): Promise<{ blocks: number; bfree: number; bavail: number; files: number; ffree: number; bsize: number } | 'error' | 'stuck'> {
    if (this.#stuck.has(mountpoint)) return 'stuck';
    const call = statfs(path.join(this.#rootfs, mountpoint)).then(
      (s) => s,
      (err: Error) => err,
    );
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'stuck'>((resolve) => {
      timer = setTimeout(() => resolve('stuck'), this.#statfsTimeoutMs);
    });
    const r = await Promise.race([call, timeout]);
    clearTimeout(timer);
    if (r === 'stuck') {
      this.#stuck.add(mountpoint);
      this.#log?.warn({ mountpoint, timeoutMs: this.#statfsTimeoutMs }, 'host metrics: statfs did not return; the mount point is skipped until it does');
      void call.then(() => this.#stuck.delete(mountpoint));
      return 'stuck';
    }
    if (r instanceof Error) {
      this.#log?.debug({ mountpoint, err: r.message }, 'host metrics: statfs failed');
      return 'error';
    }
    return r;
  }

  #diskstats(b: FamilyBuilder): void {
    for (const d of parseDiskstats(this.#read('diskstats'))) {
      if (this.#ex.diskDevices?.test(d.device)) continue;
      d.values.forEach((v, i) => {
        const f = DISK_FIELDS[i]!;
        b.add(f.name, f.type, f.help, { device: d.device }, v * f.scale);
      });
    }
  }

  #netdev(b: FamilyBuilder): void {
    for (const [device, values] of parseNetDev(this.#read('net/dev'))) {
      if (this.#ex.netDevices?.test(device)) continue;
      values.forEach((v, i) => {
        const name = NETDEV_FIELDS[i]!;
        b.add(`node_network_${name}_total`, 'counter', `Network device statistic ${name}.`, { device }, v);
      });
      // Not in /proc/net/dev; node_exporter gets it over netlink, sysfs has the same counter.
      try {
        const nohandler = Number(readFileSync(path.join(this.#sys, 'class/net', device, 'statistics/rx_nohandler'), 'utf8'));
        b.add('node_network_receive_nohandler_total', 'counter', 'Network device statistic receive_nohandler.', { device }, nohandler);
      } catch {
        /* an older kernel or a device without sysfs statistics */
      }
    }
  }

  #vmstat(b: FamilyBuilder): void {
    for (const [k, v] of parseVmstat(this.#read('vmstat'), this.#ex.vmstatFields)) b.add(`node_vmstat_${k}`, 'untyped', `/proc/vmstat information field ${k}.`, {}, v);
  }

  #uname(b: FamilyBuilder): void {
    const k = (f: string) => this.#read(`sys/kernel/${f}`).trim();
    b.add(
      'node_uname_info',
      'gauge',
      'Labeled system information as provided by the uname system call.',
      { domainname: k('domainname'), machine: machine(), nodename: k('hostname'), release: k('osrelease'), sysname: k('ostype'), version: k('version') },
      1,
    );
  }

  /**
   * The top N processes by CPU used since the previous collection (lifetime CPU on the first)
   * and the top N by resident memory; both series for each of them. At most 2N processes per
   * collection, so 4N series; see README for why and what it costs.
   */
  async #topProcesses(b: FamilyBuilder): Promise<void> {
    const pids = readdirSync(this.#proc).filter((d) => /^\d+$/.test(d));
    const procs: (ProcessStat & { recent: number })[] = [];
    const next = new Map<string, number>();
    for (let i = 0; i < pids.length; i++) {
      // Thousands of processes: let other work run between slices.
      if (i > 0 && i % 256 === 0) await yieldToLoop();
      let p: ProcessStat | undefined;
      try {
        p = parseProcessStat(this.#read(`${pids[i]}/stat`));
      } catch {
        continue; // exited meanwhile
      }
      if (!p) continue;
      const before = this.#procLast.get(p.pid);
      next.set(p.pid, p.cpuSeconds);
      procs.push({ ...p, recent: before === undefined || before > p.cpuSeconds ? p.cpuSeconds : p.cpuSeconds - before });
    }
    const first = this.#procLast.size === 0;
    this.#procLast = next;
    const pageSize = this.#pageSizeBytes();
    const chosen = new Set<ProcessStat>();
    for (const p of [...procs].sort((a, c) => (first ? c.cpuSeconds - a.cpuSeconds : c.recent - a.recent) || c.cpuSeconds - a.cpuSeconds).slice(0, this.#top)) chosen.add(p);
    for (const p of [...procs].sort((a, c) => c.rssPages - a.rssPages).slice(0, this.#top)) chosen.add(p);
    for (const p of chosen) {
      const labels = { pid: p.pid, comm: p.comm };
      b.add('kansoku_host_process_cpu_seconds_total', 'counter', `User and system CPU seconds of a process among the top ${this.#top} by CPU or resident memory.`, labels, p.cpuSeconds);
      b.add('kansoku_host_process_resident_memory_bytes', 'gauge', `Resident memory of a process among the top ${this.#top} by CPU or resident memory.`, labels, p.rssPages * pageSize);
    }
    b.add('kansoku_host_processes', 'gauge', 'Processes on the host (entries under /proc).', {}, procs.length);
  }

  /** The kernel page size, from this process's first mapping in smaps (Node has no sysconf). */
  #pageSizeBytes(): number {
    if (this.#pageSize !== undefined) return this.#pageSize;
    this.#pageSize = 4096;
    try {
      // The first mapping's block is enough; the whole file is megabytes in a process with chDB loaded.
      const fd = openSync('/proc/self/smaps', 'r');
      const buf = Buffer.alloc(4096);
      let n: number;
      try {
        n = readSync(fd, buf, 0, buf.length, null);
      } finally {
        closeSync(fd);
      }
      const m = /KernelPageSize:\s+(\d+) kB/.exec(buf.toString('utf8', 0, n));
      if (m) this.#pageSize = Number(m[1]) * 1024;
    } catch {
      /* keep 4 KiB, the page size of every common Linux platform but some arm64/ppc64 builds */
    }
    return this.#pageSize;
  }
}

function monotonic(last: CpuTimes, now: CpuTimes): CpuTimes {
  const modes = { ...now.modes };
  for (const m of CPU_MODES) modes[m] = Math.max(last.modes[m], now.modes[m]);
  return { modes, guest: Math.max(last.guest, now.guest), guestNice: Math.max(last.guestNice, now.guestNice) };
}
