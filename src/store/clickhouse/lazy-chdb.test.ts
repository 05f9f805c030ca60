/**
 * chDB is ≈550 MB of native library: the CLI and the agent must never map it. Importing the
 * port, the shared ClickHouse store and the opener must leave libchdb out of the process; only
 * opening an embedded store loads it.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../../..');

async function mappedAfterImporting(modules: string[]): Promise<{ libchdb: boolean; chdbModule: boolean }> {
  const script = `
    ${modules.map((m) => `await import(${JSON.stringify(path.join(here, m))});`).join('\n')}
    const { readFileSync } = await import('node:fs');
    const { createRequire } = await import('node:module');
    const maps = readFileSync('/proc/self/maps', 'utf8');
    const cache = Object.keys(createRequire(import.meta.url).cache);
    console.log(JSON.stringify({ libchdb: maps.includes('libchdb'), chdbModule: cache.some((k) => k.includes('/node_modules/chdb/')) }));
  `;
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: repo, timeout: 30_000 });
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as { libchdb: boolean; chdbModule: boolean };
}

describe.skipIf(process.platform !== 'linux')('lazy chDB loading', () => {
  it('importing the store code and the opener does not load chDB', async () => {
    expect(await mappedAfterImporting(['../telemetry-store.ts', './clickhouse-telemetry-store.ts', './open-telemetry-store.ts', '../clickhouse-server/clickhouse-server-transport.ts', '../chdb/chdb-transport.ts'])).toEqual({
      libchdb: false,
      chdbModule: false,
    });
  });

  it('the probe itself sees chDB once it is imported', async () => {
    // Guards the test above against passing because the probe cannot see the library at all.
    const seen = await mappedAfterImporting(['../chdb/chdb-transport.ts', '../../../node_modules/chdb/index.mjs']);
    expect(seen.libchdb).toBe(true);
  });
});
