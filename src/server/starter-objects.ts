import type { Logger } from '../lib/logger.js';
import type { ObjectService } from '../inventory/object-service.js';
import { SYSTEM_ACTOR } from '../inventory/actor.js';
import { validateDocuments } from '../inventory/document.js';

/**
 * On the very first start the server watches itself, so a new user has a live check to look at
 * (as Zabbix starts with its own server as a host). It is an ordinary object in its own apply set
 * ("kansoku-starter"), created by the system actor and audited; delete it like any other.
 */
export async function createStarterObjects(objects: ObjectService, baseUrl: string, logger: Logger): Promise<void> {
  if (!objects.registry.get('Check')) return;
  const raw = {
    apiVersion: 'kansoku/v1',
    kind: 'Check',
    metadata: { name: 'kansoku-self', labels: { service: 'kansoku' }, annotations: { 'kansoku.io/description': 'Kansoku watches its own API; created on first start' } },
    spec: { type: 'http', url: `${baseUrl}/healthz`, interval: '30s', timeout: '5s', attempts: 2, severity: 'warning', expect: { status: [200], bodyContains: 'ok' } },
  };
  try {
    const docs = validateDocuments([{ raw, source: 'starter' }], objects.registry);
    await objects.apply(SYSTEM_ACTOR, docs, { set: 'kansoku-starter', prune: false });
    logger.info({ check: 'kansoku-self' }, 'first start: created a check of this server itself');
  } catch (err) {
    logger.warn({ err }, 'could not create the starter check');
  }
}
