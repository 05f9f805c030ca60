/**
 * Debian's Prometheus as a test and benchmark peer: started on a free loopback port with its
 * own TSDB directory and a configuration without scrape jobs, the remote-write receiver on,
 * and stopped afterwards.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { waitUntilReady } from '../../../test/support/server-process.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const PROMETHEUS_BIN = process.env.KANSOKU_PROMETHEUS_BIN ?? '/usr/bin/prometheus';
export const PROMTOOL_BIN = process.env.KANSOKU_PROMTOOL_BIN ?? '/usr/bin/promtool';

export interface PrometheusProcess {
  url: string;
  dir: string;
  tsdbDir: string;
  proc: ChildProcess;
  logs(): string;
  stop(): Promise<void>;
}

export async function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export async function startPrometheus(opts: { extraArgs?: string[]; config?: string } = {}): Promise<PrometheusProcess> {
  const dir = mkdtempSync(path.join(tmpdir(), 'ksk-prom-'));
  const tsdbDir = path.join(dir, 'tsdb');
  const config = path.join(dir, 'minimal.yml');
  writeFileSync(config, opts.config ?? 'global:\n  scrape_interval: 15s\n  evaluation_interval: 15s\nscrape_configs: []\n');
  const port = await freeLoopbackPort();
  let out = '';
  const proc = spawn(
    PROMETHEUS_BIN,
    [`--config.file=${config}`, `--storage.tsdb.path=${tsdbDir}`, `--web.listen-address=127.0.0.1:${port}`, '--web.enable-remote-write-receiver', '--log.level=warn', ...(opts.extraArgs ?? [])],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  proc.stdout!.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20_000)));
  proc.stderr!.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20_000)));
  const url = `http://127.0.0.1:${port}`;
  await waitUntilReady(proc, `${url}/-/ready`, 'prometheus', 30_000, () => out);
  return {
    url,
    dir,
    tsdbDir,
    proc,
    logs: () => out,
    async stop() {
      if (proc.exitCode === null) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(() => proc.kill('SIGKILL'), 15_000);
          proc.once('exit', () => {
            clearTimeout(timer);
            resolve();
          });
          proc.kill('SIGTERM');
        });
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
