import { mkdir, mkdtemp, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { folderCheck, folderCheckSpecSchema } from './index.js';

const NOW = Date.parse('2026-11-22T12:00:00Z');
let dir: string;

/** Writes a file of `size` bytes whose mtime is `ageS` seconds before NOW. */
async function file(rel: string, ageS: number, size = 10): Promise<void> {
  const p = path.join(dir, rel);
  await mkdir(path.dirname(p), { recursive: true });
  await writeFile(p, Buffer.alloc(size, 0x61));
  const t = (NOW - ageS * 1000) / 1000;
  await utimes(p, t, t);
}

function check(extra: Record<string, unknown>) {
  const spec = folderCheckSpecSchema.parse({ type: 'folder', path: dir, ...extra });
  return folderCheck.run(spec, { signal: AbortSignal.timeout(10_000), timeoutMs: 10_000, now: () => NOW });
}

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'kansoku-folder-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('folder check', () => {
  it('counts matching files, their total size and the oldest age', async () => {
    await file('a.xml', 60, 100);
    await file('b.xml', 300, 200);
    await file('c.tmp', 9999, 5000);
    await file('sub/d.xml', 7200, 1);
    const r = await check({ glob: '*.xml', warning: { maxAge: '10m' } });
    expect(r.status).toBe('ok');
    expect(r.message).toBe(`2 files matching *.xml in ${dir}, 300 B, oldest 5m old`);
    expect(r.metrics).toEqual([
      { name: 'count', value: 2 },
      { name: 'oldest_age_seconds', value: 300, unit: 's' },
      { name: 'total_bytes', value: 300, unit: 'B' },
      { name: 'newest_age_seconds', value: 60, unit: 's' },
    ]);
  });

  it('descends into subfolders when recursive, and applies exclude', async () => {
    await file('a.xml', 60);
    await file('sub/deeper/d.xml', 7200);
    await file('sub/.partial.xml', 10);
    const r = await check({ glob: '*.xml', recursive: true, exclude: ['.*'], warning: { maxAge: '10m' }, critical: { maxAge: '1h' } });
    expect(r.status).toBe('critical');
    expect(r.message).toBe(`2 files matching *.xml in ${dir}, 20 B, oldest 2h old — CRITICAL: oldest file sub/deeper/d.xml is 2h old, older than 1h`);
  });

  it('"no file older than 10 minutes in the outgoing queue": WARNING then CRITICAL by age', async () => {
    await file('q1.msg', 11 * 60);
    const spec = { glob: '*.msg', warning: { maxAge: '10m' }, critical: { maxAge: '30m' } };
    const warn = await check(spec);
    expect(warn.status).toBe('warning');
    expect(warn.message).toMatch(/— WARNING: oldest file q1\.msg is 11m old, older than 10m$/);
    await file('q0.msg', 31 * 60);
    expect((await check(spec)).status).toBe('critical');
  });

  it('rates count, size and the newest file', async () => {
    for (let i = 0; i < 5; i++) await file(`f${i}.dat`, 26 * 3600 + i, 1000);
    const r = await check({ warning: { maxCount: 3, maxSize: '4KB' }, critical: { maxNewestAge: '25h', minCount: 1 } });
    expect(r.status).toBe('critical');
    expect(r.message).toMatch(/CRITICAL: newest file is 1d2h old, older than 25h$/);
    const w = await check({ warning: { maxCount: 3, maxSize: '4KB' } });
    expect(w.message).toMatch(/WARNING: 5 files, more than 3; total size 4.9 KiB, more than 3.9 KiB$/);
  });

  it('an empty folder: minCount and maxNewestAge break, oldest age is 0', async () => {
    const r = await check({ critical: { minCount: 1 } });
    expect(r.status).toBe('critical');
    expect(r.message).toBe(`0 files matching * in ${dir}, 0 B — CRITICAL: 0 files, fewer than 1`);
    expect(r.metrics.find((m) => m.name === 'oldest_age_seconds')?.value).toBe(0);
    expect((await check({ warning: { maxNewestAge: '1h' } })).message).toMatch(/WARNING: no matching file, none newer than 1h$/);
  });

  it('does not follow or count symbolic links', async () => {
    await file('real/a.log', 10);
    await symlink(path.join(dir, 'real'), path.join(dir, 'link'));
    await symlink(path.join(dir, 'real/a.log'), path.join(dir, 'b.log'));
    const r = await check({ glob: '*.log', recursive: true });
    expect(r.metrics[0]).toEqual({ name: 'count', value: 1 });
  });

  it('a missing folder is CRITICAL, a file in its place too', async () => {
    const missing = await check({ path: path.join(dir, 'nope') });
    expect(missing).toMatchObject({ status: 'critical', message: `folder ${path.join(dir, 'nope')} does not exist`, metrics: [] });
    await file('plain', 1);
    expect(await check({ path: path.join(dir, 'plain') })).toMatchObject({ status: 'critical', message: `${path.join(dir, 'plain')} is not a folder` });
  });

  it('stops at maxEntries and says the result is partial', async () => {
    for (let i = 0; i < 5; i++) await file(`f${i}`, 1);
    const r = await check({ maxEntries: 3 });
    expect(r.status).toBe('unknown');
    expect(r.message).toMatch(/\(scan stopped after 3 entries: raise maxEntries to see all\)$/);
  });

  it.each([
    [{ type: 'folder' }, 'path'],
    [{ type: 'folder', path: '/x', glob: '*.{a' }, 'glob'],
    [{ type: 'folder', path: '/x', warning: { maxAge: '10 minutes' } }, 'warning.maxAge'],
    [{ type: 'folder', path: '/x', critical: { maxSize: '5 apples' } }, 'critical.maxSize'],
    [{ type: 'folder', path: '/x', critical: { maxFiles: 5 } }, 'critical'],
    [{ type: 'folder', path: '/x', recursive: 'yes' }, 'recursive'],
  ])('rejects %j at "%s"', (input, want) => {
    const r = folderCheckSpecSchema.safeParse(input);
    expect(r.success).toBe(false);
    expect(r.error!.issues.map((i) => i.path.join('.'))).toContain(want);
  });
});
