/**
 * Kansoku's host collector side by side with the real prometheus-node-exporter (Debian's
 * package) on this machine: for every family Kansoku covers, the same metric names and label
 * sets, equal static values (memory and swap size, filesystem sizes, boot time, uname) and
 * counters that fall between two node_exporter scrapes taken around Kansoku's collection.
 *
 * Debian patches node_exporter's default excludes (it also hides /run, /mnt, /media and lo);
 * Kansoku follows upstream's, so the binary runs with upstream's defaults given explicitly.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasExecutable, requirePeer } from '../../../test/support/peer.js';
import { freePort } from '../../../test/support/server-process.js';
import { parseExpositionSamples, type FlatSample } from '../metrics/exposition/index.js';
import { DEFAULT_EXCLUDES, HostCollector, type HostCollection } from './collector.js';

const BIN = '/usr/bin/prometheus-node-exporter';
const available = await requirePeer('prometheus-node-exporter (apt-get install prometheus-node-exporter)', () => hasExecutable(BIN));

/** Families node_exporter has that Kansoku's collectors leave out on purpose (see README). */
const NOT_COVERED = new Set(['node_disk_info', 'node_filesystem_mount_info', 'node_time_zone_offset_seconds', 'node_time_clocksource_available_info', 'node_time_clocksource_current_info']);
/** Collectors whose output is compared: node_exporter runs only these. */
const COLLECTORS = ['cpu', 'stat', 'meminfo', 'loadavg', 'filesystem', 'diskstats', 'netdev', 'vmstat', 'time', 'uname'];

type Series = Map<string, number>;

/** name → (canonical label set → value), without the exporter's own series. */
function index(samples: { name: string; labels: Record<string, string>; value: number }[]): Map<string, Series> {
  const out = new Map<string, Series>();
  for (const s of samples) {
    if (!s.name.startsWith('node_') || s.name.startsWith('node_scrape_') || s.name === 'node_exporter_build_info' || s.name === 'node_textfile_scrape_error') continue;
    if (NOT_COVERED.has(s.name)) continue;
    let m = out.get(s.name);
    if (!m) out.set(s.name, (m = new Map()));
    m.set(JSON.stringify(Object.entries(s.labels).sort(([a], [b]) => (a < b ? -1 : 1))), s.value);
  }
  return out;
}

function fromExporter(samples: FlatSample[]): Map<string, Series> {
  return index(
    samples.map((s) => {
      const { __name__, ...labels } = s.labels;
      return { name: __name__!, labels, value: s.value };
    }),
  );
}

function fromKansoku(c: HostCollection): Map<string, Series> {
  return index(c.families.flatMap((f) => f.samples.map((s) => ({ name: f.name, labels: s.labels, value: s.value }))));
}

describe.skipIf(!available)('host collector vs prometheus-node-exporter on this machine', () => {
  let proc: ChildProcess;
  let url: string;
  let ne1: Map<string, Series>;
  let ne2: Map<string, Series>;
  let ours: Map<string, Series>;

  const scrape = async () => {
    const r = await fetch(url);
    expect(r.status).toBe(200);
    return fromExporter(parseExpositionSamples(await r.text(), 'text'));
  };

  beforeAll(async () => {
    const port = await freePort();
    url = `http://127.0.0.1:${port}/metrics`;
    let out = '';
    proc = spawn(
      BIN,
      [
        `--web.listen-address=127.0.0.1:${port}`,
        '--collector.disable-defaults',
        ...COLLECTORS.map((c) => `--collector.${c}`),
        `--collector.filesystem.mount-points-exclude=${DEFAULT_EXCLUDES.mountPoints.source.replace(/\\\//g, '/')}`,
        `--collector.filesystem.fs-types-exclude=${DEFAULT_EXCLUDES.fsTypes.source}`,
        `--collector.diskstats.device-exclude=${DEFAULT_EXCLUDES.diskDevices.source}`,
        '--collector.netdev.device-exclude=',
        `--collector.vmstat.fields=${DEFAULT_EXCLUDES.vmstatFields.source}`,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const deadline = Date.now() + 20_000;
    for (;;) {
      if (proc.exitCode !== null) throw new Error(`node_exporter exited with ${proc.exitCode}:\n${out}`);
      if (await fetch(url).then((r) => r.ok, () => false)) break;
      if (Date.now() > deadline) throw new Error(`node_exporter did not answer within 20 s:\n${out}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const collector = new HostCollector({ topProcesses: 0 });
    ne1 = await scrape();
    ours = fromKansoku(await collector.collect());
    ne2 = await scrape();
  });

  afterAll(() => {
    proc?.kill('SIGTERM');
  });

  it('has the same families, each with the same label sets', () => {
    // Time-dependent families may differ in presence only if a collector failed; none is expected to.
    expect([...ours.keys()].sort()).toEqual([...ne2.keys()].sort());
    for (const [name, series] of ne2) {
      expect([...ours.get(name)!.keys()].sort(), name).toEqual([...series.keys()].sort());
    }
    // The comparison means something only with the families that matter here.
    for (const f of ['node_cpu_seconds_total', 'node_memory_MemTotal_bytes', 'node_filesystem_size_bytes', 'node_disk_io_time_seconds_total', 'node_network_receive_bytes_total', 'node_load1', 'node_uname_info']) {
      expect(ours.get(f)?.size ?? 0, f).toBeGreaterThan(0);
    }
  });

  it('reports the same static values', () => {
    for (const name of ['node_memory_MemTotal_bytes', 'node_memory_SwapTotal_bytes', 'node_boot_time_seconds', 'node_uname_info', 'node_filesystem_size_bytes', 'node_filesystem_files', 'node_filesystem_readonly', 'node_memory_Hugepagesize_bytes']) {
      const want = ne2.get(name);
      expect(want, name).toBeDefined();
      for (const [labels, v] of want!) expect(ours.get(name)!.get(labels), `${name}${labels}`).toBe(v);
    }
  });

  it('reports counters between two node_exporter scrapes taken around its collection', () => {
    let compared = 0;
    for (const [name, series] of ne1) {
      if (!name.endsWith('_total') && !name.startsWith('node_vmstat_')) continue;
      for (const [labels, before] of series) {
        const after = ne2.get(name)!.get(labels)!;
        const got = ours.get(name)!.get(labels)!;
        // node_exporter prints 1/100 s ticks as floats: allow for rounding only.
        expect(got, `${name}${labels}: ${before} <= ${got} <= ${after}`).toBeGreaterThanOrEqual(before - 1e-6);
        expect(got, `${name}${labels}: ${before} <= ${got} <= ${after}`).toBeLessThanOrEqual(after + 1e-6);
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(50);
  });
});
