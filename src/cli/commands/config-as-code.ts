import { writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { Plan } from '../../inventory/object-service.js';
import { formatChange } from '../../inventory/diff.js';
import { ApiClient, type ClientOptions } from '../client.js';
import { readDocuments } from '../read-documents.js';
import { color, printJson } from '../output.js';

export interface PlanOptions extends ClientOptions {
  file: string;
  prune: boolean;
  set?: string;
  json?: boolean;
  exitCode?: boolean;
}

function query(o: PlanOptions): string {
  const q = new URLSearchParams();
  if (!o.prune) q.set('prune', 'false');
  if (o.set) q.set('set', o.set);
  const s = q.toString();
  return s ? `?${s}` : '';
}

export function formatPlan(plan: Plan, verb: 'plan' | 'apply'): string {
  const lines: string[] = [];
  for (const e of plan.entries) {
    if (e.action === 'unchanged' && !e.drift) continue;
    const id = `${e.kind}/${e.name}`;
    const drift = e.drift ? color.yellow(`  (drift: changed outside apply by ${e.drift.changedBy} at ${e.drift.changedAt}, version ${e.drift.liveVersion}; last applied ${e.drift.lastAppliedVersion ?? 'never'})`) : '';
    if (e.action === 'create') lines.push(color.green(`+ create ${id}`));
    else if (e.action === 'delete') lines.push(color.red(`- delete ${id}`));
    else if (e.action === 'update') lines.push(color.yellow(`~ change ${id}`) + drift);
    else lines.push(`= unchanged ${id}` + drift);
    if (e.action === 'update') for (const c of e.changes) lines.push(`    ${formatChange(c)}`);
  }
  const s = plan.summary;
  const counts = verb === 'apply'
    ? `${s.create} created, ${s.update} changed, ${s.delete} deleted`
    : `${s.create} to create, ${s.update} to change, ${s.delete} to delete`;
  const where = `apply set "${plan.set}"${plan.prune ? '' : ', no prune'}`;
  lines.push(`${verb === 'apply' ? 'Applied' : 'Plan'}: ${counts}, ${s.unchanged} unchanged${s.drifted ? `, ${s.drifted} drifted` : ''} (${where}).`);
  if (verb === 'plan' && s.create + s.update + s.delete === 0) lines.push('No changes: the server matches the files.');
  return lines.join('\n');
}

export async function planCommand(o: PlanOptions): Promise<number> {
  const { documents, sources } = readDocuments(o.file);
  const plan = await new ApiClient(o).request<Plan>('POST', `/api/v1/plan${query(o)}`, { documents, sources });
  if (o.json) printJson(plan);
  else process.stdout.write(`${formatPlan(plan, 'plan')}\n`);
  const changes = plan.summary.create + plan.summary.update + plan.summary.delete;
  return o.exitCode && changes > 0 ? 2 : 0;
}

export async function applyCommand(o: PlanOptions): Promise<number> {
  const { documents, sources, files } = readDocuments(o.file);
  if (!o.json) process.stderr.write(color.dim(`applying ${documents.length} document(s) from ${files.length} file(s) to ${new ApiClient(o).url}\n`));
  const plan = await new ApiClient(o).request<Plan>('POST', `/api/v1/apply${query(o)}`, { documents, sources });
  if (o.json) printJson(plan);
  else process.stdout.write(`${formatPlan(plan, 'apply')}\n`);
  return 0;
}

export interface ExportOptions extends ClientOptions {
  output?: string;
  kind?: string;
  selector?: string;
  json?: boolean;
}

/** Writes one YAML stream to stdout or a file, or — when --output is a directory — one file per kind. */
export async function exportCommand(o: ExportOptions): Promise<number> {
  const q = new URLSearchParams();
  if (o.kind) q.set('kind', o.kind);
  if (o.selector) q.set('selector', o.selector);
  if (o.json) q.set('format', 'json');
  const client = new ApiClient(o);
  const text = await client.request<string>('GET', `/api/v1/export${q.size ? `?${q}` : ''}`, undefined, { raw: true });
  if (!o.output || o.output === '-') {
    process.stdout.write(text.endsWith('\n') || !text ? text : `${text}\n`);
    return 0;
  }
  if (o.output.endsWith('/')) {
    mkdirSync(o.output, { recursive: true });
    const byKind = new Map<string, string[]>();
    for (const d of parseAllDocuments(text)) {
      if (Array.isArray(d)) continue;
      const kind = String((d.toJS() as { kind?: string } | null)?.kind ?? 'unknown');
      byKind.set(kind, [...(byKind.get(kind) ?? []), d.toString()]);
    }
    for (const [kind, docs] of byKind) writeFileSync(path.join(o.output, `${kind.toLowerCase()}s.yaml`), docs.join('---\n'));
    process.stderr.write(`exported ${[...byKind.values()].reduce((n, d) => n + d.length, 0)} object(s) into ${byKind.size} file(s) in ${o.output}\n`);
    return 0;
  }
  writeFileSync(o.output, text);
  process.stderr.write(`exported to ${o.output}\n`);
  return 0;
}
