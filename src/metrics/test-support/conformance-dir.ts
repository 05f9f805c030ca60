import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** Where the shared conformance material lives, or the reason it cannot be used (tests skip with it; CI requires it). */
export function conformanceDir(sub: string): { dir: string } | { missing: string } {
  const root = process.env.KANSOKU_CONFORMANCE_DIR ?? path.join(REPO, '..', 'shared', 'conformance');
  const dir = path.join(root, sub);
  if (existsSync(dir)) return { dir };
  const missing = `conformance material ${dir} is absent (set KANSOKU_CONFORMANCE_DIR)`;
  if (process.env.CI === 'true') throw new Error(`${missing}; it is required under CI=true`);
  return { missing };
}
