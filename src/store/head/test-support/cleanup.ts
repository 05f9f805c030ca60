import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach } from 'vitest';
import type { TelemetryStore } from '../../telemetry-store.js';

/**
 * Temporary WAL directories and opened stores for the head's unit tests, all closed and
 * removed after each test. Call once at the top of a test file.
 */
export function headTestCleanup(prefix: string): { tempDir(): string; track<S extends TelemetryStore>(s: S): S } {
  const dirs: string[] = [];
  const opened: TelemetryStore[] = [];
  afterEach(async () => {
    for (const s of opened.splice(0)) await s.close().catch(() => undefined);
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  return {
    tempDir() {
      const d = mkdtempSync(path.join(tmpdir(), prefix));
      dirs.push(d);
      return d;
    },
    track(s) {
      opened.push(s);
      return s;
    },
  };
}
