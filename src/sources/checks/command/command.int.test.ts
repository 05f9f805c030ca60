import { spawnSync } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasExecutable, requirePeer } from '../../../../test/support/peer.js';
import { commandCheck, commandCheckSpecSchema } from './index.js';

const PLUGINS = '/usr/lib/nagios/plugins';
const havePlugins = await requirePeer('monitoring-plugins (check_dummy, check_disk, check_procs, check_http)', async () => {
  for (const p of ['check_dummy', 'check_disk', 'check_procs', 'check_http']) {
    const r = await hasExecutable(`${PLUGINS}/${p}`);
    if (r !== true) return r;
  }
  return true;
});

function run(input: Record<string, unknown>, timeoutMs = 10_000) {
  const spec = commandCheckSpecSchema.parse({ type: 'command', ...input });
  return commandCheck.run(spec, { signal: AbortSignal.timeout(timeoutMs + 5000), timeoutMs });
}

/** Alive = exists and is not a zombie waiting for a reaper that may never come in a container. */
async function isAlive(pid: number): Promise<boolean> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'kansoku-command-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe.skipIf(!havePlugins)('command check with real monitoring-plugins', () => {
  let server: http.Server;
  let port: number;
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      res.writeHead(req.url === '/' ? 200 : 404, { 'content-type': 'text/plain' });
      res.end(req.url === '/' ? 'hello from kansoku test\n' : 'nope\n');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it.each([
    [0, 'ok'],
    [1, 'warning'],
    [2, 'critical'],
    [3, 'unknown'],
  ] as const)('check_dummy %i → %s', async (code, status) => {
    const r = await run({ command: `${PLUGINS}/check_dummy ${code} "state from exit code"` });
    expect(r.status).toBe(status);
    expect(r.message).toBe(`${status.toUpperCase()}: state from exit code`);
  });

  it('check_disk: byte perfdata with thresholds, min and max, same as a direct run', async () => {
    const argv = [`${PLUGINS}/check_disk`, '-w', '1%', '-c', '1%', '-p', '/'];
    const r = await run({ command: argv });
    const direct = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', env: { PATH: '/usr/bin:/bin', LC_ALL: 'C' } });
    expect(r.status).toBe(['ok', 'warning', 'critical', 'unknown'][direct.status!]);
    expect(r.message).toBe(direct.stdout.split('\n')[0]!.split('|')[0]!.trim());
    const m = r.metrics.find((x) => x.name === '/');
    expect(m).toMatchObject({ unit: 'B', min: 0 });
    expect(m!.max).toBeGreaterThan(m!.value);
    expect(Number(m!.warn)).toBeGreaterThan(0);
  });

  it('check_procs: range thresholds come back as written', async () => {
    const r = await run({ command: [`${PLUGINS}/check_procs`, '-c', '1:', '-C', 'no_such_process_kansoku'] });
    expect(r.status).toBe('critical');
    expect(r.message).toMatch(/^PROCS CRITICAL: 0 processes with command name 'no_such_process_kansoku'/);
    expect(r.metrics).toEqual([{ name: 'procs', value: 0, crit: '1:', min: 0 }]);
  });

  it("negate's own plugin timeout (-t 1) is the plugin's verdict: CRITICAL, as the plugin says", async () => {
    const r = await run({ command: `${PLUGINS}/negate -t 1 /bin/sleep 5` });
    expect(r).toMatchObject({ status: 'critical', message: 'CRITICAL - Plugin timed out after 1 seconds' });
  });

  it('check_http against a local HTTP server: OK with time and size, 404 → WARNING, closed port → CRITICAL', async () => {
    const ok = await run({ command: `${PLUGINS}/check_http -H 127.0.0.1 -p ${port} -u /` });
    expect(ok.status).toBe('ok');
    expect(ok.message).toMatch(/^HTTP OK: HTTP\/1.1 200 OK/);
    expect(ok.metrics.map((m) => [m.name, m.unit])).toEqual([
      ['time', 's'],
      ['size', 'B'],
    ]);
    const missing = await run({ command: `${PLUGINS}/check_http -H 127.0.0.1 -p ${port} -u /missing` });
    expect(missing.status).toBe('warning');
    // A port that was just free: nothing listens there.
    const probe = http.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const closedPort = (probe.address() as AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const closed = await run({ command: `${PLUGINS}/check_http -H 127.0.0.1 -p ${closedPort}` });
    expect(closed.status).toBe('critical');
    expect(closed.message).toMatch(/Connection refused/);
    expect(closed.evidence?.longOutput).toMatch(/HTTP CRITICAL - Unable to open TCP socket/);
  });
});

