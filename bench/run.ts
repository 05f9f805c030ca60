/**
 * `npm run bench [-- SUITE…]`: runs the benchmark suites (all when none is named) and prints a
 * Markdown section per suite for BENCHMARKS.md. Each suite runs Kansoku beside its peer in the
 * same run where a peer exists, on loopback only, with bounded loops.
 */
import { foundationBench } from './foundation.js';
import { checksBench } from './checks.js';
import { metricsBench } from './metrics.js';
import { alertingBench } from './alerting.js';

export interface BenchSuite {
  name: string;
  description: string;
  run(): Promise<string>;
}

const SUITES: BenchSuite[] = [foundationBench, checksBench, metricsBench, alertingBench];

async function main(): Promise<number> {
  const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  const unknown = wanted.filter((w) => !SUITES.some((s) => s.name === w));
  if (unknown.length) {
    console.error(`unknown bench suite(s): ${unknown.join(', ')}; available: ${SUITES.map((s) => s.name).join(', ')}`);
    return 2;
  }
  const chosen = wanted.length ? SUITES.filter((s) => wanted.includes(s.name)) : SUITES;
  console.log(`# Kansoku benchmarks, ${new Date().toISOString().slice(0, 10)}\n`);
  for (const s of chosen) {
    console.error(`running ${s.name}: ${s.description}`);
    console.log(await s.run());
  }
  return 0;
}

main().then(
  (c) => process.exit(c),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
