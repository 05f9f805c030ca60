/**
 * Parse throughput on the large real expositions of the conformance material:
 *   npx tsx src/sources/metrics/exposition/bench-parse.ts [conformanceDir]
 * Prints samples/s for the flat path (what a scrape loop uses), the family path and the
 * validate-only path. Bounded: about 0.7 s of CPU per file and path.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { formatExposition, toOpenMetricsFamilies } from '../../src/sources/metrics/exposition/format.js';
import { parseExposition, parseExpositionSamples, parseTextFormat, validateExposition } from '../../src/sources/metrics/exposition/parse.js';
import type { ExpositionFormat } from '../../src/sources/metrics/exposition/types.js';

const dir = process.argv[2] ?? process.env.KANSOKU_CONFORMANCE_DIR ?? path.resolve(import.meta.dirname, '../../../shared/conformance');
const files: [string, ExpositionFormat][] = [
  ['textparse-samples/alltypes.237mfs.prom.txt', 'text'],
  ['textparse-samples/alltypes.237mfs.nometa.prom.txt', 'text'],
  ['textparse-samples/alltypes.5mfs.om.txt', 'openmetrics'],
  ['expfmt-text-corpus/testdata-text.prom', 'text'],
];

/** Samples per second of CPU time (the machine is shared, wall time would measure others). */
function rate(fn: () => number): { samplesPerSec: number; samples: number } {
  let samples = fn(); // warm-up
  for (let k = 0; k < 20; k++) fn();
  const c0 = process.cpuUsage();
  let runs = 0;
  let cpu = 0;
  while (cpu < 0.7 && runs < 5000) {
    samples = fn();
    runs++;
    const c = process.cpuUsage(c0);
    cpu = (c.user + c.system) / 1e6;
  }
  return { samplesPerSec: (samples * runs) / cpu, samples };
}

/** The 237-family exposition rewritten as OpenMetrics. */
function asOpenMetrics(textBody: string): string {
  return formatExposition(toOpenMetricsFamilies(parseTextFormat(textBody).families), 'openmetrics');
}

const inputs: [string, ExpositionFormat, string][] = files.map(([f, format]) => [f, format, readFileSync(path.join(dir, 'exposition', f), 'utf8')]);
inputs.push(['alltypes.237mfs as OpenMetrics', 'openmetrics', asOpenMetrics(inputs[0]![2])]);

for (const [f, format, text] of inputs) {
  const opts = { mode: 'compatible' as const };
  const flat = rate(() => parseExpositionSamples(text, format, opts).length);
  const fam = rate(() => parseExposition(text, format, opts).families.reduce((n, x) => n + x.samples.length, 0));
  const val = rate(() => validateExposition(text, format, opts).samples);
  const mb = (r: { samplesPerSec: number; samples: number }) => ((r.samplesPerSec / r.samples) * text.length) / 1e6;
  console.log(
    `${f} (${format}, ${flat.samples} samples, ${(text.length / 1024).toFixed(0)} KiB): ` +
      `flat ${(flat.samplesPerSec / 1e6).toFixed(2)} M samples/s (${mb(flat).toFixed(0)} MB/s), ` +
      `families ${(fam.samplesPerSec / 1e6).toFixed(2)} M/s, validate-only ${(val.samplesPerSec / 1e6).toFixed(2)} M/s`,
  );
}
