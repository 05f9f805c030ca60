import { readFile } from 'node:fs/promises';
import type { DbTls } from './sql-config.js';

/** Node TLS options for a database driver; the CA file is read per run so a renewed CA is picked up. */
export async function dbTlsOptions(tls: DbTls | undefined): Promise<{ ca?: Buffer; rejectUnauthorized: boolean } | undefined> {
  if (!tls) return undefined;
  let ca: Buffer | undefined;
  if (tls.caFile !== undefined) {
    try {
      ca = await readFile(tls.caFile);
    } catch (err) {
      throw new Error(`cannot read tls.caFile ${tls.caFile}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return { ...(ca ? { ca } : {}), rejectUnauthorized: tls.verify };
}
