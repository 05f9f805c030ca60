import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runStateStoreContract } from '../contract/state-store.contract.js';
import { openSqlite } from './open-state-store.js';

runStateStoreContract('sqlite', async () => openSqlite(path.join(mkdtempSync(path.join(tmpdir(), 'ksk-state-')), 'state.db')));
