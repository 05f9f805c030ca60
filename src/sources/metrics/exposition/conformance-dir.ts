import { existsSync } from 'node:fs';
import path from 'node:path';

/** Repository root, from this file's place in src/sources/metrics/exposition. */
const REPO_ROOT = path.resolve(import.meta.dirname, '../../../..');

/**
 * Where the external conformance material lives: $KANSOKU_CONFORMANCE_DIR, else the shared
 * folder next to the repository. Returns the directory and, when it is missing, why.
 */
export function conformanceDir(): { dir: string; missing?: string } {
  const dir = process.env.KANSOKU_CONFORMANCE_DIR ?? path.resolve(REPO_ROOT, '../shared/conformance');
  return existsSync(dir) ? { dir } : { dir, missing: `conformance material not found at ${dir} (set KANSOKU_CONFORMANCE_DIR)` };
}

/**
 * For tests: the directory when present. Missing material skips the suite with a printed
 * reason on a laptop and fails under CI=true, where the material is required.
 */
export function requireConformanceDir(suite: string): string | undefined {
  const { dir, missing } = conformanceDir();
  if (missing === undefined) return dir;
  if (process.env.CI === 'true') throw new Error(`${suite}: ${missing}; it is required under CI=true`);
  console.warn(`SKIP: ${suite}: ${missing}`);
  return undefined;
}
