/**
 * Checks: HTTP probes per CPU-second, Kansoku's http check beside Prometheus blackbox_exporter
 * (Debian package) probing the same local nginx page with the same assertions; and the check
 * scheduler's lag (due → probe start) at 10,000 checks per minute, real HTTP probes included.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CheckScheduler } from '../src/checks/scheduler.js';
import { runnerFor } from '../src/checks/check-runner.js';
import { httpCheck, httpCheckSpecSchema } from '../src/sources/checks/http/index.js';
import { freePort } from '../test/support/server-process.js';
import { hasExecutable, tcpReachable } from '../test/support/peer.js';
import type { BenchSuite } from './run.js';

const NGINX = '/usr/sbin/nginx';
const BLACKBOX = '/usr/bin/prometheus-blackbox-exporter';
const CLK_TCK = 100;

function cpuSecondsOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

function rssMb(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
}

async function waitPort(port: number, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if ((await tcpReachable('127.0.0.1', port, 200)) === true) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what} did not listen on ${port}`);
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

async function startNginx(dir: string, port: number): Promise<ChildProcess> {
  mkdirSync(path.join(dir, 'html'), { recursive: true });
  mkdirSync(path.join(dir, 'tmp'), { recursive: true });
  writeFileSync(path.join(dir, 'html/index.html'), `<html><body><h1>Shop</h1>${'<p>item</p>'.repeat(200)}<button>Add to cart</button></body></html>\n`);
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `${t}_temp_path ${path.join(dir, 'tmp', t)};`).join(' ');
  writeFileSync(
    path.join(dir, 'nginx.conf'),
    `${process.getuid?.() === 0 ? 'user root;' : ''}\nworker_processes 1;\nevents { worker_connections 1024; }\nhttp { access_log off; ${temp} server { listen 127.0.0.1:${port}; root ${path.join(dir, 'html')}; } }\n`,
  );
  const child = spawn(NGINX, ['-e', 'stderr', '-p', dir, '-c', path.join(dir, 'nginx.conf'), '-g', `daemon off; pid ${path.join(dir, 'nginx.pid')}; error_log stderr;`], { stdio: 'ignore' });
  await waitPort(port, 'nginx');
  return child;
}

/** Runs `task` with `concurrency` workers for `ms` milliseconds; returns how many completed. */
async function saturate(ms: number, concurrency: number, task: () => Promise<void>): Promise<number> {
  const end = performance.now() + ms;
  let done = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        await task();
        done++;
      }
    }),
  );
  return done;
}

