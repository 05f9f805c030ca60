/**
 * Alerting: time from a fault to the webhook. A local nginx is checked every 5 s by a real
 * `kansoku server` (http check, 1 attempt) and, in the same run against the same nginx, by
 * Prometheus + blackbox_exporter + Alertmanager (Debian packages) at their shortest sensible
 * settings: scrape every 5 s, rules evaluated every 1 s with `for: 0s`, Alertmanager
 * group_wait 0s / group_interval 1s, clustering off. Each trial stops nginx at a random phase of
 * the probe schedule and times until each webhook receiver gets its firing notification, then
 * starts nginx and waits for both resolved notifications. Also: CPU per evaluation round of
 * 4,000 rules over 30,000 series (src/rules/bench.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { benchRuleEvaluation } from '../src/rules/bench.js';
import { startNginx, NGINX_BIN, type NginxInstance } from '../src/sources/checks/http/test-support/nginx.js';
import { hasExecutable, tcpReachable } from '../test/support/peer.js';
import { cli, freePort, startServerProcess } from '../test/support/server-process.js';
import type { BenchSuite } from './run.js';

const PROMETHEUS = '/usr/bin/prometheus';
const BLACKBOX = '/usr/bin/prometheus-blackbox-exporter';
const ALERTMANAGER = '/usr/bin/prometheus-alertmanager';
const CHECK_INTERVAL_S = 5;
const TRIALS = Number(process.env.KANSOKU_BENCH_ALERT_TRIALS ?? 5);

interface Hit {
  status: string;
  at: number;
  /** startsAt of the first alert: for Kansoku, when the failing probe started. */
  startsAt: number;
  /** The alert's `check` label (Kansoku), to tell the plain and the watched check apart. */
  check: string | undefined;
}

class Receiver {
  readonly hits: Hit[] = [];
  private server!: Server;
  port = 0;
  async start(): Promise<void> {
    this.port = await freePort();
    this.server = createServer((req, res) => {
      let t = '';
      req.on('data', (d: Buffer) => (t += d.toString()));
      req.on('end', () => {
        const at = Date.now();
        try {
          const b = JSON.parse(t) as { status: string; alerts: { labels: Record<string, string> }[] };
          const a = b.alerts.find((x) => x.labels.alertname !== 'KansokuDrill') as { startsAt?: string; labels: Record<string, string> } | undefined;
          if (a) this.hits.push({ status: b.status, at, startsAt: Date.parse(a.startsAt ?? ''), check: a.labels.check });
        } catch {
          /* ignore */
        }
        res.end('ok');
      });
    });
    await new Promise<void>((r) => this.server.listen(this.port, '127.0.0.1', r));
  }
  async waitFor(status: string, after: number, timeoutMs: number, check?: string): Promise<number | undefined> {
    return (await this.waitHit(status, after, timeoutMs, check))?.at;
  }
  async waitHit(status: string, after: number, timeoutMs: number, check?: string): Promise<Hit | undefined> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const h = this.hits.find((x) => x.status === status && x.at >= after && (check === undefined || x.check === check));
      if (h) return h;
      await new Promise((r) => setTimeout(r, 20));
    }
    return undefined;
  }
  close(): Promise<void> {
    return new Promise((r) => this.server.close(() => r()));
  }
}

function daemon(bin: string, args: string[]): ChildProcess {
  const c = spawn(bin, args, { stdio: 'ignore' });
  process.once('exit', () => c.kill('SIGKILL'));
  return c;
}

