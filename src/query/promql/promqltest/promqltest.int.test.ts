import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { conformanceDir, passRate } from './run-conformance.js';
import { runPromqlTestFile } from './runner.js';
import { IN_SCOPE_FILES, REQUIRED_PASS_RATE } from './scope.js';

const dir = conformanceDir();
const present = existsSync(dir);
if (!present) {
  const msg = `promqltest conformance data not found at ${dir} (set KANSOKU_CONFORMANCE_DIR)`;
  if (process.env.CI === 'true') throw new Error(msg);
  console.log(`skipping: ${msg}`);
}

describe.skipIf(!present)('Prometheus promqltest scripts', () => {
  it.each(IN_SCOPE_FILES)('%s passes at least 90%% of its float eval cases', async (file) => {
    const r = await runPromqlTestFile(path.join(dir, file));
    const rate = passRate(r);
    console.log(`promqltest/${file}: ${r.passed}/${r.total} passed, ${r.skipped} skipped (native histograms), rate ${(rate * 100).toFixed(1)}%`);
    for (const f of r.failures) console.log(`  line ${f.line}: ${f.expr} -> ${f.reason}`);
    expect(r.total).toBeGreaterThan(0);
    expect(rate).toBeGreaterThanOrEqual(REQUIRED_PASS_RATE);
  });
});
