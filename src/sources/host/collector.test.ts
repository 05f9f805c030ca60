import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { HostCollector, type HostCollection } from './collector.js';
import { collectionToSeries } from './remote-write.js';

const TESTDATA = path.join(path.dirname(fileURLToPath(import.meta.url)), 'testdata');

/** A /proc tree built from the captured fixtures, plus processes the test defines. */
function fakeProc(procs: Record<string, { comm: string; ticks: number; rss: number }> = {}): { proc: string; rootfs: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'ksk-host-'));
  const proc = path.join(dir, 'proc');
  mkdirSync(path.join(proc, 'net'), { recursive: true });
  mkdirSync(path.join(proc, 'sys/kernel'), { recursive: true });
  mkdirSync(path.join(proc, 'self'), { recursive: true });
  for (const f of ['stat', 'meminfo', 'loadavg', 'diskstats', 'vmstat']) cpSync(path.join(TESTDATA, f), path.join(proc, f));
  cpSync(path.join(TESTDATA, 'net-dev'), path.join(proc, 'net/dev'));
  cpSync(path.join(TESTDATA, 'mounts'), path.join(proc, 'self/mounts'));
  for (const [k, v] of Object.entries({ ostype: 'Linux', hostname: 'web1', osrelease: '6.1.0-18-amd64', version: '#1 SMP Debian 6.1.76-1', domainname: '(none)' })) writeFileSync(path.join(proc, 'sys/kernel', k), `${v}\n`);
  setProcs(proc, procs);
  // statfs goes to rootfs + mount point: "/" and "/data" exist there, the NFS mount does not.
  const rootfs = path.join(dir, 'root');
  mkdirSync(path.join(rootfs, 'data'), { recursive: true });
  return { proc, rootfs };
}

function setProcs(proc: string, procs: Record<string, { comm: string; ticks: number; rss: number }>): void {
  for (const [pid, p] of Object.entries(procs)) {
    mkdirSync(path.join(proc, pid), { recursive: true });
    writeFileSync(path.join(proc, pid, 'stat'), `${pid} (${p.comm}) S 1 1 1 0 -1 0 0 0 0 0 ${p.ticks} 0 0 0 20 0 1 0 100 1000 ${p.rss} 0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n`);
  }
}

function series(c: HostCollection, name: string): { labels: Record<string, string>; value: number }[] {
  return c.families.find((f) => f.name === name)?.samples ?? [];
}

