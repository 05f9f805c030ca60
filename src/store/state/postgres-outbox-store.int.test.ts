import pg from 'pg';
import { requirePeer } from '../../../test/support/peer.js';
import { createScratchDatabase } from '../../../test/support/postgres.js';
import { openPostgresOutbox, runOutboxStoreContract } from '../contract/outbox-store.contract.js';

const available = await requirePeer('PostgreSQL on 127.0.0.1:5432', async (): Promise<true> => {
  const c = new pg.Client({ connectionString: 'postgres://postgres@127.0.0.1:5432/postgres', connectionTimeoutMillis: 2000 });
  await c.connect();
  await c.end();
  return true;
});

runOutboxStoreContract('postgres', async () => openPostgresOutbox(await createScratchDatabase()), { skip: !available });
