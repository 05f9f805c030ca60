import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isAlertedBy, parsePerfdata, parseRange, perfdataToMetrics, splitPluginOutput } from './perfdata.js';

describe('splitPluginOutput', () => {
  it('splits text and perfdata on the first line', () => {
    expect(splitPluginOutput('DISK OK - free space: / 3326 MB (56%); | /=2643MB;5948;5958;0;5968\n')).toEqual({
      text: 'DISK OK - free space: / 3326 MB (56%);',
      longOutput: '',
      perfdata: '/=2643MB;5948;5958;0;5968',
    });
  });

  it('keeps long output and joins perfdata from a later line and the lines after it', () => {
    const out = splitPluginOutput(
      'DISK OK - free space: / 3326 MB (56%); | /=2643MB;5948;5958;0;5968\n/ 15272 MB (77%);\n/boot 68 MB (69%);\n/home 69357 MB (27%);\n/var/log 819 MB (84%); | /boot=68MB;88;93;0;98\n/home=69357MB;253404;253409;0;253414 \n/var/log=818MB;970;975;0;980\n',
    );
    expect(out.text).toBe('DISK OK - free space: / 3326 MB (56%);');
    expect(out.longOutput).toBe('/ 15272 MB (77%);\n/boot 68 MB (69%);\n/home 69357 MB (27%);\n/var/log 819 MB (84%); ');
    expect(parsePerfdata(out.perfdata).items.map((i) => i.label)).toEqual(['/', '/boot', '/home', '/var/log']);
  });

  it('treats a "|" only on a later line as the start of perfdata', () => {
    const out = splitPluginOutput('OK all good\ndetail one\n| a=1 b=2\nc=3');
    expect(out).toEqual({ text: 'OK all good', longOutput: 'detail one', perfdata: 'a=1 b=2 c=3' });
  });
});

describe('parsePerfdata', () => {
  it('parses quoted labels, doubled quotes, units and empty fields', () => {
    const { items, invalid } = parsePerfdata("'my label'=12.5ms;10;20;0;100 'it''s'=3c time=0.000410s;;;0.000000;10.000000 x=U;1;2");
    expect(invalid).toEqual([]);
    expect(items).toEqual([
      { label: 'my label', value: 12.5, unit: 'ms', warn: '10', crit: '20', min: 0, max: 100 },
      { label: "it's", value: 3, unit: 'c' },
      { label: 'time', value: 0.00041, unit: 's', min: 0, max: 10 },
      { label: 'x', value: undefined, warn: '1', crit: '2' },
    ]);
    // "U" has no number: it is not a metric.
    expect(perfdataToMetrics(items).map((m) => m.name)).toEqual(['my label', "it's", 'time']);
  });

  it('reports malformed items and keeps the good ones', () => {
    const { items, invalid } = parsePerfdata("ok=1 novalue= bad=abc w=1;x:y 'unbalanced=3 next=4");
    expect(items.map((i) => i.label)).toEqual(['ok']);
    // An unterminated quote swallows the rest of the line: "next" cannot be told from the label.
    expect(invalid).toHaveLength(4);
    expect(invalid.join('\n')).toMatch(/"bad=abc": value is not a number/);
    expect(invalid.join('\n')).toMatch(/warn "x:y" is not a range/);
  });
});

describe('Nagios ranges', () => {
  it.each([
    ['10', [-1, 11], [0, 10, 5]],
    ['10:', [9.9], [10, 1e9]],
    ['~:10', [10.1], [-1e9, 10]],
    ['10:20', [9, 21], [10, 20]],
    ['@10:20', [10, 15, 20], [9, 21]],
    ['150.000', [151], [150]],
  ] as const)('%s alerts on %j and not on %j', (text, alerting, quiet) => {
    const r = parseRange(text);
    expect(r).toBeDefined();
    for (const v of alerting) expect(isAlertedBy(r!, v)).toBe(true);
    for (const v of quiet) expect(isAlertedBy(r!, v)).toBe(false);
  });

  it('rejects ranges whose start is after the end, and garbage', () => {
    expect(parseRange('20:10')).toBeUndefined();
    expect(parseRange('abc')).toBeUndefined();
    expect(parseRange('')).toBeUndefined();
  });
});

