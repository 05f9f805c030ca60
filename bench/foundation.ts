/**
 * Foundation: start-up time, memory at idle, and how fast objects are applied with their audit
 * records (single creates over HTTP, and bulk applies of 500 documents in one transaction).
 */
import { readFileSync } from 'node:fs';
import { startServerProcess } from '../test/support/server-process.js';
import type { BenchSuite } from './run.js';

function memory(pid: number): { rssMb: number; anonMb: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { rssMb: kb('VmRSS') / 1024, anonMb: kb('RssAnon') / 1024 };
}

const doc = (name: string) =>
  `apiVersion: kansoku/v1\nkind: Runbook\nmetadata: {name: ${name}, labels: {team: ops}}\nspec:\n  title: "Runbook ${name}"\n  steps: [{title: "first step", command: "uptime"}]\n`;

export const foundationBench: BenchSuite = {
  name: 'foundation',
  description: 'start-up, idle memory, objects applied per second with audit records',
  async run() {
    const t0 = performance.now();
    const s = await startServerProcess();
    const startupMs = performance.now() - t0;
    const headers = { authorization: `Bearer ${s.token()}`, 'content-type': 'application/yaml' };
    try {
      await new Promise((r) => setTimeout(r, 2000));
      const idle = memory(s.proc.pid!);

      const singles = 300;
      let t = performance.now();
      for (let i = 0; i < singles; i++) {
        const r = await fetch(`${s.url}/api/v1/objects`, { method: 'POST', headers, body: doc(`single-${i}`) });
        if (r.status !== 201) throw new Error(`create failed: ${r.status} ${await r.text()}`);
      }
      const singlePerSec = singles / ((performance.now() - t) / 1000);

      const batches = 6;
      const perBatch = 500;
      t = performance.now();
      for (let b = 0; b < batches; b++) {
        const body = Array.from({ length: perBatch }, (_, i) => doc(`bulk-${b}-${i}`)).join('---\n');
        const r = await fetch(`${s.url}/api/v1/apply?set=bench-${b}`, { method: 'POST', headers, body });
        if (r.status !== 200) throw new Error(`apply failed: ${r.status} ${await r.text()}`);
      }
      const bulkPerSec = (batches * perBatch) / ((performance.now() - t) / 1000);

      t = performance.now();
      const v = await (await fetch(`${s.url}/api/v1/audit/verify`, { headers })).json() as { checked: number; ok: boolean };
      const verifyMs = performance.now() - t;
      const loaded = memory(s.proc.pid!);
      return [
        '## foundation',
        '',
        'Kansoku server on its embedded default (SQLite state, chDB telemetry), one process, loopback.',
        '',
        '| measure | value |',
        '|---|---|',
        `| start-up to healthy (process spawn → /healthz 200) | ${startupMs.toFixed(0)} ms |`,
        `| RSS at idle (of which anonymous) | ${idle.rssMb.toFixed(0)} MB (${idle.anonMb.toFixed(0)} MB) |`,
        `| single creates over HTTP, one transaction + audit record each | ${singlePerSec.toFixed(0)} objects/s |`,
        `| bulk apply, ${perBatch} documents per transaction | ${bulkPerSec.toFixed(0)} objects/s |`,
        `| audit verify of ${v.checked} records (ok=${v.ok}) | ${verifyMs.toFixed(0)} ms |`,
        `| RSS after the load (anonymous) | ${loaded.rssMb.toFixed(0)} MB (${loaded.anonMb.toFixed(0)} MB) |`,
        '',
      ].join('\n');
    } finally {
      await s.stop('SIGTERM');
    }
  },
};
