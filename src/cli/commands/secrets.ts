import { existsSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../../lib/errors.js';
import type { SecretBox } from '../../secrets/envelope.js';
import { createKeyFile, DEFAULT_KEY_FILE, loadSecretKey, readKeyFile, SECRET_KEY_ENV } from '../../secrets/key.js';
import { printJson } from '../output.js';

export interface RotateOptions {
  newKeyFile: string;
  dataDir: string;
  state?: string;
  secretKeyFile?: string;
  json?: boolean;
}

/**
 * `kansoku secrets rotate`: offline, with the server stopped, re-encrypts every stored secret
 * (live objects and all versions) from the current key to a new one in one transaction. A running
 * server would keep writing with the old key, so this is not an API call.
 */
export async function secretsRotateCommand(o: RotateOptions): Promise<number> {
  const dataDir = path.resolve(o.dataDir);
  const engine = o.state && /^postgres(ql)?:\/\//.test(o.state) ? 'postgres' : 'sqlite';
  if (!o.state && !existsSync(path.join(dataDir, 'state.db'))) {
    throw new ConfigError('KSK_CONFIG_STATE', `there is no state store at ${path.join(dataDir, 'state.db')}; pass the server's --data-dir, or --state for PostgreSQL`);
  }
  const current = currentKey(o, dataDir, engine);
  const newFile = path.resolve(o.newKeyFile);
  if (current?.file && path.resolve(current.file) === newFile) {
    throw new ConfigError('KSK_CONFIG_SECRET_KEY', `--new-key-file ${newFile} is the current key file; give a new path (it is created when missing)`);
  }
  let to: SecretBox;
  let created = false;
  if (existsSync(newFile)) {
    const k = readKeyFile(newFile);
    for (const w of k.warnings) process.stderr.write(`kansoku: warning: ${w}\n`);
    to = k.box;
  } else {
    to = createKeyFile(newFile);
    created = true;
  }
  if (current && current.box.keyId === to.keyId) {
    throw new ConfigError('KSK_CONFIG_SECRET_KEY', `the new key ${to.keyId}… is the current key; a rotation needs a different key`);
  }

  const { openStateStore } = await import('../../store/state/open-state-store.js');
  const { buildKindRegistry } = await import('../../server/kinds.js');
  const { ObjectService } = await import('../../inventory/object-service.js');
  const store = await openStateStore({ dataDir, url: o.state });
  let report;
  try {
    report = await new ObjectService(store, buildKindRegistry()).rotateStoredSecrets(current ? [current.box] : [], to);
  } finally {
    await store.close();
  }
  const keyFlag = `--secret-key-file ${newFile}`;
  const defaultFile = path.join(dataDir, DEFAULT_KEY_FILE);
  const next =
    engine === 'sqlite' && current?.file === defaultFile
      ? `start the server with ${keyFlag}, or move ${newFile} to ${defaultFile} (mode 0600)`
      : `start the server with ${keyFlag} (or put the new key in ${SECRET_KEY_ENV})`;
  if (o.json) printJson({ ...report, from: current?.box.keyId ?? null, to: to.keyId, newKeyFile: newFile, created });
  else {
    process.stdout.write(
      `re-encrypted ${report.rekeyed} secret values from key ${current?.box.keyId ?? '(none)'}… to key ${to.keyId}…` +
        `${report.sealedPlain ? `, and encrypted ${report.sealedPlain} values stored in the clear` : ''} (${report.objects} objects, ${report.versions} versions)\n` +
        `${created ? `the new key was written to ${newFile} (mode 0600)\n` : ''}` +
        `next: ${next}; the old key no longer opens anything, but keep it until backups taken before now have expired\n`,
    );
  }
  return 0;
}

/** The key the server used: the same order as `kansoku server`, but never creates one. */
function currentKey(o: RotateOptions, dataDir: string, engine: 'sqlite' | 'postgres'): { box: SecretBox; file?: string } | undefined {
  const env = process.env[SECRET_KEY_ENV] || undefined;
  if (o.secretKeyFile) {
    const file = path.resolve(o.secretKeyFile);
    if (!existsSync(file)) throw new ConfigError('KSK_CONFIG_SECRET_KEY', `--secret-key-file ${file} does not exist; give the key the server uses now`);
    if (env) throw new ConfigError('KSK_CONFIG_SECRET_KEY', `both --secret-key-file and ${SECRET_KEY_ENV} are set; give only one of them`);
  }
  if (!o.secretKeyFile && !env && engine === 'sqlite' && !existsSync(path.join(dataDir, DEFAULT_KEY_FILE))) {
    // An older data dir never had a key: its secrets are in the clear and are simply sealed.
    return undefined;
  }
  if (!o.secretKeyFile && !env && engine === 'postgres') {
    throw new ConfigError('KSK_CONFIG_SECRET_KEY', `give the key the server uses now: --secret-key-file PATH or ${SECRET_KEY_ENV}`);
  }
  const k = loadSecretKey({ keyFile: o.secretKeyFile, keyBase64: env, dataDir, engine });
  for (const w of k.warnings) process.stderr.write(`kansoku: warning: ${w}\n`);
  return { box: k.box, file: k.file };
}
