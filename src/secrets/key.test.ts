import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSecretKey } from './key.js';

const dir = () => mkdtempSync(path.join(tmpdir(), 'ksk-key-'));

describe('loadSecretKey', () => {
  it('creates DIR/secret.key (mode 0600) for SQLite on first start and reads the same key afterwards', () => {
    const d = dir();
    const first = loadSecretKey({ dataDir: d, engine: 'sqlite' });
    const file = path.join(d, 'secret.key');
    expect(first).toMatchObject({ created: true, file });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(Buffer.from(readFileSync(file, 'utf8').trim(), 'base64')).toHaveLength(32);
    const again = loadSecretKey({ dataDir: d, engine: 'sqlite' });
    expect(again.created).toBe(false);
    expect(again.box.keyId).toBe(first.box.keyId);
    expect(again.warnings).toEqual([]);
  });

  it('refuses to start PostgreSQL without a key, naming both ways to give one, and creates nothing', () => {
    const d = dir();
    expect(() => loadSecretKey({ dataDir: d, engine: 'postgres' })).toThrow(/--secret-key-file PATH .* KANSOKU_SECRET_KEY/);
    expect(existsSync(path.join(d, 'secret.key'))).toBe(false);
  });

  it('takes --secret-key-file (created when missing) or KANSOKU_SECRET_KEY, not both', () => {
    const d = dir();
    const file = path.join(d, 'pg.key');
    const k = loadSecretKey({ keyFile: file, dataDir: d, engine: 'postgres' });
    expect(k.created).toBe(true);
    const b64 = readFileSync(file, 'utf8').trim();
    expect(loadSecretKey({ keyBase64: b64, dataDir: d, engine: 'postgres' }).box.keyId).toBe(k.box.keyId);
    expect(() => loadSecretKey({ keyFile: file, keyBase64: b64, dataDir: d, engine: 'sqlite' })).toThrow(/give only one/);
  });

  it('rejects a key that is not base64 of 32 bytes without echoing it', () => {
    const d = dir();
    expect(() => loadSecretKey({ keyBase64: randomBytes(16).toString('base64'), dataDir: d, engine: 'sqlite' })).toThrow(/KANSOKU_SECRET_KEY decodes to 16 bytes/);
    expect(() => loadSecretKey({ keyBase64: 'not a key!', dataDir: d, engine: 'sqlite' })).toThrow(/KANSOKU_SECRET_KEY is not base64/);
  });

  it('warns when others can read the key file', () => {
    const d = dir();
    const file = path.join(d, 'k');
    writeFileSync(file, randomBytes(32).toString('base64'));
    chmodSync(file, 0o644);
    expect(loadSecretKey({ keyFile: file, dataDir: d, engine: 'sqlite' }).warnings.join()).toMatch(/mode 0644; only its owner should read it/);
  });
});
