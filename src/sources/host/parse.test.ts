import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DEFAULT_EXCLUDES } from './collector.js';
import { DISK_FIELDS, parseDiskstats, parseLoadavg, parseMeminfo, parseMounts, parseNetDev, parseProcStat, parseProcessStat, parseVmstat } from './parse.js';

// Captured from a Linux 6.x VM (2 CPUs), plus a few hand-written lines for cases that VM lacks.
const fixture = (name: string) => readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), 'testdata', name), 'utf8');

describe('/proc/stat', () => {
  const s = parseProcStat(fixture('stat'));

  it('gives per-CPU seconds per mode (ticks / 100), without the total line', () => {
    expect([...s.cpus.keys()]).toEqual(['0', '1']);
    expect(s.cpus.get('0')!.modes).toEqual({ user: 103.07, nice: 0, system: 24.62, idle: 308.91, iowait: 4.21, irq: 0, softirq: 0.19, steal: 0.46 });
    expect(s.cpus.get('1')!.guest).toBe(0);
  });

  it('gives boot time, context switches, forks, interrupts and process counts', () => {
    expect(s).toMatchObject({ bootTime: 1795394138, contextSwitches: 1519556, forks: 11384, interrupts: 518600, procsRunning: 5, procsBlocked: 0 });
  });

  it('reads guest columns and tolerates kernels with fewer columns', () => {
    const t = parseProcStat('cpu0 10 20 30 40 50 60 70 80 90 100\ncpu1 1 2 3 4\n');
    expect(t.cpus.get('0')).toEqual({ modes: { user: 0.1, nice: 0.2, system: 0.3, idle: 0.4, iowait: 0.5, irq: 0.6, softirq: 0.7, steal: 0.8 }, guest: 0.9, guestNice: 1 });
    expect(t.cpus.get('1')!.modes).toMatchObject({ idle: 0.04, iowait: 0, steal: 0 });
  });
});

describe('/proc/meminfo', () => {
  const m = parseMeminfo(fixture('meminfo'));

  it('names fields as node_exporter does: kB values × 1024 with _bytes, parentheses to underscores', () => {
    expect(m.get('MemTotal_bytes')).toBe(24684084 * 1024);
    expect(m.get('SwapTotal_bytes')).toBe(0);
    expect(m.get('Active_anon_bytes')).toBe(28136 * 1024);
    expect(m.get('Inactive_file_bytes')).toBe(727868 * 1024);
  });

  it('keeps unitless counts without the _bytes suffix', () => {
    expect(m.get('HugePages_Total')).toBe(0);
    expect(m.has('HugePages_Total_bytes')).toBe(false);
    expect(m.get('Hugepagesize_bytes')).toBe(2048 * 1024);
  });

  it('skips blank and malformed lines', () => {
    expect([...parseMeminfo('MemTotal: 10 kB\n\nGarbage\nX: notanumber kB\n').entries()]).toEqual([['MemTotal_bytes', 10240]]);
  });
});

describe('/proc/loadavg', () => {
  it('gives the three averages', () => {
    expect(parseLoadavg(fixture('loadavg'))).toEqual({ load1: 2.34, load5: 1.09, load15: 0.48 });
    expect(parseLoadavg('nonsense')).toBeUndefined();
  });
});

describe('/proc/mounts', () => {
  const mounts = parseMounts(fixture('mounts'));

  it('unescapes octal escapes in device and mount point', () => {
    expect(mounts).toContainEqual({ device: 'server:/export/a b', mountpoint: '/mnt/with space', fstype: 'nfs4', options: ['rw', 'relatime'] });
  });

  it("node_exporter's default excludes leave the real filesystems", () => {
    const kept = mounts.filter((m) => !DEFAULT_EXCLUDES.mountPoints.test(m.mountpoint) && !DEFAULT_EXCLUDES.fsTypes.test(m.fstype)).map((m) => m.mountpoint);
    expect(kept).toEqual(['/', '/mnt/sandboxing/model_tools_env/v1/python', '/mnt/with space', '/data']);
  });
});

describe('/proc/diskstats', () => {
  const disks = parseDiskstats(fixture('diskstats'));

  it('keeps whole disks and drops partitions, loop, ram and zram devices by default', () => {
    expect(disks.map((d) => d.device).filter((d) => !DEFAULT_EXCLUDES.diskDevices.test(d))).toEqual(['vda', 'nvme0n1', 'sda']);
  });

  it('reads all 17 columns of a 5.5+ kernel and the 11 of an old one', () => {
    const vda = disks.find((d) => d.device === 'vda')!;
    expect(vda.values).toHaveLength(17);
    expect(vda.values[0]).toBe(85849);
    expect(vda.values[2]! * DISK_FIELDS[2]!.scale).toBe(3566210 * 512);
    expect(DISK_FIELDS[3]!.name).toBe('node_disk_read_time_seconds_total');
    expect(vda.values[3]! * DISK_FIELDS[3]!.scale).toBeCloseTo(99.267, 9);
    expect(disks.find((d) => d.device === 'sda')!.values).toEqual([7, 1, 64, 5, 3, 0, 24, 2, 1, 9, 11]);
  });
});

describe('/proc/net/dev', () => {
  it('gives the 16 columns per device, skipping the two header lines', () => {
    const n = parseNetDev(fixture('net-dev'));
    expect([...n.keys()]).toEqual(['lo', 'ifb0', 'ifb1', 'eth0']);
    expect(n.get('eth0')!.slice(0, 2)).toEqual([464800166, 11586]);
    expect(n.get('eth0')![8]).toBe(855352);
  });

  it('reads a device whose counter touches the colon', () => {
    expect(parseNetDev('  eth1:123456789012 5 0 0 0 0 0 0 7 8 0 0 0 0 0 0\n').get('eth1')![0]).toBe(123456789012);
  });
});

describe('/proc/vmstat', () => {
  it("keeps node_exporter's default fields only", () => {
    expect([...parseVmstat(fixture('vmstat'), DEFAULT_EXCLUDES.vmstatFields).keys()]).toEqual(['pgpgin', 'pgpgout', 'pswpin', 'pswpout', 'pgfault', 'pgmajfault', 'oom_kill']);
  });
});

describe('/proc/<pid>/stat', () => {
  it('gives pid, command, CPU seconds (utime + stime) and resident pages', () => {
    expect(parseProcessStat(fixture('pid-stat'))).toEqual({ pid: '11384', comm: 'cat', cpuSeconds: 0, rssPages: 412 });
  });

  it('takes a command name with spaces and parentheses up to the last ")"', () => {
    const line = '4242 (my (odd) proc) S 1 4242 4242 0 -1 4194560 10 0 0 0 150 50 0 0 20 0 3 0 100 1000000 2048 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0';
    expect(parseProcessStat(line)).toEqual({ pid: '4242', comm: 'my (odd) proc', cpuSeconds: 2, rssPages: 2048 });
  });

  it('refuses a truncated line', () => {
    expect(parseProcessStat('12 (x) R 1 2')).toBeUndefined();
  });
});
