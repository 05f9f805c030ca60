import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../lib/errors.js';
import { KEY_BYTES, SecretBox } from './envelope.js';

export const SECRET_KEY_ENV = 'KANSOKU_SECRET_KEY';
export const DEFAULT_KEY_FILE = 'secret.key';

export interface LoadedSecretKey {
  box: SecretBox;
  /** The key file used, when the key came from a file. */
  file?: string;
  /** True when the file did not exist and was created now with a new random key. */
  created: boolean;
  /** Things the operator should fix (e.g. a key file others can read); logged as warnings. */
  warnings: string[];
}

/**
 * Finds the key that encrypts secrets at rest, in this order: `--secret-key-file PATH` (created
 * with a new random key and mode 0600 when missing), `KANSOKU_SECRET_KEY` (base64 of 32 bytes),
 * then `DIR/secret.key` — the last only for the embedded SQLite store, because a key file
 * appearing beside a shared PostgreSQL database must be a deliberate choice, not a default.
 */
export function loadSecretKey(opts: { keyFile?: string; keyBase64?: string; dataDir: string; engine: 'sqlite' | 'postgres' }): LoadedSecretKey {
  if (opts.keyFile && opts.keyBase64) {
    throw new ConfigError('KSK_CONFIG_SECRET_KEY', `both --secret-key-file and ${SECRET_KEY_ENV} are set; give only one of them`);
  }
  if (opts.keyFile) return loadOrCreateKeyFile(path.resolve(opts.keyFile));
  if (opts.keyBase64 !== undefined) {
    return { box: new SecretBox(decodeKey(opts.keyBase64, SECRET_KEY_ENV), `the key in ${SECRET_KEY_ENV}`), created: false, warnings: [] };
  }
  if (opts.engine === 'postgres') {
    throw new ConfigError(
      'KSK_CONFIG_SECRET_KEY',
      `a PostgreSQL state store needs a key to encrypt secrets at rest: pass --secret-key-file PATH (created with a new key and mode 0600 if missing; back it up apart from the database) or set ${SECRET_KEY_ENV} to 32 random bytes in base64 ("openssl rand -base64 32")`,
    );
  }
  return loadOrCreateKeyFile(path.join(opts.dataDir, DEFAULT_KEY_FILE));
}

export function loadOrCreateKeyFile(file: string): LoadedSecretKey {
  if (!existsSync(file)) {
    try {
      return { box: writeNewKey(file), file, created: true, warnings: [] };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new ConfigError('KSK_CONFIG_SECRET_KEY', `cannot create the secret key file ${file}: ${(err as Error).message}`, { cause: err });
      }
    }
  }
  return { ...readKeyFile(file), created: false };
}

export function readKeyFile(file: string): { box: SecretBox; file: string; warnings: string[] } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError('KSK_CONFIG_SECRET_KEY', `cannot read the secret key file ${file}: ${(err as Error).message}`, { cause: err });
  }
  const warnings: string[] = [];
  const mode = statSync(file).mode & 0o777;
  if (mode & 0o077) warnings.push(`the secret key file ${file} has mode ${mode.toString(8).padStart(4, '0')}; only its owner should read it (chmod 600 ${file})`);
  return { box: new SecretBox(decodeKey(text, file), `the key in ${file}`), file, warnings };
}

/** Writes a new random key to a file that must not exist yet (mode 0600). */
export function createKeyFile(file: string): SecretBox {
  try {
    return writeNewKey(file);
  } catch (err) {
    throw new ConfigError('KSK_CONFIG_SECRET_KEY', `cannot create the key file ${file}: ${(err as Error).message}`, { cause: err });
  }
}

function writeNewKey(file: string): SecretBox {
  const key = randomBytes(KEY_BYTES);
  // 'wx': never overwrite a key file, not even one another process wrote a moment ago.
  writeFileSync(file, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  chmodSync(file, 0o600);
  return new SecretBox(key, `the key in ${file}`);
}

function decodeKey(text: string, where: string): Buffer {
  const t = text.trim();
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(t)) {
    throw new ConfigError('KSK_CONFIG_SECRET_KEY', `${where} is not base64; it must hold 32 random bytes in base64 ("openssl rand -base64 32")`);
  }
  const key = Buffer.from(t, 'base64');
  if (key.length !== KEY_BYTES) {
    throw new ConfigError('KSK_CONFIG_SECRET_KEY', `${where} decodes to ${key.length} bytes; the key must be exactly ${KEY_BYTES} bytes (base64 of 32 random bytes, "openssl rand -base64 32")`);
  }
  return key;
}
