/**
 * `npm run conformance`: runs every external suite Kansoku measures itself against (from
 * ../shared/conformance or KANSOKU_CONFORMANCE_DIR) and prints one line per suite,
 * `SUITE: N/M passed`, then the failures in detail. Exits 1 when the material is missing under
 * CI=true, 2 on a crash; failing cases alone do not fail the run (the tests hold the targets).
 */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runPromqlTestFile } from '../query/promql/promqltest/runner.js';
import { IN_SCOPE_FILES } from '../query/promql/promqltest/scope.js';
import { runExpositionConformance } from '../sources/metrics/exposition/conformance.js';
import { runRemoteWriteConformance } from '../sources/metrics/remote-write/conformance.js';

interface SuiteResult {
  suite: string;
  total: number;
  passed: number;
  note?: string;
  failures: { case: string; reason: string }[];
}

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export function conformanceRoot(): string {
  return process.env.KANSOKU_CONFORMANCE_DIR ?? path.resolve(repoRoot, '../shared/conformance');
}

async function promqlSuite(dir: string): Promise<SuiteResult> {
  const testdata = path.join(dir, 'promqltest', 'testdata');
  const files = readdirSync(testdata).filter((f) => (IN_SCOPE_FILES as readonly string[]).includes(f)).sort();
  const out: SuiteResult = { suite: 'promqltest', total: 0, passed: 0, failures: [] };
  let skipped = 0;
  for (const f of files) {
    const r = await runPromqlTestFile(path.join(testdata, f));
    out.total += r.total - r.skipped;
    out.passed += r.passed;
    skipped += r.skipped;
    for (const x of r.failures) out.failures.push({ case: `${f}:${x.line} ${x.expr}`, reason: x.reason });
  }
  out.note = `${files.length} in-scope files; ${skipped} native-histogram cases not counted (src/query/promql/README.md)`;
  return out;
}

async function main(): Promise<number> {
  const dir = conformanceRoot();
  if (!existsSync(dir)) {
    const msg = `conformance material not found at ${dir} (set KANSOKU_CONFORMANCE_DIR)`;
    if (process.env.CI === 'true') {
      console.error(msg);
      return 1;
    }
    console.log(`SKIP: ${msg}`);
    return 0;
  }
  const results: SuiteResult[] = [await promqlSuite(dir), ...runExpositionConformance(dir), runRemoteWriteConformance(dir)];
  for (const r of results) console.log(`${r.suite}: ${r.passed}/${r.total} passed${r.note ? ` (${r.note})` : ''}`);
  for (const r of results) {
    if (!r.failures.length) continue;
    console.log(`\n${r.suite} failures:`);
    for (const f of r.failures) console.log(`  ${f.case}\n      ${f.reason}`);
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(2);
  },
);
