import { existsSync, writeFileSync, chmodSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from '../lib/logger.js';
import type { StateStore } from '../store/state-store.js';
import type { TokenService } from '../auth/tokens.js';
import type { ObjectService } from '../inventory/object-service.js';
import { SYSTEM_ACTOR } from '../inventory/actor.js';

/**
 * On first start (no token exists yet) create an admin token, write it to DIR/admin-token with
 * mode 0600 and log only where it is. The token and its audit record commit together; the file is
 * written after the commit, and if writing fails the error says so (revoke and recreate).
 */
export async function ensureAdminToken(deps: { store: StateStore; tokens: TokenService; objects: ObjectService; dataDir: string; logger: Logger }): Promise<boolean> {
  const file = path.join(deps.dataDir, 'admin-token');
  if ((await deps.store.countTokens()) > 0) {
    if (existsSync(file)) deps.logger.info({ file }, 'admin token file present');
    return false;
  }
  const created = await deps.store.transaction(async (tx) => {
    const c = await deps.tokens.create(tx, { name: 'admin', role: 'admin' }, SYSTEM_ACTOR.name);
    await tx.appendAudit(deps.objects.auditInput(SYSTEM_ACTOR, 'token.create', 'Token', 'admin', null, null, JSON.stringify({ id: c.info.id, name: 'admin', role: 'admin' }), 'first start: initial admin token'));
    return c;
  });
  writeFileSync(file, `${created.token}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  deps.logger.info({ file }, 'created the initial admin API token; it is in this file (mode 0600)');
  return true;
}
