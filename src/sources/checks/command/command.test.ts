import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { commandArgv, commandCheckSpecSchema, interpretPluginRun, splitArgv } from './index.js';

describe('splitArgv', () => {
  it('splits words and honours quotes and backslashes without expanding anything', () => {
    expect(splitArgv(`check_dummy 1 "disk getting full"`)).toEqual({ argv: ['check_dummy', '1', 'disk getting full'] });
    expect(splitArgv(`a 'b $HOME c' "d \\"e\\" $x" f\\ g h;i|j *`)).toEqual({ argv: ['a', 'b $HOME c', 'd "e" $x', 'f g', 'h;i|j', '*'] });
    expect(splitArgv(`x '' ""`)).toEqual({ argv: ['x', '', ''] });
  });
  it('rejects unterminated quotes', () => {
    expect(splitArgv(`x 'oops`)).toHaveProperty('error');
    expect(splitArgv(`x "oops`)).toHaveProperty('error');
  });
});

describe('command spec', () => {
  it('accepts a string or argv and fills defaults', () => {
    const s = commandCheckSpecSchema.parse({ type: 'command', command: '/bin/true' });
    expect(s).toMatchObject({ shell: false, env: {}, timeoutStatus: 'unknown', interval: '60s' });
    expect(commandArgv(s)).toEqual(['/bin/true']);
    expect(commandArgv({ command: 'echo a | tr a b', shell: true })).toEqual(['/bin/sh', '-c', 'echo a | tr a b']);
  });
  it.each([
    [{ type: 'command' }, 'command'],
    [{ type: 'command', command: 'x', shel: true }, ''],
    [{ type: 'command', command: "x 'a" }, 'command'],
    [{ type: 'command', command: ['x'], shell: true }, 'shell'],
    [{ type: 'command', command: 'x', env: { 'BAD-NAME': '1' } }, 'env.BAD-NAME'],
    [{ type: 'command', command: 'x', timeout: 'soon' }, 'timeout'],
    [{ type: 'command', command: 'x', timeoutStatus: 'warning' }, 'timeoutStatus'],
  ])('rejects %j at path "%s"', (input, wantPath) => {
    const r = commandCheckSpecSchema.safeParse(input);
    expect(r.success).toBe(false);
    const paths = r.error!.issues.map((i) => i.path.join('.'));
    expect(paths).toContain(wantPath);
    if (wantPath === '') expect(r.error!.issues[0]!.message).toMatch(/shel/);
  });
});

describe('interpretPluginRun', () => {
  it('maps exit codes 0-3 and treats anything else as UNKNOWN', () => {
    expect(interpretPluginRun({ exitCode: 0, stdout: 'OK fine\n' }).status).toBe('ok');
    expect(interpretPluginRun({ exitCode: 1, stdout: 'W\n' }).status).toBe('warning');
    expect(interpretPluginRun({ exitCode: 2, stdout: 'C\n' }).status).toBe('critical');
    expect(interpretPluginRun({ exitCode: 3, stdout: 'U\n' }).status).toBe('unknown');
    const v = interpretPluginRun({ exitCode: 127, stdout: '', stderr: 'sh: 1: nope: not found\n' });
    expect(v).toMatchObject({ status: 'unknown', message: 'command exited with code 127 (command not found), not 0-3: (no output on stdout) stderr: sh: 1: nope: not found' });
    expect(interpretPluginRun({ exitCode: null, exitSignal: 'SIGSEGV', stdout: 'half' }).message).toBe('command was killed by SIGSEGV: half');
  });
  it('reports a timeout as UNKNOWN (or the configured status) with the duration', () => {
    const v = interpretPluginRun({ exitCode: null, exitSignal: 'SIGKILL', stdout: '', timedOut: true, timeoutMs: 1500, program: 'check_slow' });
    expect(v).toMatchObject({ status: 'unknown', message: 'check_slow timed out after 1s500ms; its process group was killed' });
    expect(interpretPluginRun({ exitCode: null, stdout: '', timedOut: true, timeoutMs: 2000 }, 'critical').status).toBe('critical');
  });
  it('keeps long output and perfdata from later lines', () => {
    const v = interpretPluginRun({ exitCode: 0, stdout: 'OK two disks | a=1B;;;0;10\nsda ok\nsdb ok | b=2%;80;90\n' });
    expect(v.message).toBe('OK two disks');
    expect(v.evidence).toEqual({ longOutput: 'sda ok\nsdb ok ' });
    expect(v.metrics).toEqual([
      { name: 'a', value: 1, unit: 'B', min: 0, max: 10 },
      { name: 'b', value: 2, unit: '%', warn: '80', crit: '90' },
    ]);
  });
});

// The 30 captured monitoring-plugins runs: status from exit code, message = first line.
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const runsFile = path.join(
  process.env.KANSOKU_CONFORMANCE_DIR ?? path.join(repoRoot, '../shared/conformance'),
  'nagios-plugins/captured-monitoring-plugins-2.3.3-runs.json',
);
const haveRuns = existsSync(runsFile);
if (!haveRuns) {
  if (process.env.CI === 'true') throw new Error(`conformance material is required under CI=true: ${runsFile} is missing`);
  console.warn(`SKIP: Nagios result conformance: ${runsFile} is missing (set KANSOKU_CONFORMANCE_DIR)`);
}

describe.skipIf(!haveRuns)('captured monitoring-plugins runs', () => {
  const runs = haveRuns
    ? (JSON.parse(readFileSync(runsFile, 'utf8')) as { command: string; exit_code: number; stdout: string; stderr: string }[])
    : [];
  const WORD = { ok: 'OK', warning: 'WARNING', critical: 'CRITICAL', unknown: 'UNKNOWN' } as const;
  it.each(runs.map((r) => [r.command, r] as const))('%s', (_c, run) => {
    const v = interpretPluginRun({ exitCode: run.exit_code, stdout: run.stdout, stderr: run.stderr });
    expect(v.status).toBe(['ok', 'warning', 'critical', 'unknown'][run.exit_code]);
    expect(v.message).toBe(run.stdout.split('\n')[0]!.split('|')[0]!.trim());
    expect(v.metrics.length > 0).toBe(run.stdout.includes('|'));
    // Plugins that print a state word print the one matching their exit code; negate is the
    // documented exception (it rewrites the code, not the text).
    const printed = /\b(OK|WARNING|CRITICAL|UNKNOWN)\b/.exec(v.message)?.[1];
    if (printed && !run.command.startsWith('negate')) expect(printed).toBe(WORD[v.status]);
    if (run.stdout.split('\n').filter((l) => l.trim()).length > 1) expect(v.evidence?.longOutput).toBeTruthy();
  });
});
