/**
 * Remote-write ingest only, over HTTP, beside Prometheus 2.42 in the same run: the ingest
 * part of bench/metrics.ts without the flush wait, disk and query measures, for quick
 * before/after comparisons; payloads are spooled to a temporary file first, as there.
 * `npx tsx bench/metrics-ingest-http.ts [--series=N --hours=H | --full]
 * [--rounds=R] [--profile=DIR] [--compare=BIN]` (`--profile` runs the server under
 * `node --cpu-prof`; `--compare` runs another build's bin/kansoku.js too, in the same rounds). Each
 * build's line gives its server's CPU time per sample during the ingest too.
 * KSK_SERVER_NODE_ARGS adds node flags to the servers' command line; KSK_SERVER_OUT appends their stdout to a file.
 * Needs `npm run build` first.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BIN, freePort, startServerProcess, waitUntilReady } from '../test/support/server-process.js';
import { startPrometheus } from '../src/metrics/test-support/prometheus-process.js';
import { arg, benchShape, cpuSeconds, ingest as send, spoolPayloads } from './metrics.js';

/** A server from `bin`, optionally under `node --cpu-prof` (not allowed in NODE_OPTIONS, so spawned here). */
async function spawned(bin: string, profileDir?: string) {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'ksk-prof-'));
  const port = await freePort();
  const nodeArgs = (process.env.KSK_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const proc = spawn(process.execPath, [...nodeArgs, ...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []), bin, 'server', '--data-dir', dataDir, '--listen', `127.0.0.1:${port}`, '--no-host-metrics'], {
    env: { ...process.env, NODE_OPTIONS: '' },
    stdio: process.env.KSK_SERVER_OUT ? ['ignore', openSync(process.env.KSK_SERVER_OUT, 'a'), 'ignore'] : 'ignore',
  });
  const url = `http://127.0.0.1:${port}`;
  // Output goes to KSK_SERVER_OUT (or nowhere), so there is none to quote on failure.
  await waitUntilReady(proc, `${url}/healthz`, bin, 120_000, () => '');
  return {
    url,
    proc,
    token: () => readFileSync(path.join(dataDir, 'admin-token'), 'utf8').trim(),
    stop: (signal: NodeJS.Signals) => new Promise<void>((resolve) => {
      proc.once('exit', () => resolve());
      proc.kill(signal);
    }),
  };
}

const sh = benchShape();
const rounds = Number(arg('rounds') ?? 1);
const profile = arg('profile');
/** `--compare=/path/to/other/bin/kansoku.js`: that build too, in the same rounds (order alternating). */
const compare = arg('compare');
for (let round = 0; round < rounds; round++) {
  const endMs = Math.floor(Date.now() / 15_000) * 15_000 - 60_000;
  const p = spoolPayloads(sh, endMs, 'metrics-ingest-http');
  const parts: string[] = [];
  try {
    const prom = await startPrometheus({ extraArgs: ['--storage.tsdb.retention.time=30d'] });
    let promRate: number;
    try {
      promRate = p.samples / (await send(prom.url, {}, p, 'metrics-ingest-http: Prometheus'));
    } finally {
      await prom.stop();
    }
    parts.push(`Prometheus ${Math.round(promRate / 1000)}k/s`);
    const builds = compare ? [['this', BIN], ['compare', compare]] : [['this', BIN]];
    if (round % 2 === 1) builds.reverse();
    for (const [name, bin] of builds) {
      const ksk = profile || compare || process.env.KSK_SERVER_NODE_ARGS ? await spawned(bin!, profile) : await startServerProcess({ env: { KANSOKU_LOG_LEVEL: 'warn' } });
      const pid = ksk.proc.pid!;
      try {
        const cpu0 = cpuSeconds(pid);
        const rate = p.samples / (await send(ksk.url, { authorization: `Bearer ${ksk.token()}` }, p, `metrics-ingest-http: ${name}`));
        // CPU per sample varies far less between runs than the rate, which the senders and chDB's merges share the cores with.
        const cpuUs = ((cpuSeconds(pid) - cpu0) / p.samples) * 1e6;
        parts.push(`${name} ${Math.round(rate / 1000)}k/s = ${(rate / promRate).toFixed(2)}× (server CPU ${cpuUs.toFixed(2)} µs/sample)`);
      } finally {
        await ksk.stop('SIGTERM');
      }
    }
  } finally {
    p.remove();
  }
  console.log(`${sh.series}×${sh.hours}h round ${round}: ${parts.join(', ')}`);
}
