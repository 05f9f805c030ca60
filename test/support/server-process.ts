import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const BIN = path.join(REPO, 'bin/kansoku.js');

export function assertBuilt(): void {
  if (!existsSync(path.join(REPO, 'dist/main.js'))) throw new Error('dist/ is missing: run `npm run build` before the end-to-end tests (npm test does)');
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export interface ServerProc {
  url: string;
  dataDir: string;
  proc: ChildProcess;
  logs: () => string;
  token: () => string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Polls `readyUrl` until it answers 2xx. A process that exits first, or is not ready in time
 * (then it is killed), fails with its output so far.
 */
export async function waitUntilReady(proc: ChildProcess, readyUrl: string, what: string, timeoutMs: number, logs: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`${what} exited with ${proc.exitCode} before it was ready:\n${logs()}`);
    if (await fetch(readyUrl).then((r) => r.ok, () => false)) return;
    if (Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error(`${what} not ready after ${timeoutMs / 1000} s:\n${logs()}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Node flags the server runs with, as `npm start` and the bin's shebang give them (package.json,
 * bin/kansoku.js): a larger young generation keeps ingest's short-lived objects out of the old
 * generation (BENCHMARKS.md). KANSOKU_TEST_NODE_FLAGS overrides them, for A/B runs.
 */
export const SERVER_NODE_FLAGS = (process.env.KANSOKU_TEST_NODE_FLAGS ?? '--max-semi-space-size=64').split(' ').filter(Boolean);

/**
 * Starts `kansoku server` as a real process on a free loopback port and waits for /healthz.
 * `hostMetrics: true` keeps the server's own host metrics on (its default); the tests leave them
 * off unless they ask, so series counts and listings see only what the test wrote.
 */
export async function startServerProcess(opts: { dataDir?: string; args?: string[]; env?: Record<string, string>; hostMetrics?: boolean } = {}): Promise<ServerProc> {
  assertBuilt();
  const dataDir = opts.dataDir ?? mkdtempSync(path.join(tmpdir(), 'ksk-e2e-'));
  const port = await freePort();
  let out = '';
  const proc = spawn(process.execPath, [...SERVER_NODE_FLAGS, BIN, 'server', '--data-dir', dataDir, '--listen', `127.0.0.1:${port}`, ...(opts.hostMetrics ? [] : ['--no-host-metrics']), ...(opts.args ?? [])], {
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const url = `http://127.0.0.1:${port}`;
  await waitUntilReady(proc, `${url}/healthz`, 'server', 60_000, () => out);
  return {
    url,
    dataDir,
    proc,
    logs: () => out,
    token: () => readFileSync(path.join(dataDir, 'admin-token'), 'utf8').trim(),
    stop: (signal: NodeJS.Signals = 'SIGTERM') =>
      new Promise((resolve) => {
        if (proc.exitCode !== null) return resolve(proc.exitCode);
        proc.once('exit', (code) => resolve(code));
        proc.kill(signal);
      }),
  };
}

/** Runs the CLI as a user would and returns its exit code and output. */
export function cli(args: string[], env: Record<string, string | undefined> = {}, input?: string): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { env: { ...process.env, NO_COLOR: '1', ...env }, encoding: 'utf8', input, timeout: 120_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
