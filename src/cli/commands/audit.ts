import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ApiClient, type ClientOptions } from '../client.js';
import { color, printJson, table } from '../output.js';
import type { VerifyResult } from '../../audit/hash-chain.js';

export interface AuditFilterOptions {
  actor?: string;
  action?: string;
  kind?: string;
  name?: string;
  outcome?: string;
  since?: string;
  until?: string;
  limit?: string;
}

function filterQuery(o: AuditFilterOptions): URLSearchParams {
  const q = new URLSearchParams();
  for (const k of ['actor', 'action', 'kind', 'name', 'outcome', 'since', 'until', 'limit'] as const) if (o[k]) q.set(k, o[k]!);
  return q;
}

interface AuditJson {
  seq: number;
  time: string;
  actor: { name: string; sourceIp: string | null };
  action: string;
  object: { kind: string; name: string; version: number | null } | null;
  outcome: string;
  detail: string | null;
}

export async function auditListCommand(o: ClientOptions & AuditFilterOptions & { json?: boolean }): Promise<number> {
  const r = await new ApiClient(o).request<{ records: AuditJson[] }>('GET', `/api/v1/audit?${filterQuery(o)}`);
  if (o.json) printJson(r.records);
  else
    process.stdout.write(
      `${table(
        ['SEQ', 'TIME', 'ACTOR', 'FROM', 'ACTION', 'OBJECT', 'OUTCOME', 'DETAIL'],
        r.records.map((x) => [x.seq, x.time, x.actor.name, x.actor.sourceIp, x.action, x.object ? `${x.object.kind}/${x.object.name}${x.object.version ? `@${x.object.version}` : ''}` : '', x.outcome, (x.detail ?? '').slice(0, 80)]),
      )}\n`,
    );
  return 0;
}

export async function auditExportCommand(o: ClientOptions & AuditFilterOptions & { output?: string }): Promise<number> {
  const q = filterQuery({ ...o, limit: undefined });
  q.set('format', 'jsonl');
  const res = await new ApiClient(o).stream(`/api/v1/audit?${q}`);
  const out = o.output && o.output !== '-' ? createWriteStream(o.output) : process.stdout;
  await pipeline(Readable.fromWeb(res.body as import('node:stream/web').ReadableStream), out);
  if (o.output && o.output !== '-') process.stderr.write(`exported the audit trail to ${o.output}\n`);
  return 0;
}

/** Verifies through the server, or — with --data-dir / --state — directly on the store, with no server running. */
export async function auditVerifyCommand(o: ClientOptions & { json?: boolean; dataDir?: string; state?: string }): Promise<number> {
  let result: VerifyResult;
  if (o.dataDir || o.state) {
    const { openStateStore } = await import('../../store/state/open-state-store.js');
    const { AuditService } = await import('../../audit/audit-service.js');
    const path = await import('node:path');
    const store = await openStateStore({ dataDir: path.resolve(o.dataDir ?? 'kansoku-data'), url: o.state });
    try {
      result = await new AuditService(store).verify();
    } finally {
      await store.close();
    }
  } else {
    result = await new ApiClient(o).request<VerifyResult>('GET', '/api/v1/audit/verify');
  }
  if (o.json) printJson(result);
  else if (result.ok) process.stdout.write(`${color.green('OK')}: ${result.checked} audit records verified; head seq ${result.head.seq} hash ${result.head.hash}\n`);
  else process.stderr.write(`${color.red('TAMPERED')}: ${result.problem!.message}\n  first bad record: ${result.problem!.seq} (${result.problem!.kind}); ${result.checked} records before it verified\n`);
  return result.ok ? 0 : 1;
}
