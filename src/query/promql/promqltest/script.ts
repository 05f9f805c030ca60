import { parseDurationMs } from '../../../core/duration.js';
import { parseGoFloat } from './series-notation.js';

export interface LoadCommand {
  kind: 'load';
  line: number;
  intervalMs: number;
  withNhcb: boolean;
  series: string[];
}

export interface ExpectLine {
  type: 'fail' | 'warn' | 'info' | 'no_warn' | 'no_info' | 'ordered';
  match?: { kind: 'msg' | 'regex'; text: string };
}

export interface EvalCommand {
  kind: 'eval';
  line: number;
  expr: string;
  instant: boolean;
  /** Instant: evaluation time; range: start, end, step (ms). */
  atMs: number;
  endMs: number;
  stepMs: number;
  expects: ExpectLine[];
  /** Expected series lines (`labels values...`). */
  expected: string[];
  expectedScalar?: number;
  expectedString?: string;
  /** `expect range vector from .. to .. step ..` for an instant query returning a matrix. */
  rangeVector?: { fromMs: number; toMs: number; stepMs: number };
}

export type Command = LoadCommand | EvalCommand | { kind: 'clear'; line: number };

const PAT_LOAD = /^load(?:_(with_nhcb))?\s+(.+?)$/;
const PAT_EVAL_INSTANT = /^eval(?:_(fail|warn|ordered|info))?\s+instant\s+(?:at\s+(.+?))?\s+(.+)$/;
const PAT_EVAL_RANGE = /^eval(?:_(fail|warn|info))?\s+range\s+from\s+(.+)\s+to\s+(.+)\s+step\s+(.+?)\s+(.+)$/;
const PAT_EXPECT = /^expect\s+(ordered|fail|warn|no_warn|info|no_info)(?:\s+(regex|msg):(.+))?$/;
const PAT_EXPECT_RANGE = /^expect range vector\s+from\s+(.+)\s+to\s+(.+)\s+step\s+(.+)$/;

/** Durations as promqltest writes them (model.ParseDuration: "0", "1m", "1h30m"). */
function duration(text: string, line: number): number {
  const ms = parseDurationMs(text.trim());
  if (ms === undefined) throw new Error(`line ${line}: invalid duration ${JSON.stringify(text)}`);
  return ms;
}

/** Unquotes an expected string written with double or back quotes. */
function unquote(s: string): string {
  if (s.startsWith('`') && s.endsWith('`')) return s.slice(1, -1);
  return JSON.parse(s) as string;
}

/** Parses a promqltest script into commands, following upstream's line-oriented rules. */
export function parseScript(text: string): Command[] {
  const lines = text.split('\n').map((l) => {
    const t = l.trim();
    return t.startsWith('#') ? '' : t;
  });
  const cmds: Command[] = [];
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    if (l === '') continue;
    const word = l.split(/[\t ]+/, 1)[0]!.toLowerCase();
    if (word === 'clear') {
      cmds.push({ kind: 'clear', line: i + 1 });
      continue;
    }
    if (word.startsWith('load')) {
      const m = PAT_LOAD.exec(l);
      if (!m) throw new Error(`line ${i + 1}: invalid load command`);
      const cmd: LoadCommand = { kind: 'load', line: i + 1, intervalMs: duration(m[2]!, i + 1), withNhcb: !!m[1], series: [] };
      while (i + 1 < lines.length && lines[i + 1] !== '') cmd.series.push(lines[++i]!);
      cmds.push(cmd);
      continue;
    }
    if (word.startsWith('eval')) {
      cmds.push(parseEval(lines, i));
      while (i + 1 < lines.length && lines[i + 1] !== '') i++;
      continue;
    }
    throw new Error(`line ${i + 1}: invalid command ${JSON.stringify(l)}`);
  }
  return cmds;
}

function parseEval(lines: string[], i: number): EvalCommand {
  const l = lines[i]!;
  const inst = PAT_EVAL_INSTANT.exec(l);
  const rng = PAT_EVAL_RANGE.exec(l);
  if (!inst && !rng) throw new Error(`line ${i + 1}: invalid eval command`);
  const line = i + 1;
  const mod = inst ? inst[1] : rng![1];
  const cmd: EvalCommand = inst
    ? { kind: 'eval', line, expr: inst[3]!, instant: true, atMs: duration(inst[2] ?? '0', line), endMs: 0, stepMs: 0, expects: [], expected: [] }
    : {
        kind: 'eval',
        line,
        expr: rng![5]!,
        instant: false,
        atMs: duration(rng![2]!, line),
        endMs: duration(rng![3]!, line),
        stepMs: duration(rng![4]!, line),
        expects: [],
        expected: [],
      };
  if (mod === 'fail' || mod === 'warn' || mod === 'info' || mod === 'ordered') cmd.expects.push({ type: mod });
  for (let j = i + 1; j < lines.length && lines[j] !== ''; j++) {
    const def = lines[j]!;
    if (def.startsWith('expected_fail_message')) {
      cmd.expects = cmd.expects.filter((e) => e.type !== 'fail');
      cmd.expects.push({ type: 'fail', match: { kind: 'msg', text: def.slice('expected_fail_message'.length).trim() } });
      break;
    }
    if (def.startsWith('expected_fail_regexp')) {
      cmd.expects = cmd.expects.filter((e) => e.type !== 'fail');
      cmd.expects.push({ type: 'fail', match: { kind: 'regex', text: def.slice('expected_fail_regexp'.length).trim() } });
      break;
    }
    const rv = PAT_EXPECT_RANGE.exec(def);
    if (rv) {
      cmd.rangeVector = { fromMs: duration(rv[1]!, line), toMs: duration(rv[2]!, line), stepMs: duration(rv[3]!, line) };
      continue;
    }
    if (def.startsWith('expect string')) {
      cmd.expectedString = unquote(def.slice('expect string'.length).trim());
      continue;
    }
    if (def.split(' ')[0] === 'expect') {
      const m = PAT_EXPECT.exec(def.trim());
      if (!m) throw new Error(`line ${j + 1}: invalid expect statement`);
      const e: ExpectLine = { type: m[1] as ExpectLine['type'] };
      if (m[2]) e.match = { kind: m[2] as 'msg' | 'regex', text: m[3]!.trim() };
      cmd.expects.push(e);
      continue;
    }
    const num = /^\S+$/.test(def) ? parseGoFloat(def) : undefined;
    if (num !== undefined) {
      cmd.expectedScalar = num;
      break;
    }
    cmd.expected.push(def);
  }
  return cmd;
}