function quantile(sorted: number[], q: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

export const checksBench: BenchSuite = {
  name: 'checks',
  description: 'HTTP probes per CPU-second vs blackbox_exporter; scheduler lag at 10,000 checks per minute',
  async run() {
    for (const exe of [NGINX, BLACKBOX]) {
      const ok = await hasExecutable(exe);
      if (ok !== true) return `## checks\n\nskipped: ${ok}\n`;
    }
    const dir = mkdtempSync(path.join(tmpdir(), 'ksk-bench-checks-'));
    const nginxPort = await freePort();
    const nginx = await startNginx(path.join(dir, 'nginx'), nginxPort);
    const url = `http://127.0.0.1:${nginxPort}/`;
    const lines: string[] = [];
    let blackbox: ChildProcess | undefined;
    try {
      const spec = httpCheckSpecSchema.parse({ type: 'http', url, interval: '60s', timeout: '5s', expect: { status: [200], bodyContains: 'Add to cart' } });
      const probeMs = 6000;
      const concurrency = 16;

      // Kansoku: the http check's probe in this process; CPU of this process only.
      await saturate(500, concurrency, async () => void (await httpCheck.run(spec, { signal: AbortSignal.timeout(5000), timeoutMs: 5000 })));
      let failed = 0;
      const cpu0 = process.cpuUsage();
      const kProbes = await saturate(probeMs, concurrency, async () => {
        const r = await httpCheck.run(spec, { signal: AbortSignal.timeout(5000), timeoutMs: 5000 });
        if (r.status !== 'ok') failed++;
      });
      const cpu = process.cpuUsage(cpu0);
      const kCpuS = (cpu.user + cpu.system) / 1e6;
      if (failed) throw new Error(`${failed} Kansoku probes failed`);

      // blackbox_exporter: same page, same assertions; its own CPU from /proc.
      const bbPort = await freePort();
      const bbConf = path.join(dir, 'blackbox.yml');
      writeFileSync(bbConf, `modules:\n  http_2xx:\n    prober: http\n    timeout: 5s\n    http:\n      valid_status_codes: [200]\n      fail_if_body_not_matches_regexp: ["Add to cart"]\n`);
      blackbox = spawn(BLACKBOX, [`--config.file=${bbConf}`, `--web.listen-address=127.0.0.1:${bbPort}`, '--log.level=error'], { stdio: 'ignore' });
      await waitPort(bbPort, 'blackbox_exporter');
      const probeUrl = `http://127.0.0.1:${bbPort}/probe?module=http_2xx&target=${encodeURIComponent(url)}`;
      const bbProbe = async () => {
        const text = await (await fetch(probeUrl)).text();
        if (!/^probe_success 1$/m.test(text)) failed++;
      };
      await saturate(500, concurrency, bbProbe);
      const bb0 = cpuSecondsOf(blackbox.pid!);
      const bProbes = await saturate(probeMs, concurrency, bbProbe);
      const bCpuS = cpuSecondsOf(blackbox.pid!) - bb0;
      const bbRss = rssMb(blackbox.pid!);
      if (failed) throw new Error(`${failed} blackbox probes failed`);
      await stop(blackbox);

      // Scheduler: 10,000 checks at 60 s (≈167 runs per second), real HTTP probes.
      const lags: number[] = [];
      let runs = 0;
      const scheduler = new CheckScheduler({
        runners: new Map([['http', runnerFor(httpCheck)]]),
        metrics: { lag: { observe: (s) => lags.push(s * 1000) } },
        onResult: () => {
          runs++;
        },
      });
      for (let i = 0; i < 10_000; i++) scheduler.upsert(`web-${i}`, { ...spec, url: `${url}?c=${i}` } as typeof spec);
      const sched0 = process.cpuUsage();
      const windowMs = 20_000;
      scheduler.start();
      await new Promise((r) => setTimeout(r, windowMs));
      await scheduler.stop();
      const schedCpu = process.cpuUsage(sched0);
      lags.sort((a, b) => a - b);

      const kRate = kProbes / kCpuS;
      const bRate = bProbes / bCpuS;
      lines.push(
        '## checks',
        '',
        `Local nginx page (${url.replace(/\d+\/$/, 'PORT/')}), status 200 and body must contain "Add to cart"; ${concurrency} probes in flight, ${probeMs / 1000} s each side, one run.`,
        '',
        '| measure | Kansoku http check | blackbox_exporter |',
        '|---|---|---|',
        `| probes completed | ${kProbes} | ${bProbes} |`,
        `| CPU seconds used by the prober | ${kCpuS.toFixed(2)} | ${bCpuS.toFixed(2)} |`,
        `| **HTTP probes per CPU-second** | **${kRate.toFixed(0)}** | **${bRate.toFixed(0)}** |`,
        `| probes per second (wall) | ${(kProbes / (probeMs / 1000)).toFixed(0)} | ${(bProbes / (probeMs / 1000)).toFixed(0)} |`,
        `| RSS of the prober | ${rssMb(process.pid).toFixed(0)} MB (bench process) | ${bbRss.toFixed(0)} MB |`,
        '',
        `Ratio: Kansoku ${(kRate / bRate).toFixed(2)}× blackbox_exporter per CPU-second (target ≥ 2×). Blackbox's CPU excludes the HTTP request that asks it to probe; Kansoku's includes nothing but the probe.`,
        '',
        `Scheduler: 10,000 http checks at interval 60s (deterministic spread), ${windowMs / 1000} s window, real probes against the same nginx:`,
        '',
        '| measure | value |',
        '|---|---|',
        `| runs completed | ${runs} (${(runs / (windowMs / 1000)).toFixed(0)} per second) |`,
        `| scheduling lag p50 / p99 / max | ${quantile(lags, 0.5).toFixed(1)} / ${quantile(lags, 0.99).toFixed(1)} / ${(lags.at(-1) ?? NaN).toFixed(1)} ms (target p99 < 100 ms) |`,
        `| CPU while scheduling | ${(((schedCpu.user + schedCpu.system) / 1e6 / (windowMs / 1000)) * 100).toFixed(0)} % of one core |`,
        `| RSS of the process with 10,000 checks | ${rssMb(process.pid).toFixed(0)} MB |`,
        '',
      );
    } finally {
      if (blackbox) await stop(blackbox);
      await stop(nginx);
    }
    return lines.join('\n');
  },
};
