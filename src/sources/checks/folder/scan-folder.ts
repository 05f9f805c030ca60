/**
 * Walks a folder once and summarises the regular files that match: count, oldest and newest
 * modification time, total size. Symbolic links are neither followed nor counted (a link could
 * lead the scan anywhere on the host), and the walk stops after `maxEntries` entries so a folder
 * with millions of files costs a bounded amount of work.
 */
import { lstat, opendir } from 'node:fs/promises';
import path from 'node:path';
import { compileGlob } from './glob.js';

export interface FolderScan {
  count: number;
  totalBytes: number;
  /** mtime (epoch ms) of the oldest and newest matching file; undefined when none matched. */
  oldestMtimeMs?: number;
  newestMtimeMs?: number;
  oldestPath?: string;
  /** The walk stopped at maxEntries; the numbers cover only part of the folder. */
  truncated: boolean;
  /** Subfolders that could not be read (permission), relative to the root. */
  unreadable: string[];
}

export interface ScanOptions {
  glob: string;
  exclude: string[];
  recursive: boolean;
  maxEntries: number;
  signal?: AbortSignal;
}

/** Throws the fs error for the root itself (ENOENT, ENOTDIR, EACCES); the caller rates it. */
export async function scanFolder(root: string, opts: ScanOptions): Promise<FolderScan> {
  const include = compileGlob(opts.glob);
  const excludes = opts.exclude.map(compileGlob);
  const scan: FolderScan = { count: 0, totalBytes: 0, truncated: false, unreadable: [] };
  let entries = 0;
  const pending: string[] = [''];
  let first = true;
  while (pending.length > 0) {
    const rel = pending.pop()!;
    let dir;
    try {
      dir = await opendir(path.join(root, rel));
    } catch (err) {
      if (first) throw err;
      scan.unreadable.push(rel);
      continue;
    }
    first = false;
    for await (const ent of dir) {
      opts.signal?.throwIfAborted();
      if (++entries > opts.maxEntries) {
        scan.truncated = true;
        return scan; // leaving for-await closes the directory handle

      }
      const relPath = rel ? `${rel}/${ent.name}` : ent.name;
      if (ent.isDirectory()) {
        if (opts.recursive) pending.push(relPath);
        continue;
      }
      if (!ent.isFile()) continue;
      if (!include.matches(relPath) || excludes.some((x) => x.matches(relPath))) continue;
      let st;
      try {
        st = await lstat(path.join(root, relPath));
      } catch {
        continue; // removed between listing and stat: a queue being drained
      }
      scan.count++;
      scan.totalBytes += st.size;
      if (scan.oldestMtimeMs === undefined || st.mtimeMs < scan.oldestMtimeMs) {
        scan.oldestMtimeMs = st.mtimeMs;
        scan.oldestPath = relPath;
      }
      if (scan.newestMtimeMs === undefined || st.mtimeMs > scan.newestMtimeMs) scan.newestMtimeMs = st.mtimeMs;
    }
  }
  return scan;
}
