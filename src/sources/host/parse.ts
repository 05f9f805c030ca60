/**
 * Parsers for the Linux /proc files the host collector reads. Pure functions over the file text,
 * so they are tested with captured fixtures (testdata/). Units are converted the way
 * prometheus-node-exporter converts them: ticks (USER_HZ, 100 on every Linux ABI) and
 * milliseconds to seconds, sectors (always 512 bytes in /proc/diskstats) and kB to bytes.
 */

/** The kernel's USER_HZ: /proc/stat and /proc/<pid>/stat count in 1/100 s on every architecture. */
export const USER_HZ = 100;
const SECTOR_BYTES = 512;

export const CPU_MODES = ['user', 'nice', 'system', 'idle', 'iowait', 'irq', 'softirq', 'steal'] as const;
export type CpuMode = (typeof CPU_MODES)[number];

export interface CpuTimes {
  /** Seconds per mode; guest time is also counted in user / nice, as the kernel does. */
  modes: Record<CpuMode, number>;
  guest: number;
  guestNice: number;
}

export interface ProcStat {
  /** Per CPU, keyed by the number after "cpu" ("0", "1", …); the "cpu" total line is not kept. */
  cpus: Map<string, CpuTimes>;
  bootTime?: number;
  contextSwitches?: number;
  forks?: number;
  interrupts?: number;
  procsRunning?: number;
  procsBlocked?: number;
}

export function parseProcStat(text: string): ProcStat {
  const out: ProcStat = { cpus: new Map() };
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    const key = f[0];
    if (!key) continue;
    if (key.startsWith('cpu') && key.length > 3) {
      const n = (i: number) => (Number(f[i + 1] ?? 0) || 0) / USER_HZ;
      out.cpus.set(key.slice(3), {
        modes: { user: n(0), nice: n(1), system: n(2), idle: n(3), iowait: n(4), irq: n(5), softirq: n(6), steal: n(7) },
        guest: n(8),
        guestNice: n(9),
      });
      continue;
    }
    const v = Number(f[1]);
    if (!Number.isFinite(v)) continue;
    switch (key) {
      case 'btime':
        out.bootTime = v;
        break;
      case 'ctxt':
        out.contextSwitches = v;
        break;
      case 'processes':
        out.forks = v;
        break;
      case 'intr':
        out.interrupts = v;
        break;
      case 'procs_running':
        out.procsRunning = v;
        break;
      case 'procs_blocked':
        out.procsBlocked = v;
        break;
    }
  }
  return out;
}

/**
 * /proc/meminfo as node_exporter's meminfo collector names it: "Active(anon)" becomes
 * "Active_anon"; a value with a unit (always kB) is multiplied by 1024 and gets "_bytes"
 * ("MemTotal_bytes"); one without (HugePages_Total) keeps its name.
 */
export function parseMeminfo(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 2 || !f[0]!.endsWith(':')) continue;
    let v = Number(f[1]);
    if (!Number.isFinite(v)) continue;
    let key = f[0]!.slice(0, -1).replace(/\((.*)\)/, '_$1');
    if (f.length === 3) {
      v *= 1024;
      key += '_bytes';
    } else if (f.length !== 2) continue;
    if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(key)) continue;
    out.set(key, v);
  }
  return out;
}

export function parseLoadavg(text: string): { load1: number; load5: number; load15: number } | undefined {
  const f = text.trim().split(/\s+/).map(Number);
  if (f.length < 3 || !f.slice(0, 3).every(Number.isFinite)) return undefined;
  return { load1: f[0]!, load5: f[1]!, load15: f[2]! };
}

export interface Mount {
  device: string;
  mountpoint: string;
  fstype: string;
  options: string[];
}

/** /proc/mounts escapes space, tab, newline and backslash as \ooo octal. */
function unescapeMountField(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

export function parseMounts(text: string): Mount[] {
  const out: Mount[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 4) continue;
    out.push({ device: unescapeMountField(f[0]!), mountpoint: unescapeMountField(f[1]!), fstype: f[2]!, options: f[3]!.split(',') });
  }
  return out;
}

/** A node_disk_* family from one /proc/diskstats column (1-based after the device name). */
export interface DiskField {
  name: string;
  help: string;
  type: 'counter' | 'gauge';
  scale: number;
}

