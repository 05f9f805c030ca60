/**
 * Runs a program with a deadline and capped output, for check commands, ping and tracepath.
 *
 * Invariants:
 * - The child is spawned detached, so it leads its own process group; on timeout or abort the
 *   WHOLE group gets SIGKILL (kill(-pid)), as Nagios core does, so a plugin that forked cannot
 *   leave children behind. When the leader exits on its own, whatever it left in its group is
 *   killed too: those strays would otherwise keep the output pipes (and this promise) open.
 * - Output beyond the cap is read and dropped, never buffered, so a chatty child cannot exhaust
 *   memory and cannot block on a full pipe.
 * - Never rejects: a program that cannot be started resolves with `spawnError`.
 */
import { spawn } from 'node:child_process';

export interface RunBoundedOptions {
  argv: readonly string[];
  env?: Record<string, string>;
  cwd?: string;
  timeoutMs: number;
  signal?: AbortSignal;
  /** Bytes of stdout kept; the rest is dropped and `stdoutTruncated` set. */
  maxStdoutBytes?: number;
  maxStderrBytes?: number;
}

export interface RunBoundedResult {
  /** Exit code, or null when the process died from a signal or never started. */
  exitCode: number | null;
  /** Signal that ended the process (e.g. "SIGKILL" after a timeout). */
  exitSignal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  stdoutTruncated: boolean;
  timedOut: boolean;
  /** The caller's signal aborted the run before it finished, for another reason than a timeout. */
  aborted: boolean;
  /** Why the program could not be started (ENOENT, EACCES), when it could not. */
  spawnError?: NodeJS.ErrnoException;
  durationMs: number;
}

/** Minimal environment for child programs: the server's own env may hold secrets. */
export function baseChildEnv(): Record<string, string> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    // Plugins and ping print localised text otherwise; parsers here expect the C locale.
    LANG: 'C',
    LC_ALL: 'C',
  };
  if (process.env.HOME) env.HOME = process.env.HOME;
  if (process.env.TZ) env.TZ = process.env.TZ;
  return env;
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // ESRCH: the group is already gone.
  }
}

class CappedBuffer {
  private chunks: Buffer[] = [];
  private size = 0;
  truncated = false;
  constructor(private readonly cap: number) {}
  push(chunk: Buffer): void {
    const room = this.cap - this.size;
    if (room <= 0) {
      this.truncated = true;
      return;
    }
    const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
    if (part.length < chunk.length) this.truncated = true;
    this.chunks.push(part);
    this.size += part.length;
  }
  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

export function runBounded(opts: RunBoundedOptions): Promise<RunBoundedResult> {
  const started = performance.now();
  const out = new CappedBuffer(opts.maxStdoutBytes ?? 64 * 1024);
  const err = new CappedBuffer(opts.maxStderrBytes ?? 8 * 1024);
  return new Promise((resolve) => {
    let timedOut = false;
    let aborted = false;
    let spawnError: NodeJS.ErrnoException | undefined;
    let settled = false;
    // Set once the child runs; finish() may run before that (spawn refused).
    let timer: NodeJS.Timeout | undefined = undefined;
    const [file, ...args] = opts.argv;
    const finish = (exitCode: number | null, exitSignal: NodeJS.Signals | null): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      resolve({
        exitCode,
        exitSignal,
        stdout: out.text(),
        stderr: err.text(),
        stdoutTruncated: out.truncated,
        timedOut,
        aborted,
        ...(spawnError ? { spawnError } : {}),
        durationMs: performance.now() - started,
      });
    };
    if (file === undefined) {
      spawnError = Object.assign(new Error('empty command'), { code: 'EINVAL' });
      finish(null, null);
      return;
    }
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn(file, args, {
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: opts.env ?? baseChildEnv(),
        cwd: opts.cwd,
      });
    } catch (e) {
      // Synchronous refusals, e.g. a NUL byte in an argument.
      spawnError = e as NodeJS.ErrnoException;
      finish(null, null);
      return;
    }
    const onAbort = (): void => {
      // The caller's signal usually carries the same deadline as ours (AbortSignal.timeout) and
      // may fire first: that is a timeout, not a cancellation.
      const reason: unknown = opts.signal?.reason;
      if (reason instanceof Error && reason.name === 'TimeoutError') timedOut = true;
      else aborted = !timedOut;
      killGroup(child.pid);
    };
    timer = setTimeout(() => {
      timedOut = true;
      killGroup(child.pid);
    }, opts.timeoutMs);
    if (opts.signal?.aborted) onAbort();
    else opts.signal?.addEventListener('abort', onAbort, { once: true });
    child.stdout?.on('data', (c: Buffer) => out.push(c));
    child.stderr?.on('data', (c: Buffer) => err.push(c));
    child.on('error', (e: NodeJS.ErrnoException) => {
      spawnError = e;
      finish(null, null);
    });
    let exit: [number | null, NodeJS.Signals | null] | undefined;
    child.on('exit', (code, sig) => {
      exit = [code, sig];
      // Strays left in the group would hold our pipes open: end them (see header).
      killGroup(child.pid);
    });
    child.on('close', (code, sig) => {
      const [c, s] = exit ?? [code, sig];
      finish(c, s);
    });
  });
}
