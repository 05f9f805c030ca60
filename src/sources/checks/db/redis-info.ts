import type { CheckMetric } from '../../../core/check-result.js';

/** INFO's "key:value" lines by key; section headers and blank lines are skipped. */
export function parseRedisInfo(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    if (!line || line.startsWith('#')) continue;
    const i = line.indexOf(':');
    if (i > 0) out.set(line.slice(0, i), line.slice(i + 1));
  }
  return out;
}

const INFO_METRICS: [key: string, name: string, unit?: string][] = [
  ['connected_clients', 'connected_clients'],
  ['blocked_clients', 'blocked_clients'],
  ['used_memory', 'used_memory_bytes', 'bytes'],
  ['maxmemory', 'maxmemory_bytes', 'bytes'],
  ['uptime_in_seconds', 'uptime_seconds', 's'],
  ['connected_slaves', 'connected_replicas'],
  ['master_last_io_seconds_ago', 'master_last_io_seconds', 's'],
];

/** The INFO fields worth keeping as metrics; absent fields are left out. */
export function redisInfoMetrics(info: Map<string, string>): CheckMetric[] {
  const out: CheckMetric[] = [];
  for (const [key, name, unit] of INFO_METRICS) {
    const raw = info.get(key);
    if (raw === undefined || raw.trim() === '' || !Number.isFinite(Number(raw))) continue;
    out.push({ name, value: Number(raw), min: 0, ...(unit ? { unit } : {}) });
  }
  return out;
}

/** INFO says "slave" for a replica; the spec says "replica". */
export function redisRole(info: Map<string, string>): 'master' | 'replica' | undefined {
  const r = info.get('role');
  if (r === 'master') return 'master';
  if (r === 'slave' || r === 'replica') return 'replica';
  return undefined;
}
