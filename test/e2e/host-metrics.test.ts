/**
 * Host metrics end to end: a real `kansoku server` (collecting its own host by default) and a
 * real `kansoku agent --metrics` pushing remote-write to it; the series come back through the
 * Prometheus query API with node_exporter's names. Then `--no-host-metrics` turns the server's
 * own collection off.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, cli, startServerProcess, type ServerProc } from '../support/server-process.js';

const linux = process.platform === 'linux';
const memTotalBytes = () => Number(/^MemTotal:\s+(\d+) kB$/m.exec(readFileSync('/proc/meminfo', 'utf8'))![1]) * 1024;

interface Vector {
  metric: Record<string, string>;
  value: [number, string];
}

async function query(s: ServerProc, q: string): Promise<Vector[]> {
  const r = await fetch(`${s.url}/api/v1/query?query=${encodeURIComponent(q)}`, { headers: { authorization: `Bearer ${s.token()}` } });
  const body = (await r.json()) as { status: string; data: { result: Vector[] }; error?: string };
  if (r.status !== 200) throw new Error(`${q}: HTTP ${r.status}: ${body.error}`);
  return body.data.result;
}

/** Polls a query until `ok` holds (samples land in the store a moment after the push is answered). */
async function until(s: ServerProc, q: string, ok: (v: Vector[]) => boolean, timeoutMs = 60_000): Promise<Vector[]> {
  const deadline = Date.now() + timeoutMs;
  let last: Vector[] = [];
  while (Date.now() < deadline) {
    last = await query(s, q);
    if (ok(last)) return last;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`${q} never satisfied the test; last answer: ${JSON.stringify(last).slice(0, 2000)}`);
}

describe.skipIf(!linux)('kansoku agent --metrics and the server\'s own host metrics', () => {
  let s: ServerProc;
  let agent: ChildProcess;
  let agentLogs = '';

  beforeAll(async () => {
    s = await startServerProcess({ hostMetrics: true });
    const token = cli(['token', 'create', '--name', 'agent-e2e', '--role', 'editor', '--json'], { KANSOKU_URL: s.url, KANSOKU_TOKEN: s.token() });
    expect(token.code, token.stderr).toBe(0);
    const secret = (JSON.parse(token.stdout) as { token: string }).token;
    // Another instance name: the server already reports this host under its hostname.
    agent = spawn(process.execPath, [BIN, 'agent', '--metrics', '--metrics-interval', '2s', '--instance', 'agent-e2e', '--server', s.url], {
      env: { ...process.env, KANSOKU_TOKEN: secret },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    agent.stdout!.on('data', (d: Buffer) => (agentLogs += d.toString()));
    agent.stderr!.on('data', (d: Buffer) => (agentLogs += d.toString()));
    process.once('exit', () => agent.kill('SIGKILL'));
  });

  afterAll(async () => {
    if (agent && agent.exitCode === null) {
      const exited = new Promise((r) => agent.once('exit', r));
      agent.kill('SIGTERM');
      await exited;
    }
    await s?.stop();
  });

  it('stores node_memory_MemTotal_bytes from the agent: /proc/meminfo MemTotal × 1024', async () => {
    const r = await until(s, 'node_memory_MemTotal_bytes{job="node",instance="agent-e2e"}', (v) => v.length === 1);
    expect(Number(r[0]!.value[1])).toBe(memTotalBytes());
  });

  it('has CPU seconds by mode, so rate(node_cpu_seconds_total[1m]) gives every mode', async () => {
    const modes = ['idle', 'iowait', 'irq', 'nice', 'softirq', 'steal', 'system', 'user'];
    // A rate needs two samples: the agent collects every 2 s.
    const r = await until(s, 'sum by (mode) (rate(node_cpu_seconds_total{instance="agent-e2e"}[1m]))', (v) => v.length === modes.length);
    expect(r.map((x) => x.metric.mode).sort()).toEqual(modes);
    for (const x of r) expect(Number(x.value[1])).toBeGreaterThanOrEqual(0);
    const busy = r.filter((x) => x.metric.mode !== 'idle').reduce((n, x) => n + Number(x.value[1]), 0);
    expect(busy).toBeGreaterThan(0);
  });

  it('has the other families under node_exporter\'s names', async () => {
    for (const q of ['node_filesystem_size_bytes{mountpoint="/"}', 'node_network_receive_bytes_total{device="lo"}', 'node_load1', 'node_boot_time_seconds', 'node_uname_info', 'kansoku_host_process_resident_memory_bytes']) {
      const r = await until(s, `${q.includes('{') ? q.replace('{', '{instance="agent-e2e",') : `${q}{instance="agent-e2e"}`}`, (v) => v.length > 0);
      expect(r[0]!.metric.job, q).toBe('node');
    }
  });

  it('the server collects its own host under instance=<hostname> by default', async () => {
    const r = await until(s, `node_memory_MemTotal_bytes{job="node",instance="${hostname()}"}`, (v) => v.length === 1);
    expect(Number(r[0]!.value[1])).toBe(memTotalBytes());
  });

  it('the agent logs no failed push', () => {
    expect(agentLogs).toContain('host metrics agent starting');
    expect(agentLogs).not.toMatch(/cannot push host metrics|refused host metrics/);
  });
});

describe.skipIf(!linux)('kansoku server --no-host-metrics', () => {
  let s: ServerProc;
  beforeAll(async () => {
    s = await startServerProcess({ args: ['--no-host-metrics'] });
  });
  afterAll(async () => {
    await s?.stop();
  });

  it('stores no host series of its own', async () => {
    expect(s.logs()).toContain('--no-host-metrics');
    expect(await query(s, '{job="node"}')).toEqual([]);
  });
});

describe('kansoku agent usage', () => {
  it('needs --probe or --metrics, and says so', () => {
    const r = cli(['agent', '--token', 'x']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--probe LOCATION .* --metrics/);
  });

  it('--help describes the metrics mode, its target labels, buffering and backoff', () => {
    const r = cli(['agent', '--help']);
    expect(r.code).toBe(0);
    for (const s of ['--metrics', '--metrics-interval', '--instance', '--metrics-max-buffered', '/api/v1/write', 'remote-write 1.0', 'job="node"', 'backoff']) expect(r.stdout).toContain(s);
  });

  it('refuses a bad interval', () => {
    const r = cli(['agent', '--metrics', '--metrics-interval', '10ms', '--token', 'x']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--metrics-interval "10ms" must be a duration of at least 1s');
  });
});
