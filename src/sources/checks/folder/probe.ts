import type { CheckMetric, CheckResult, CheckStatus } from '../../../core/check-result.js';
import { formatDurationMs, parseDurationMs } from '../../../core/duration.js';
import type { CheckRunContext } from '../check-type.js';
import { formatBytes, parseByteSize } from './byte-size.js';
import type { FolderCheckSpec, FolderLimits } from './config.js';
import { scanFolder, type FolderScan } from './scan-folder.js';

function bytes(v: number | string | undefined): number | undefined {
  return v === undefined ? undefined : typeof v === 'number' ? v : parseByteSize(v);
}

function age(ms: number): string {
  return formatDurationMs(Math.max(0, Math.round(ms / 1000) * 1000));
}

/** Which limits of one level the scan breaks, each as a sentence. */
export function brokenLimits(limits: FolderLimits, scan: FolderScan, nowMs: number): string[] {
  const out: string[] = [];
  const plural = (n: number) => `${n} file${n === 1 ? '' : 's'}`;
  if (limits.maxCount !== undefined && scan.count > limits.maxCount) out.push(`${plural(scan.count)}, more than ${limits.maxCount}`);
  if (limits.minCount !== undefined && scan.count < limits.minCount) out.push(`${plural(scan.count)}, fewer than ${limits.minCount}`);
  const maxAge = limits.maxAge === undefined ? undefined : parseDurationMs(limits.maxAge);
  if (maxAge !== undefined && scan.oldestMtimeMs !== undefined && nowMs - scan.oldestMtimeMs > maxAge) {
    out.push(`oldest file ${scan.oldestPath} is ${age(nowMs - scan.oldestMtimeMs)} old, older than ${limits.maxAge}`);
  }
  const maxNewest = limits.maxNewestAge === undefined ? undefined : parseDurationMs(limits.maxNewestAge);
  if (maxNewest !== undefined) {
    if (scan.newestMtimeMs === undefined) out.push(`no matching file, none newer than ${limits.maxNewestAge}`);
    else if (nowMs - scan.newestMtimeMs > maxNewest) out.push(`newest file is ${age(nowMs - scan.newestMtimeMs)} old, older than ${limits.maxNewestAge}`);
  }
  const maxSize = bytes(limits.maxSize);
  if (maxSize !== undefined && scan.totalBytes > maxSize) out.push(`total size ${formatBytes(scan.totalBytes)}, more than ${formatBytes(maxSize)}`);
  const minSize = bytes(limits.minSize);
  if (minSize !== undefined && scan.totalBytes < minSize) out.push(`total size ${formatBytes(scan.totalBytes)}, less than ${formatBytes(minSize)}`);
  return out;
}

export function rateFolderScan(spec: FolderCheckSpec, scan: FolderScan, nowMs: number): { status: CheckStatus; message: string; metrics: CheckMetric[] } {
  const files = `${scan.count} file${scan.count === 1 ? '' : 's'} matching ${spec.glob} in ${spec.path}`;
  let summary = `${files}, ${formatBytes(scan.totalBytes)}`;
  if (scan.oldestMtimeMs !== undefined) summary += `, oldest ${age(nowMs - scan.oldestMtimeMs)} old`;
  const crit = brokenLimits(spec.critical, scan, nowMs);
  const warn = crit.length ? [] : brokenLimits(spec.warning, scan, nowMs);
  let status: CheckStatus = crit.length ? 'critical' : warn.length ? 'warning' : 'ok';
  let message = summary;
  if (crit.length) message += ` — CRITICAL: ${crit.join('; ')}`;
  else if (warn.length) message += ` — WARNING: ${warn.join('; ')}`;
  if (scan.truncated) {
    message += ` (scan stopped after ${spec.maxEntries} entries: raise maxEntries to see all)`;
    if (status === 'ok') status = 'unknown';
  }
  if (scan.unreadable.length) message += ` (unreadable subfolders: ${scan.unreadable.slice(0, 3).join(', ')}${scan.unreadable.length > 3 ? ', …' : ''})`;
  const metrics: CheckMetric[] = [
    { name: 'count', value: scan.count },
    // An empty queue has nothing waiting: oldest age 0, as queue systems report it.
    { name: 'oldest_age_seconds', value: scan.oldestMtimeMs === undefined ? 0 : Math.max(0, (nowMs - scan.oldestMtimeMs) / 1000), unit: 's' },
    { name: 'total_bytes', value: scan.totalBytes, unit: 'B' },
  ];
  if (scan.newestMtimeMs !== undefined) metrics.push({ name: 'newest_age_seconds', value: Math.max(0, (nowMs - scan.newestMtimeMs) / 1000), unit: 's' });
  return { status, message, metrics };
}

export async function runFolderCheck(spec: FolderCheckSpec, cx: CheckRunContext): Promise<CheckResult> {
  const now = cx.now ?? Date.now;
  const startedAt = now();
  const t0 = performance.now();
  const done = (r: Pick<CheckResult, 'status' | 'message' | 'metrics'>): CheckResult => ({ ...r, startedAt, durationMs: Math.round(performance.now() - t0) });
  let scan: FolderScan;
  try {
    scan = await scanFolder(spec.path, { glob: spec.glob, exclude: spec.exclude, recursive: spec.recursive, maxEntries: spec.maxEntries, signal: cx.signal });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (cx.signal.aborted) return done({ status: 'unknown', message: `scan of ${spec.path} was stopped before it finished (timeout or shutdown)`, metrics: [] });
    if (code === 'ENOENT') return done({ status: 'critical', message: `folder ${spec.path} does not exist`, metrics: [] });
    if (code === 'ENOTDIR') return done({ status: 'critical', message: `${spec.path} is not a folder`, metrics: [] });
    if (code === 'EACCES' || code === 'EPERM') return done({ status: 'unknown', message: `cannot read folder ${spec.path}: permission denied`, metrics: [] });
    return done({ status: 'unknown', message: `cannot read folder ${spec.path}: ${(err as Error).message}`, metrics: [] });
  }
  return done(rateFolderScan(spec, scan, now()));
}
