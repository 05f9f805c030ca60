import { stringify as toYaml } from 'yaml';
import { formatChange, type FieldChange } from '../../inventory/diff.js';
import { ApiClient, type ClientOptions } from '../client.js';
import { printJson, table } from '../output.js';

interface Doc {
  kind: string;
  metadata: { name: string; labels: Record<string, string>; version?: number; updatedAt?: string; updatedBy?: string };
  spec: unknown;
}

export async function getCommand(kind: string, name: string | undefined, o: ClientOptions & { selector?: string; json?: boolean; output?: string }): Promise<number> {
  const c = new ApiClient(o);
  const enc = encodeURIComponent;
  if (name) {
    const doc = await c.request<Doc>('GET', `/api/v1/objects/${enc(kind)}/${enc(name)}`);
    if (o.json || o.output === 'json') printJson(doc);
    else process.stdout.write(toYaml(doc, { lineWidth: 0 }));
    return 0;
  }
  const q = o.selector ? `?selector=${enc(o.selector)}` : '';
  const { items } = await c.request<{ items: Doc[] }>('GET', `/api/v1/objects/${enc(kind)}${q}`);
  if (o.json || o.output === 'json') printJson(items);
  else if (o.output === 'yaml') process.stdout.write(items.map((d) => toYaml(d, { lineWidth: 0 })).join('---\n'));
  else if (!items.length) process.stdout.write(`no ${kind} objects${o.selector ? ` match ${o.selector}` : ''}\n`);
  else {
    const rows = items.map((d) => [d.metadata.name, d.metadata.version, Object.entries(d.metadata.labels).map(([k, v]) => `${k}=${v}`).join(','), d.metadata.updatedAt, d.metadata.updatedBy]);
    process.stdout.write(`${table(['NAME', 'VERSION', 'LABELS', 'UPDATED', 'BY'], rows)}\n`);
  }
  return 0;
}

export async function deleteCommand(kind: string, name: string, o: ClientOptions & { version?: string; json?: boolean }): Promise<number> {
  const q = o.version ? `?version=${encodeURIComponent(o.version)}` : '';
  const r = await new ApiClient(o).request<{ deleted: { kind: string; name: string; version: number } }>('DELETE', `/api/v1/objects/${encodeURIComponent(kind)}/${encodeURIComponent(name)}${q}`);
  if (o.json) printJson(r);
  else process.stdout.write(`deleted ${r.deleted.kind}/${r.deleted.name} (was version ${r.deleted.version}; its history stays readable)\n`);
  return 0;
}

export async function historyCommand(kind: string, name: string, o: ClientOptions & { json?: boolean }): Promise<number> {
  const r = await new ApiClient(o).request<{ versions: { version: number; change: string; time: string; actor: string; auditSeq: number }[] }>(
    'GET',
    `/api/v1/objects/${encodeURIComponent(kind)}/${encodeURIComponent(name)}/history`,
  );
  if (o.json) printJson(r.versions);
  else process.stdout.write(`${table(['VERSION', 'CHANGE', 'TIME', 'ACTOR', 'AUDIT#'], r.versions.map((v) => [v.version, v.change, v.time, v.actor, v.auditSeq]))}\n`);
  return 0;
}

export async function diffCommand(kind: string, name: string, from: string, to: string, o: ClientOptions & { json?: boolean }): Promise<number> {
  const r = await new ApiClient(o).request<{ changes: FieldChange[] }>(
    'GET',
    `/api/v1/objects/${encodeURIComponent(kind)}/${encodeURIComponent(name)}/diff?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`,
  );
  if (o.json) printJson(r.changes);
  else process.stdout.write(r.changes.length ? `${r.changes.map(formatChange).join('\n')}\n` : `versions ${from} and ${to} are the same\n`);
  return 0;
}
