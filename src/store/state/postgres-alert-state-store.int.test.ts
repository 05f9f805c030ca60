import pg from 'pg';
import { requirePeer } from '../../../test/support/peer.js';
import { createScratchDatabase } from '../../../test/support/postgres.js';
import { runAlertStateStoreContract } from '../contract/alert-state-store.contract.js';
import { openPostgres } from './open-state-store.js';

const available = await requirePeer('PostgreSQL on 127.0.0.1:5432', async (): Promise<true> => {
  const c = new pg.Client({ connectionString: 'postgres://postgres@127.0.0.1:5432/postgres', connectionTimeoutMillis: 2000 });
  await c.connect();
  await c.end();
  return true;
});

const url = available ? await createScratchDatabase() : '';
runAlertStateStoreContract('postgres', () => openPostgres(url), { skip: !available });