/** The columns in kernel order (Documentation/admin-guide/iostats.rst); older kernels have fewer. */
export const DISK_FIELDS: readonly DiskField[] = [
  { name: 'node_disk_reads_completed_total', help: 'The total number of reads completed successfully.', type: 'counter', scale: 1 },
  { name: 'node_disk_reads_merged_total', help: 'The total number of reads merged.', type: 'counter', scale: 1 },
  { name: 'node_disk_read_bytes_total', help: 'The total number of bytes read successfully.', type: 'counter', scale: SECTOR_BYTES },
  { name: 'node_disk_read_time_seconds_total', help: 'The total number of seconds spent by all reads.', type: 'counter', scale: 0.001 },
  { name: 'node_disk_writes_completed_total', help: 'The total number of writes completed successfully.', type: 'counter', scale: 1 },
  { name: 'node_disk_writes_merged_total', help: 'The number of writes merged.', type: 'counter', scale: 1 },
  { name: 'node_disk_written_bytes_total', help: 'The total number of bytes written successfully.', type: 'counter', scale: SECTOR_BYTES },
  { name: 'node_disk_write_time_seconds_total', help: 'This is the total number of seconds spent by all writes.', type: 'counter', scale: 0.001 },
  { name: 'node_disk_io_now', help: 'The number of I/Os currently in progress.', type: 'gauge', scale: 1 },
  { name: 'node_disk_io_time_seconds_total', help: 'Total seconds spent doing I/Os.', type: 'counter', scale: 0.001 },
  { name: 'node_disk_io_time_weighted_seconds_total', help: 'The weighted # of seconds spent doing I/Os.', type: 'counter', scale: 0.001 },
  { name: 'node_disk_discards_completed_total', help: 'The total number of discards completed successfully.', type: 'counter', scale: 1 },
  { name: 'node_disk_discards_merged_total', help: 'The total number of discards merged.', type: 'counter', scale: 1 },
  { name: 'node_disk_discarded_sectors_total', help: 'The total number of sectors discarded successfully.', type: 'counter', scale: 1 },
  { name: 'node_disk_discard_time_seconds_total', help: 'This is the total number of seconds spent by all discards.', type: 'counter', scale: 0.001 },
  { name: 'node_disk_flush_requests_total', help: 'The total number of flush requests completed successfully', type: 'counter', scale: 1 },
  { name: 'node_disk_flush_requests_time_seconds_total', help: 'This is the total number of seconds spent by all flush requests.', type: 'counter', scale: 0.001 },
];

export interface DiskStats {
  device: string;
  /** Raw column values (converted with DISK_FIELDS[i].scale by the collector). */
  values: number[];
}

export function parseDiskstats(text: string): DiskStats[] {
  const out: DiskStats[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 14) continue;
    out.push({ device: f[2]!, values: f.slice(3, 3 + DISK_FIELDS.length).map(Number) });
  }
  return out;
}

/** /proc/net/dev columns as node_exporter's netdev collector names them (`node_network_<name>_total`). */
export const NETDEV_FIELDS = [
  'receive_bytes',
  'receive_packets',
  'receive_errs',
  'receive_drop',
  'receive_fifo',
  'receive_frame',
  'receive_compressed',
  'receive_multicast',
  'transmit_bytes',
  'transmit_packets',
  'transmit_errs',
  'transmit_drop',
  'transmit_fifo',
  'transmit_colls',
  'transmit_carrier',
  'transmit_compressed',
] as const;

export function parseNetDev(text: string): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const device = line.slice(0, colon).trim();
    const f = line.slice(colon + 1).trim().split(/\s+/).map(Number);
    if (!device || f.length < NETDEV_FIELDS.length || f.some((x) => !Number.isFinite(x))) continue;
    out.set(device, f.slice(0, NETDEV_FIELDS.length));
  }
  return out;
}

export function parseVmstat(text: string, fields: RegExp): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const [k, v] = line.trim().split(/\s+/);
    if (!k || v === undefined || !fields.test(k)) continue;
    const n = Number(v);
    if (Number.isFinite(n)) out.set(k, n);
  }
  return out;
}

export interface ProcessStat {
  pid: string;
  comm: string;
  /** utime + stime in seconds. */
  cpuSeconds: number;
  /** Resident set in pages. */
  rssPages: number;
}

/** One /proc/<pid>/stat line. The command name may hold spaces and parentheses: it ends at the last ")". */
export function parseProcessStat(text: string): ProcessStat | undefined {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  const pid = text.slice(0, open).trim();
  const f = text.slice(close + 2).split(' ');
  // After ")": state(3) ppid … utime(14) stime(15) … rss(24), 1-based as in proc(5).
  const utime = Number(f[11]);
  const stime = Number(f[12]);
  const rss = Number(f[21]);
  if (!/^\d+$/.test(pid) || !Number.isFinite(utime) || !Number.isFinite(stime) || !Number.isFinite(rss)) return undefined;
  return { pid, comm: text.slice(open + 1, close), cpuSeconds: (utime + stime) / USER_HZ, rssPages: rss };
}
