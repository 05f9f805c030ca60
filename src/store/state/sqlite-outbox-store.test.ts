import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openSqliteOutbox, runOutboxStoreContract } from '../contract/outbox-store.contract.js';

runOutboxStoreContract('sqlite', async () => openSqliteOutbox(path.join(mkdtempSync(path.join(tmpdir(), 'ksk-outbox-')), 'state.db')));