describe('command check process handling', () => {
  it('kills the whole process group on timeout: a forked child does not survive', async () => {
    const script = path.join(dir, 'forks-and-sleeps.sh');
    const pidFile = path.join(dir, 'child.pid');
    await writeFile(script, `#!/bin/sh\nsleep 300 &\necho $! > "$1"\necho "started"\nsleep 300\n`);
    await chmod(script, 0o755);
    const r = await run({ command: [script, pidFile] }, 700);
    expect(r.status).toBe('unknown');
    expect(r.message).toBe(`${script} timed out after 700ms; its process group was killed (last output: started)`);
    const childPid = Number((await readFile(pidFile, 'utf8')).trim());
    expect(childPid).toBeGreaterThan(0);
    let alive = true;
    for (let i = 0; i < 50 && alive; i++) {
      alive = await isAlive(childPid);
      if (alive) await new Promise((res) => setTimeout(res, 20));
    }
    expect(alive).toBe(false);
  });

  it('timeoutStatus: critical reports a timeout as CRITICAL', async () => {
    const r = await run({ command: ['/bin/sleep', '5'], timeoutStatus: 'critical' }, 300);
    expect(r.status).toBe('critical');
    expect(r.message).toMatch(/timed out after 300ms/);
  });

  it('a plugin that exits but leaves a background child behind does not hang the check', async () => {
    const script = path.join(dir, 'leaves-child.sh');
    const pidFile = path.join(dir, 'stray.pid');
    await writeFile(script, `#!/bin/sh\nsleep 300 &\necho $! > "$1"\necho "OK - done | n=1"\nexit 0\n`);
    await chmod(script, 0o755);
    const r = await run({ command: [script, pidFile] }, 20_000);
    expect(r.status).toBe('ok');
    expect(r.metrics).toEqual([{ name: 'n', value: 1 }]);
    expect(await isAlive(Number((await readFile(pidFile, 'utf8')).trim()))).toBe(false);
  });

  it('reports a missing program and a non-executable file as UNKNOWN', async () => {
    const missing = await run({ command: '/nonexistent/check_nothing -w 1' });
    expect(missing).toMatchObject({ status: 'unknown', message: expect.stringMatching(/\/nonexistent\/check_nothing: no such file/) });
    const plain = path.join(dir, 'not-executable.sh');
    await writeFile(plain, '#!/bin/sh\necho hi\n');
    await chmod(plain, 0o644);
    // root may execute nothing without an x bit either: EACCES.
    const noexec = await run({ command: [plain] });
    expect(noexec).toMatchObject({ status: 'unknown', message: expect.stringMatching(/permission denied/) });
  });

  it('exit codes outside 0-3 and signals are UNKNOWN', async () => {
    const r = await run({ command: 'echo "CRITICAL but exit 4"; exit 4', shell: true });
    expect(r.status).toBe('unknown');
    expect(r.message).toBe('shell command exited with code 4, not 0-3: CRITICAL but exit 4');
    const killed = await run({ command: 'echo dying; kill -TERM $$', shell: true });
    expect(killed).toMatchObject({ status: 'unknown', message: 'shell command was killed by SIGTERM: dying' });
  });

  it('passes env vars, runs a string without a shell unless asked, and caps stdout', async () => {
    const env = await run({ command: 'echo "OK $GREETING" | tr a-z A-Z', shell: true, env: { GREETING: 'hello' } });
    expect(env.message).toBe('OK HELLO');
    // Without a shell, $GREETING and | are plain words handed to echo.
    const noShell = await run({ command: '/bin/echo OK $GREETING | x', env: { GREETING: 'hello' } });
    expect(noShell.message).toBe('OK $GREETING');
    expect(noShell.metrics).toEqual([]);
    expect(noShell.evidence?.invalidPerfdata).toEqual(['"x": expected \'label\'=value[UOM];[warn];[crit];[min];[max]']);
    // The server's own environment (which may hold secrets) is not handed to plugins.
    process.env.KANSOKU_TEST_SECRET = 'leaked';
    try {
      const leaked = await run({ command: 'echo "OK ${KANSOKU_TEST_SECRET:-unset}"', shell: true });
      expect(leaked.message).toBe('OK unset');
    } finally {
      delete process.env.KANSOKU_TEST_SECRET;
    }
    const big = await run({ command: ['/bin/sh', '-c', 'echo "OK first"; yes line | head -c 200000'], maxOutputBytes: 1024 });
    expect(big.status).toBe('ok');
    expect(big.message).toBe('OK first');
    expect(big.evidence?.stdoutTruncated).toBe(true);
    expect(String(big.evidence?.longOutput).length).toBeLessThanOrEqual(1024);
  });

  it("the caller's own deadline (AbortSignal.timeout) counts as a timeout, not a cancellation", async () => {
    const spec = commandCheckSpecSchema.parse({ type: 'command', command: ['/bin/sleep', '30'] });
    const r = await commandCheck.run(spec, { signal: AbortSignal.timeout(200), timeoutMs: 400 });
    expect(r).toMatchObject({ status: 'unknown', message: '/bin/sleep timed out after 400ms; its process group was killed' });
  });

  it('stops promptly when the caller aborts', async () => {
    const ac = new AbortController();
    const spec = commandCheckSpecSchema.parse({ type: 'command', command: ['/bin/sleep', '30'] });
    const p = commandCheck.run(spec, { signal: ac.signal, timeoutMs: 30_000 });
    setTimeout(() => ac.abort(), 100);
    const r = await p;
    expect(r).toMatchObject({ status: 'unknown', message: '/bin/sleep was stopped before it finished (check run cancelled)' });
  });
});
