import { ApiClient, type ClientOptions } from '../client.js';
import { printJson, table } from '../output.js';
import type { ApiToken } from '../../store/state-store.js';

export async function tokenCreateCommand(o: ClientOptions & { name: string; role: string; expires?: string; json?: boolean }): Promise<number> {
  const body: Record<string, string> = { name: o.name, role: o.role };
  if (o.expires) body.expiresAt = o.expires;
  const r = await new ApiClient(o).request<ApiToken & { token: string }>('POST', '/api/v1/tokens', body);
  if (o.json) printJson(r);
  else {
    process.stderr.write(`created token "${r.name}" (id ${r.id}, role ${r.role}); it is shown only now:\n`);
    process.stdout.write(`${r.token}\n`);
  }
  return 0;
}

export async function tokenListCommand(o: ClientOptions & { json?: boolean }): Promise<number> {
  const r = await new ApiClient(o).request<{ tokens: ApiToken[] }>('GET', '/api/v1/tokens');
  if (o.json) printJson(r.tokens);
  else
    process.stdout.write(
      `${table(['ID', 'NAME', 'ROLE', 'CREATED', 'BY', 'LAST USED', 'EXPIRES', 'REVOKED'], r.tokens.map((t) => [t.id, t.name, t.role, t.createdAt, t.createdBy, t.lastUsedAt, t.expiresAt, t.revokedAt]))}\n`,
    );
  return 0;
}

export async function tokenRevokeCommand(id: string, o: ClientOptions & { json?: boolean }): Promise<number> {
  const r = await new ApiClient(o).request<{ id: string; name: string; revoked: boolean; revokedAt: string | null }>('DELETE', `/api/v1/tokens/${encodeURIComponent(id)}`);
  if (o.json) printJson(r);
  else process.stdout.write(r.revoked ? `revoked token "${r.name}" (${r.id})\n` : `token "${r.name}" (${r.id}) was already revoked at ${r.revokedAt}\n`);
  return 0;
}
