import { ApiClient, type ClientOptions } from '../client.js';
import { color, printJson, table } from '../output.js';

interface CheckJson {
  name: string;
  type: string;
  state: string;
  stateType: 'hard' | 'soft';
  attempt: number;
  attempts: number;
  since: string | null;
  flapping: boolean;
  message: string | null;
  disabled: boolean;
  lastRun: { startedAt: string } | null;
}

const paint: Record<string, (s: string) => string> = {
  ok: color.green,
  warning: color.yellow,
  critical: color.red,
  unknown: color.yellow,
};

/** "3m ago", "2h ago", for a terminal. */
export function ago(iso: string | null, now = Date.now()): string {
  if (!iso) return '-';
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m ago`;
  return `${Math.floor(s / 86_400)}d ago`;
}

/** The state shown in the table: "CRITICAL", "CRITICAL (soft 1/3)", "OK (flapping)". */
export function stateLabel(c: CheckJson): string {
  let s = c.disabled ? 'DISABLED' : c.state.toUpperCase();
  if (!c.disabled && c.state !== 'ok' && c.state !== 'pending' && c.stateType === 'soft') s += ` (soft ${c.attempt}/${c.attempts})`;
  if (c.flapping) s += ' (flapping)';
  return s;
}

/**
 * `kansoku status`: every check with its state, since when and its last message. With
 * --exit-code it exits 2 when any enabled check has a hard problem, so scripts can gate on it.
 */
export async function statusCommand(o: ClientOptions & { json?: boolean; exitCode?: boolean }): Promise<number> {
  const r = await new ApiClient(o).request<{ checks: CheckJson[] }>('GET', '/api/v1/checks');
  const hardProblem = Boolean(o.exitCode) && r.checks.some((c) => !c.disabled && c.stateType === 'hard' && c.state !== 'ok' && c.state !== 'pending');
  if (o.json) {
    printJson(r.checks);
    return hardProblem ? 2 : 0;
  }
  if (!r.checks.length) {
    process.stdout.write('No checks yet. Apply a document of kind: Check (see "kansoku apply --help").\n');
    return 0;
  }
  const now = Date.now();
  process.stdout.write(
    `${table(
      ['NAME', 'TYPE', 'STATE', 'SINCE', 'LAST RUN', 'MESSAGE'],
      r.checks.map((c) => [c.name, c.type, (paint[c.state] ?? ((s: string) => s))(stateLabel(c)), ago(c.since, now), ago(c.lastRun?.startedAt ?? null, now), (c.message ?? '').slice(0, 120)]),
    )}\n`,
  );
  return hardProblem ? 2 : 0;
}
