import { readFileSync, writeFileSync } from 'node:fs';
import { stringify as toYaml } from 'yaml';
import type { FieldIssue } from '../../lib/errors.js';
import { formatIssue, type ObjectDocument } from '../../inventory/document.js';
import { CliError } from '../client.js';

/**
 * `kansoku import prometheus-rules|alertmanager -f FILE`: turns a Prometheus alerting-rule file or
 * an Alertmanager configuration into Kansoku documents (YAML on stdout or in -o FILE), so they can
 * be reviewed, committed and applied: `kansoku import alertmanager -f am.yml | kansoku apply -f - --set alertmanager`.
 * Nothing is sent to a server. What was not carried over is listed on stderr.
 */
export type ImportFormat = 'prometheus-rules' | 'alertmanager';

export async function importCommand(format: ImportFormat, o: { file: string; output?: string }): Promise<number> {
  let text: string;
  try {
    text = o.file === '-' ? readFileSync(0, 'utf8') : readFileSync(o.file, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read ${o.file}: ${(err as Error).message}`, 1);
  }
  const source = o.file === '-' ? 'stdin' : o.file;
  let documents: ObjectDocument[];
  let issues: FieldIssue[];
  const notes: string[] = [];
  if (format === 'prometheus-rules') {
    const { loadPrometheusRuleFile } = await import('../../rules/index.js');
    const r = loadPrometheusRuleFile(text, source);
    documents = r.documents;
    issues = r.issues;
    notes.push(...r.notes, ...r.unsupported.map((u) => `not imported: recording rule ${u.record} in group ${u.group}: ${u.reason}`));
  } else {
    const { importAlertmanagerConfig } = await import('../../alerting/index.js');
    const r = importAlertmanagerConfig(text, source);
    documents = r.documents;
    issues = r.issues;
    notes.push(...r.notes);
  }
  if (issues.length) {
    throw new CliError(`${source} cannot be imported:\n  ${issues.map(formatIssue).join('\n  ')}`, 1);
  }
  for (const n of notes) process.stderr.write(`note: ${n}\n`);
  const yaml = documents.map((d) => toYaml(d, { lineWidth: 0 })).join('---\n');
  if (o.output && o.output !== '-') {
    writeFileSync(o.output, yaml);
    process.stderr.write(`wrote ${documents.length} document(s) to ${o.output}\n`);
  } else {
    process.stdout.write(yaml);
  }
  return 0;
}