async function waitPort(port: number, what: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if ((await tcpReachable('127.0.0.1', port, 200)) === true) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not listen on ${port}`);
}

async function stopChild(c: ChildProcess): Promise<void> {
  if (c.exitCode !== null) return;
  const exited = new Promise((r) => c.once('exit', r));
  c.kill('SIGTERM');
  await exited;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2) : NaN;
};
const fmt = (ms: number | undefined) => (ms === undefined || Number.isNaN(ms) ? 'n/a' : `${(ms / 1000).toFixed(2)} s`);

async function peerStack(dir: string, nginxPort: number, hookPort: number): Promise<ChildProcess[]> {
  const [bbPort, promPort, amPort] = [await freePort(), await freePort(), await freePort()];
  writeFileSync(path.join(dir, 'blackbox.yml'), `modules:\n  http_2xx:\n    prober: http\n    timeout: 800ms\n    http:\n      valid_status_codes: [200]\n      fail_if_body_not_matches_regexp: ["Add to cart"]\n`);
  writeFileSync(
    path.join(dir, 'alertmanager.yml'),
    `route: {receiver: hook, group_by: [alertname], group_wait: 0s, group_interval: 1s, repeat_interval: 4h}\nreceivers:\n- name: hook\n  webhook_configs: [{url: "http://127.0.0.1:${hookPort}/hook", send_resolved: true}]\n`,
  );
  writeFileSync(path.join(dir, 'rules.yml'), `groups:\n- name: bench\n  interval: 1s\n  rules:\n  - alert: ShopDown\n    expr: probe_success == 0\n    for: 0s\n    labels: {severity: critical}\n`);
  writeFileSync(
    path.join(dir, 'prometheus.yml'),
    `global: {scrape_interval: ${CHECK_INTERVAL_S}s, scrape_timeout: 4s, evaluation_interval: 1s}
rule_files: [${path.join(dir, 'rules.yml')}]
alerting:
  alertmanagers: [{static_configs: [{targets: ["127.0.0.1:${amPort}"]}]}]
scrape_configs:
- job_name: blackbox
  metrics_path: /probe
  params: {module: [http_2xx]}
  static_configs: [{targets: ["http://127.0.0.1:${nginxPort}/"]}]
  relabel_configs:
  - {source_labels: [__address__], target_label: __param_target}
  - {source_labels: [__param_target], target_label: instance}
  - {target_label: __address__, replacement: "127.0.0.1:${bbPort}"}
`,
  );
  mkdirSync(path.join(dir, 'am'), { recursive: true });
  mkdirSync(path.join(dir, 'tsdb'), { recursive: true });
  const bb = daemon(BLACKBOX, [`--config.file=${path.join(dir, 'blackbox.yml')}`, `--web.listen-address=127.0.0.1:${bbPort}`]);
  const am = daemon(ALERTMANAGER, [`--config.file=${path.join(dir, 'alertmanager.yml')}`, `--storage.path=${path.join(dir, 'am')}`, `--web.listen-address=127.0.0.1:${amPort}`, '--cluster.listen-address=']);
  const prom = daemon(PROMETHEUS, [`--config.file=${path.join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${path.join(dir, 'tsdb')}`, `--web.listen-address=127.0.0.1:${promPort}`]);
  await waitPort(bbPort, 'blackbox_exporter');
  await waitPort(amPort, 'alertmanager');
  await waitPort(promPort, 'prometheus');
  return [prom, am, bb];
}

async function latencyBench(): Promise<string> {
  const missing = [NGINX_BIN, PROMETHEUS, BLACKBOX, ALERTMANAGER].filter((b) => !hasExecutable(b));
  const dir = mkdtempSync(path.join(tmpdir(), 'ksk-bench-alerting-'));
  const nginxPort = await freePort();
  const startShop = () => startNginx(path.join(dir, 'nginx'), `server { listen 127.0.0.1:${nginxPort}; location / { return 200 "Add to cart\\n"; } }`, [nginxPort]);
  let nginx: NginxInstance = await startShop();
  const kRecv = new Receiver();
  const pRecv = new Receiver();
  await kRecv.start();
  await pRecv.start();
  const server = await startServerProcess();
  const env = { KANSOKU_URL: server.url, KANSOKU_TOKEN: server.token() };
  writeFileSync(
    path.join(dir, 'kansoku.yaml'),
    `apiVersion: kansoku/v1
kind: Channel
metadata: {name: hook}
spec: {type: webhook, url: "http://127.0.0.1:${kRecv.port}/hook"}
---
apiVersion: kansoku/v1
kind: Route
metadata: {name: root}
spec: {receiver: hook, groupBy: [alertname, check], groupWait: 0s, groupInterval: 1s, repeatInterval: 4h}
---
apiVersion: kansoku/v1
kind: Check
metadata: {name: shop, labels: {service: shop}}
spec: {type: http, url: "http://127.0.0.1:${nginxPort}/", interval: ${CHECK_INTERVAL_S}s, timeout: 800ms, attempts: 1, severity: critical, expect: {status: [200], bodyContains: "Add to cart"}}
---
apiVersion: kansoku/v1
kind: Check
metadata: {name: shop-watched, labels: {service: shop}}
spec: {type: http, url: "http://127.0.0.1:${nginxPort}/", interval: ${CHECK_INTERVAL_S}s, timeout: 800ms, attempts: 1, severity: critical, watch: connection, expect: {status: [200], bodyContains: "Add to cart"}}
`,
  );
  const applied = cli(['apply', '-f', path.join(dir, 'kansoku.yaml')], env);
  if (applied.code !== 0) throw new Error(`apply failed: ${applied.stderr}`);
  const peers = missing.length ? [] : await peerStack(dir, nginxPort, pRecv.port);
  const kMs: number[] = [];
  const kPipeline: number[] = [];
  const wMs: number[] = [];
  const pMs: number[] = [];
  try {
    // Let both systems see the service up (a few probe rounds) before the first fault.
    await new Promise((r) => setTimeout(r, 3 * CHECK_INTERVAL_S * 1000));
    for (let i = 0; i < TRIALS; i++) {
      await new Promise((r) => setTimeout(r, Math.random() * CHECK_INTERVAL_S * 1000));
      const t0 = Date.now();
      await nginx.stop();
      const [kHit, wHit, p] = await Promise.all([
        kRecv.waitHit('firing', t0, 40_000, 'shop'),
        kRecv.waitHit('firing', t0, 40_000, 'shop-watched'),
        peers.length ? pRecv.waitFor('firing', t0, 40_000) : Promise.resolve(undefined),
      ]);
      const k = kHit?.at;
      if (kHit) {
        kMs.push(kHit.at - t0);
        kPipeline.push(kHit.at - kHit.startsAt);
      }
      if (wHit) wMs.push(wHit.at - t0);
      if (p !== undefined) pMs.push(p - t0);
      console.error(`  trial ${i + 1}: kansoku ${fmt(k === undefined ? undefined : k - t0)}, kansoku watch: connection ${fmt(wHit === undefined ? undefined : wHit.at - t0)}, prometheus stack ${fmt(p === undefined ? undefined : p - t0)}`);
      const t1 = Date.now();
      nginx = await startShop();
      await Promise.all([
        kRecv.waitFor('resolved', t1, 40_000, 'shop'),
        kRecv.waitFor('resolved', t1, 40_000, 'shop-watched'),
        peers.length ? pRecv.waitFor('resolved', t1, 40_000) : Promise.resolve(undefined),
      ]);
    }
  } finally {
    await nginx.stop();
    for (const c of peers) await stopChild(c);
    await server.stop();
    await kRecv.close();
    await pRecv.close();
  }
  const km = median(kMs);
  const wm = median(wMs);
  const pm = median(pMs);
  const verdict = (m: number) =>
    `≤ half the peer's: ${Number.isNaN(pm) ? 'n/a' : m <= pm / 2 ? 'met' : 'NOT met'}; < check interval + 1 s = ${CHECK_INTERVAL_S + 1} s: ${m < (CHECK_INTERVAL_S + 1) * 1000 ? 'met' : 'NOT met'}`;
  return [
    `### Fault → webhook (nginx checked every ${CHECK_INTERVAL_S} s, ${TRIALS} trials, random phase)`,
    '',
    '| system | median | min | max | trials delivered |',
    '|---|---|---|---|---|',
    `| Kansoku (http check, 1 attempt; Route groupWait 0s) | ${fmt(km)} | ${fmt(Math.min(...kMs))} | ${fmt(Math.max(...kMs))} | ${kMs.length}/${TRIALS} |`,
    `| Kansoku, same check with \`watch: connection\` | ${fmt(wm)} | ${fmt(Math.min(...wMs))} | ${fmt(Math.max(...wMs))} | ${wMs.length}/${TRIALS} |`,
    missing.length
      ? `| Prometheus + blackbox_exporter + Alertmanager | skipped: ${missing.join(', ')} not installed | | | |`
      : `| Prometheus + blackbox_exporter + Alertmanager (scrape ${CHECK_INTERVAL_S}s, eval 1s, for 0s, group_wait 0s) | ${fmt(pm)} | ${fmt(Math.min(...pMs))} | ${fmt(Math.max(...pMs))} | ${pMs.length}/${TRIALS} |`,
    '',
    `Kansoku from the start of the failing probe to the webhook (check → routing → outbox → HTTP): median ${fmt(median(kPipeline))}, min ${fmt(Math.min(...kPipeline))}, max ${fmt(Math.max(...kPipeline))}; the rest is waiting for the next probe.`,
    '',
    `Targets, plain check: ${verdict(km)}. With \`watch: connection\`: ${verdict(wm)}. Ratios to the peer's median: ${Number.isNaN(pm) ? 'n/a' : `${(km / pm).toFixed(2)}× plain, ${(wm / pm).toFixed(2)}× watched`}.`,
    '',
  ].join('\n');
}

async function rulesBench(): Promise<string> {
  const rounds = Number(process.env.KANSOKU_BENCH_RULE_ROUNDS ?? 3);
  const r = await benchRuleEvaluation({ rules: 4000, series: 30_000, rounds });
  return [
    `### Rule evaluation: ${r.rules} rules over ${r.series} series (${r.rounds} rounds, in-memory series, one process)`,
    '',
    `Median per round: ${r.medianWallMs.toFixed(0)} ms wall, ${r.medianCpuMs.toFixed(0)} ms CPU (load ${r.loadMs.toFixed(0)} ms). Per round: ${r.perRound.map((p) => `${p.wallMs.toFixed(0)}/${p.cpuMs.toFixed(0)} ms`).join(', ')} (wall/CPU).`,
    '',
  ].join('\n');
}

export const alertingBench: BenchSuite = {
  name: 'alerting',
  description: 'fault → webhook latency vs Prometheus + blackbox_exporter + Alertmanager; CPU per round of 4,000 rules over 30,000 series',
  async run() {
    return ['## Alerting', '', await latencyBench(), await rulesBench()].join('\n');
  },
};
