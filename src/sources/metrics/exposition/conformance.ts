import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ExpositionParseError } from './errors.js';
import type { OpenMetricsMode } from './openmetrics-parser.js';
import { validateExposition } from './parse.js';
import type { ExpositionFormat } from './types.js';

/** What `npm run conformance` prints as `SUITE: passed/total passed`. */
export interface ConformanceResult {
  suite: string;
  total: number;
  passed: number;
  failures: { case: string; reason: string }[];
}

interface Case {
  name: string;
  file: string;
  shouldParse: boolean;
  /** Minimum number of samples a good case must yield. */
  minSamples: number;
  /** Real-world expositions are read the way a scraper reads them. */
  mode?: OpenMetricsMode;
}

function check(format: ExpositionFormat, c: Case): string | undefined {
  const body = readFileSync(c.file);
  try {
    const r = validateExposition(body, format, { mode: c.mode ?? 'strict' });
    if (!c.shouldParse) return `accepted an invalid exposition (${r.samples} samples)`;
    if (r.samples < c.minSamples) return `parsed only ${r.samples} samples, expected at least ${c.minSamples}`;
    return undefined;
  } catch (err) {
    if (!(err instanceof ExpositionParseError)) return `crashed: ${err instanceof Error ? err.stack : String(err)}`;
    return c.shouldParse ? `rejected a valid exposition: ${err.message}` : undefined;
  }
}

function run(suite: string, format: ExpositionFormat, cases: Case[]): ConformanceResult {
  const failures: ConformanceResult['failures'] = [];
  for (const c of cases) {
    const reason = check(format, c);
    if (reason !== undefined) failures.push({ case: c.name, reason });
  }
  return { suite, total: cases.length, passed: cases.length - failures.length, failures };
}

/** The OpenMetrics parser cases (`openmetrics-parsers/<case>/{metrics,test.json}`). */
export function openMetricsCases(conformanceDir: string): Case[] {
  const root = path.join(conformanceDir, 'exposition', 'openmetrics-parsers');
  const cases: Case[] = [];
  for (const name of readdirSync(root).sort()) {
    const spec = JSON.parse(readFileSync(path.join(root, name, 'test.json'), 'utf8')) as { file: string; shouldParse: boolean };
    cases.push({ name, file: path.join(root, name, spec.file), shouldParse: spec.shouldParse, minSamples: 0 });
  }
  // Real OpenMetrics expositions from Prometheus' parser benchmarks and promtool tests, read in
  // `compatible` mode: alltypes.5mfs (client_golang output) has a negative histogram _sum next
  // to negative buckets and negative quantile values, which strict mode rightly rejects.
  for (const f of ['textparse-samples/1histogram.om.txt', 'textparse-samples/alltypes.5mfs.om.txt', 'promtool-samples/dump-openmetrics-test.prom', 'promtool-samples/dump-openmetrics-roundtrip-test.prom']) {
    const file = path.join(conformanceDir, 'exposition', f);
    if (existsSync(file)) cases.push({ name: f, file, shouldParse: true, minSamples: 1, mode: 'compatible' });
  }
  return cases;
}

/**
 * The text-format corpus: `from_test_parse_N` and `minimal` are valid, `from_test_parse_error_N`
 * invalid; plus the realistic and large real expositions. `from_test_parse_0` holds only blank
 * lines (upstream expects zero families from it), so valid cases must yield at least one sample
 * except that one.
 */
export function textFormatCases(conformanceDir: string): Case[] {
  const root = path.join(conformanceDir, 'exposition', 'expfmt-text-corpus');
  const cases: Case[] = [];
  for (const name of readdirSync(root).sort()) {
    const bad = name.startsWith('from_test_parse_error_');
    cases.push({ name, file: path.join(root, name), shouldParse: !bad, minSamples: bad || name === 'from_test_parse_0' ? 0 : 1 });
  }
  for (const f of ['textparse-samples/alltypes.237mfs.prom.txt', 'textparse-samples/alltypes.237mfs.nometa.prom.txt', 'promtool-samples/metrics-test.prom']) {
    const file = path.join(conformanceDir, 'exposition', f);
    if (existsSync(file)) cases.push({ name: f, file, shouldParse: true, minSamples: 1 });
  }
  return cases;
}

export function runOpenMetricsConformance(conformanceDir: string): ConformanceResult {
  return run('exposition-openmetrics', 'openmetrics', openMetricsCases(conformanceDir));
}

export function runTextFormatConformance(conformanceDir: string): ConformanceResult {
  return run('exposition-text', 'text', textFormatCases(conformanceDir));
}

/** Both exposition suites. */
export function runExpositionConformance(conformanceDir: string): ConformanceResult[] {
  return [runOpenMetricsConformance(conformanceDir), runTextFormatConformance(conformanceDir)];
}
