/**
 * Runs Prometheus's promqltest scripts against the Kansoku PromQL engine and prints one line
 * per file. Usage: npx tsx src/query/promql/promqltest/run-conformance.ts [--verbose] [file...]
 * Exits 1 on a crash or when an in-scope file misses the required pass rate.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runPromqlTestFile, type FileReport } from './runner.js';
import { IN_SCOPE_FILES, OUT_OF_SCOPE_FILES, REQUIRED_PASS_RATE } from './scope.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');

export function conformanceDir(): string {
  return path.join(process.env.KANSOKU_CONFORMANCE_DIR ?? path.resolve(repoRoot, '../shared/conformance'), 'promqltest', 'testdata');
}

/** Pass rate over the cases the engine is expected to handle (skipped native-histogram cases excluded). */
export function passRate(r: FileReport): number {
  const counted = r.total - r.skipped;
  return counted === 0 ? 1 : r.passed / counted;
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const verbose = args.includes('--verbose');
  const only = args.filter((a) => !a.startsWith('--'));
  const dir = conformanceDir();
  const files = (await readdir(dir)).filter((f) => f.endsWith('.test') && (only.length === 0 || only.includes(f))).sort();
  let total = 0;
  let passed = 0;
  let skipped = 0;
  let belowTarget = false;
  for (const f of files) {
    const r = await runPromqlTestFile(path.join(dir, f));
    const inScope = (IN_SCOPE_FILES as readonly string[]).includes(f);
    const note = inScope ? '' : ` (out of scope: ${OUT_OF_SCOPE_FILES[f] ?? 'not listed'})`;
    const skipNote = r.skipped ? `, ${r.skipped} skipped (native histograms)` : '';
    console.log(`promqltest/${f}: ${r.passed}/${r.total} passed${skipNote}${note}`);
    if (verbose) for (const x of r.failures) console.log(`    line ${x.line}: ${x.expr}\n        ${x.reason}`);
    if (inScope) {
      total += r.total;
      passed += r.passed;
      skipped += r.skipped;
      if (passRate(r) < REQUIRED_PASS_RATE) belowTarget = true;
    }
  }
  console.log(`total (in-scope files): ${passed}/${total} passed, ${skipped} skipped`);
  return belowTarget ? 1 : 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(err);
      process.exit(2);
    },
  );
}
