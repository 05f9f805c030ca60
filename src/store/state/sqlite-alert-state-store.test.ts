import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runAlertStateStoreContract } from '../contract/alert-state-store.contract.js';
import { openSqlite } from './open-state-store.js';

const file = path.join(mkdtempSync(path.join(tmpdir(), 'ksk-alert-state-')), 'state.db');
runAlertStateStoreContract('sqlite', () => openSqlite(file));