describe('HostCollector over a fixture /proc', () => {
  it('produces node_exporter families with their labels', async () => {
    const { proc, rootfs } = fakeProc();
    const c = await new HostCollector({ procPath: proc, sysPath: path.join(proc, 'nosys'), rootfsPath: rootfs, topProcesses: 0 }).collect();
    expect(series(c, 'node_cpu_seconds_total').map((s) => `${s.labels.cpu}/${s.labels.mode}`)).toEqual(
      ['0', '1'].flatMap((cpu) => ['user', 'nice', 'system', 'idle', 'iowait', 'irq', 'softirq', 'steal'].map((m) => `${cpu}/${m}`)),
    );
    expect(series(c, 'node_memory_MemTotal_bytes')).toEqual([{ labels: {}, value: 24684084 * 1024 }]);
    expect(series(c, 'node_boot_time_seconds')[0]!.value).toBe(1795394138);
    expect(series(c, 'node_load15')[0]!.value).toBe(0.48);
    expect(series(c, 'node_disk_reads_completed_total').map((s) => s.labels.device)).toEqual(['vda', 'nvme0n1', 'sda']);
    expect(series(c, 'node_network_receive_bytes_total').map((s) => s.labels.device)).toEqual(['lo', 'ifb0', 'ifb1', 'eth0']);
    expect(series(c, 'node_uname_info')[0]!.labels).toMatchObject({ sysname: 'Linux', nodename: 'web1', release: '6.1.0-18-amd64', domainname: '(none)' });
    expect(c.families.find((f) => f.name === 'node_vmstat_pgfault')!.type).toBe('untyped');
    expect(series(c, 'node_scrape_collector_success').every((s) => s.value === 1)).toBe(true);
  });

  it('reports filesystems after the excludes; one statfs cannot answer: device_error 1 and no sizes', async () => {
    const { proc, rootfs } = fakeProc();
    const c = await new HostCollector({ procPath: proc, rootfsPath: rootfs, topProcesses: 0 }).collect();
    const err = Object.fromEntries(series(c, 'node_filesystem_device_error').map((s) => [s.labels.mountpoint, s.value]));
    expect(err).toEqual({ '/': 0, '/mnt/sandboxing/model_tools_env/v1/python': 1, '/mnt/with space': 1, '/data': 0 });
    expect(series(c, 'node_filesystem_size_bytes').map((s) => s.labels.mountpoint)).toEqual(['/', '/data']);
    expect(series(c, 'node_filesystem_size_bytes')[0]!.value).toBeGreaterThan(0);
    const ro = Object.fromEntries(series(c, 'node_filesystem_readonly').map((s) => [s.labels.mountpoint, s.value]));
    expect(ro).toMatchObject({ '/': 0, '/data': 1 });
    expect(series(c, 'node_filesystem_readonly').find((s) => s.labels.mountpoint === '/data')!.labels).toEqual({ device: '/dev/sdb1', fstype: 'xfs', mountpoint: '/data' });
  });

  it('never lets a CPU counter go back, unless idle jumps back by 3 s or more (a hot-plugged CPU)', async () => {
    const { proc } = fakeProc();
    const col = new HostCollector({ procPath: proc, topProcesses: 0 });
    writeFileSync(path.join(proc, 'stat'), 'cpu0 1000 0 500 20000 300 0 0 0 0 0\n');
    await col.collect();
    writeFileSync(path.join(proc, 'stat'), 'cpu0 1100 0 550 19950 290 0 0 0 0 0\n');
    const idle = (c: HostCollection, mode: string) => series(c, 'node_cpu_seconds_total').find((s) => s.labels.mode === mode)!.value;
    const c2 = await col.collect();
    expect([idle(c2, 'user'), idle(c2, 'idle'), idle(c2, 'iowait')]).toEqual([11, 200, 3]);
    writeFileSync(path.join(proc, 'stat'), 'cpu0 5 0 5 100 1 0 0 0 0 0\n');
    const c3 = await col.collect();
    expect([idle(c3, 'user'), idle(c3, 'idle')]).toEqual([0.05, 1]);
  });

  it('reports the top N processes by recent CPU and by resident memory, each once', async () => {
    const procs: Record<string, { comm: string; ticks: number; rss: number }> = {};
    for (let i = 1; i <= 30; i++) procs[String(i)] = { comm: `p${i}`, ticks: i * 100, rss: 1000 - i };
    const { proc } = fakeProc(procs);
    const col = new HostCollector({ procPath: proc, topProcesses: 3 });
    const c1 = await col.collect();
    const pids = (c: HostCollection) => series(c, 'kansoku_host_process_cpu_seconds_total').map((s) => s.labels.pid).sort((a, b) => Number(a) - Number(b));
    // First collection: lifetime CPU (28, 29, 30) and the largest (1, 2, 3).
    expect(pids(c1)).toEqual(['1', '2', '3', '28', '29', '30']);
    expect(series(c1, 'kansoku_host_process_resident_memory_bytes').find((s) => s.labels.pid === '1')).toEqual({ labels: { pid: '1', comm: 'p1' }, value: 999 * 4096 });
    // Then by CPU since the previous collection: 10 and 11 got busy, 12 too (less); 2 is among the largest and busy.
    setProcs(proc, { '10': { comm: 'p10', ticks: 1000 + 5000, rss: 1 }, '11': { comm: 'p11', ticks: 1100 + 4000, rss: 1 }, '12': { comm: 'p12', ticks: 1200 + 10, rss: 1 }, '2': { comm: 'p2', ticks: 200 + 3000, rss: 998 } });
    const c2 = await col.collect();
    expect(pids(c2)).toEqual(['1', '2', '3', '10', '11']);
    expect(series(c2, 'kansoku_host_process_cpu_seconds_total').find((s) => s.labels.pid === '10')!.value).toBe(60);
    expect(series(c2, 'kansoku_host_processes')[0]!.value).toBe(30);
  });

  it('turns a collection into remote-write series with job and instance, labels sorted', async () => {
    const { proc } = fakeProc();
    const c = await new HostCollector({ procPath: proc, topProcesses: 0 }).collect();
    const { timeseries, metadata } = collectionToSeries(c, { job: 'node', instance: 'web1' });
    const load = timeseries.find((t) => t.labels.some(([k, v]) => k === '__name__' && v === 'node_load1'))!;
    expect(load.labels).toEqual([
      ['__name__', 'node_load1'],
      ['instance', 'web1'],
      ['job', 'node'],
    ]);
    expect(load.samples).toEqual([{ t: c.timestampMs, v: 2.34 }]);
    const cpu = timeseries.find((t) => t.labels.some(([k, v]) => k === '__name__' && v === 'node_cpu_seconds_total'))!;
    expect(cpu.labels.map(([k]) => k)).toEqual(['__name__', 'cpu', 'instance', 'job', 'mode']);
    expect(metadata.find((m) => m.metricFamilyName === 'node_cpu_seconds_total')!.type).toBe('counter');
    expect(metadata.find((m) => m.metricFamilyName === 'node_vmstat_pgfault')!.type).toBe('unknown');
  });
});