// ---------------------------------------------------------------------------------------------
// Conformance: 30 real runs of monitoring-plugins 2.3.3 (see <conformance>/nagios-plugins/README.md).
// Values differ per machine, so the test compares structure: labels, units, thresholds, min/max.
// ---------------------------------------------------------------------------------------------
interface CapturedRun {
  command: string;
  exit_code: number;
  stdout: string;
  stderr: string;
}

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const conformanceDir = process.env.KANSOKU_CONFORMANCE_DIR ?? path.join(repoRoot, '../shared/conformance');
const runsFile = path.join(conformanceDir, 'nagios-plugins/captured-monitoring-plugins-2.3.3-runs.json');
const haveRuns = existsSync(runsFile);
if (!haveRuns) {
  if (process.env.CI === 'true') throw new Error(`conformance material is required under CI=true: ${runsFile} is missing`);
  console.warn(`SKIP: Nagios perfdata conformance: ${runsFile} is missing (set KANSOKU_CONFORMANCE_DIR)`);
}

/** What each plugin's perfdata must look like: label → [unit, has min, has max]. */
const SHAPES: Record<string, Record<string, { unit?: string; min?: boolean; max?: boolean }>> = {
  check_load: { load1: { min: true }, load5: { min: true }, load15: { min: true } },
  check_disk: { '/': { unit: 'B', min: true, max: true } },
  check_procs: { procs: { min: true } },
  check_users: { users: { min: true } },
  check_swap: { swap: { unit: 'B', min: true, max: true } },
  check_tcp: { time: { unit: 's', min: true, max: true } },
  check_http: { time: { unit: 's', min: true, max: true }, size: { unit: 'B', min: true } },
  check_file_age: { age: { unit: 's' }, size: { unit: 'B', min: true } },
};

/** Reads the option value after `flag` in a captured command line, e.g. "-w 1:1" → "1:1". */
function optionOf(command: string, flag: string): string | undefined {
  const words = command.split(/\s+/);
  const i = words.indexOf(flag);
  return i >= 0 ? words[i + 1] : undefined;
}

describe.skipIf(!haveRuns)('perfdata of real monitoring-plugins runs', () => {
  const runs: CapturedRun[] = haveRuns ? (JSON.parse(readFileSync(runsFile, 'utf8')) as CapturedRun[]) : [];

  it('has the 30 captured runs', () => {
    expect(runs).toHaveLength(30);
  });

  it.each(runs.map((r) => [r.command, r] as const))('%s', (_cmd, run) => {
    const out = splitPluginOutput(run.stdout);
    const plugin = run.command.split(/\s+/)[0]!;
    // The status text is the first line without perfdata, and never contains the separator.
    expect(out.text).toBe(run.stdout.split('\n')[0]!.split('|')[0]!.trim());
    const { items, invalid } = parsePerfdata(out.perfdata);
    expect(invalid).toEqual([]);
    if (!run.stdout.includes('|')) {
      expect(items).toEqual([]);
      return;
    }
    expect(items.length).toBeGreaterThan(0);
    let shape = SHAPES[plugin];
    if (plugin === 'check_load' && run.command.includes(' -r ')) {
      shape = {};
      for (const l of ['load1', 'load5', 'load15']) shape[l] = shape[`scaled_${l}`] = { min: true };
    }
    expect(shape, `no expected shape for ${plugin}`).toBeDefined();
    expect(items.map((i) => i.label).sort()).toEqual(Object.keys(shape!).sort());
    for (const item of items) {
      const want = shape![item.label]!;
      expect(typeof item.value, item.label).toBe('number');
      expect(Number.isFinite(item.value), item.label).toBe(true);
      expect(item.unit, item.label).toBe(want.unit);
      expect(item.min !== undefined, `${item.label} min`).toBe(want.min ?? false);
      expect(item.max !== undefined, `${item.label} max`).toBe(want.max ?? false);
      for (const t of [item.warn, item.crit]) if (t !== undefined) expect(parseRange(t), t).toBeDefined();
    }
    // Thresholds given on the command line come back verbatim in the perfdata.
    if (plugin === 'check_procs') {
      expect(items[0]!.warn).toBe(optionOf(run.command, '-w'));
      expect(items[0]!.crit).toBe(optionOf(run.command, '-c'));
    }
    if (plugin === 'check_file_age') {
      const age = items.find((i) => i.label === 'age')!;
      expect([age.warn, age.crit]).toEqual([optionOf(run.command, '-w'), optionOf(run.command, '-c')]);
    }
    if (plugin === 'check_load' && !run.command.includes(' -r ')) {
      const warn = optionOf(run.command, '-w')!.split(',').map(Number);
      expect(['load1', 'load5', 'load15'].map((l) => Number(items.find((i) => i.label === l)!.warn))).toEqual(warn);
    }
  });
});
