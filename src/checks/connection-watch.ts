/**
 * `watch: connection` — fast failure detection between scheduled runs.
 *
 * A check that runs every 60 s notices a dead server on average 30 s after it died. Most
 * deaths of a TCP service (process crash, restart, OOM kill, host shutdown) close the
 * server's sockets, so a client holding an idle connection hears about it at once. The
 * watcher holds one such connection per check; when it closes it reconnects immediately:
 *  - a reconnect that succeeds means the close was only an idle timeout (nginx closes a
 *    connection that sends nothing after client_header_timeout): nothing happens;
 *  - a reconnect that fails (refused, reset, timeout) means the target is gone: the watcher
 *    reports "lost" and the scheduler runs the real check now. The check, not the watcher,
 *    decides the state, so a false alarm here costs one extra probe, never a false alert.
 * A network partition closes nothing; that case is left to the schedule. Silent deaths are
 * bounded by TCP keepalive on the held connection.
 *
 * Sockets are real (node:net); the scheduler only sees the WatchTarget interface below, so its
 * tests use a fake.
 */
import net from 'node:net';
import type { Logger } from '../lib/logger.js';
import type { WatchTarget } from '../sources/checks/check-type.js';

export type { WatchTarget };

export interface TargetWatcher {
  /** Starts (or retargets) watching for `key`; `onLost` is called when the target stops accepting connections. */
  watch(key: string, target: WatchTarget, onLost: (reason: string) => void): void;
  unwatch(key: string): void;
  stop(): void;
}

export interface ConnectionWatcherOptions {
  /** How long a connect may take before it counts as failed. Default 2 s. */
  connectTimeoutMs?: number;
  /** Backoff between attempts to establish the watch while the target is down: doubles from this. Default 1 s. */
  retryMinMs?: number;
  /** …up to this. Default 30 s. */
  retryMaxMs?: number;
  /** TCP keepalive on the held connection, for peers that vanish without closing. Default 10 s. */
  keepAliveMs?: number;
  /**
   * A connection closed by the peer within this time of opening counts as short-lived; after
   * three in a row the watcher backs off instead of reconnecting at once, so a service that
   * closes idle clients immediately costs nothing. Default 1 s.
   */
  shortLivedMs?: number;
  logger?: Logger;
}

interface Watch {
  key: string;
  target: WatchTarget;
  onLost: (reason: string) => void;
  socket: net.Socket | null;
  timer: NodeJS.Timeout | null;
  retryMs: number;
  shortInARow: number;
  /** True once a connection was established since the last "lost": only a live target can be lost. */
  armed: boolean;
  stopped: boolean;
}

export class NetConnectionWatcher implements TargetWatcher {
  readonly #watches = new Map<string, Watch>();
  readonly #connectTimeoutMs: number;
  readonly #retryMinMs: number;
  readonly #retryMaxMs: number;
  readonly #keepAliveMs: number;
  readonly #shortLivedMs: number;
  readonly #logger: Logger | undefined;
  /** Times a lost target was reported (for self-monitoring and tests). */
  lostCount = 0;

  constructor(o: ConnectionWatcherOptions = {}) {
    this.#connectTimeoutMs = o.connectTimeoutMs ?? 2000;
    this.#retryMinMs = o.retryMinMs ?? 1000;
    this.#retryMaxMs = o.retryMaxMs ?? 30_000;
    this.#keepAliveMs = o.keepAliveMs ?? 10_000;
    this.#shortLivedMs = o.shortLivedMs ?? 1000;
    this.#logger = o.logger;
  }

  watch(key: string, target: WatchTarget, onLost: (reason: string) => void): void {
    const existing = this.#watches.get(key);
    if (existing && existing.target.host === target.host && existing.target.port === target.port) {
      existing.onLost = onLost;
      return;
    }
    if (existing) this.unwatch(key);
    const w: Watch = { key, target, onLost, socket: null, timer: null, retryMs: this.#retryMinMs, shortInARow: 0, armed: false, stopped: false };
    this.#watches.set(key, w);
    this.#connect(w);
  }

  unwatch(key: string): void {
    const w = this.#watches.get(key);
    if (!w) return;
    this.#watches.delete(key);
    this.#close(w);
  }

  stop(): void {
    for (const w of this.#watches.values()) this.#close(w);
    this.#watches.clear();
  }

  /** Keys whose connection is currently established (tests, status). */
  connected(): string[] {
    return [...this.#watches.values()].filter((w) => w.socket && !w.socket.connecting && !w.socket.destroyed).map((w) => w.key);
  }

  #close(w: Watch): void {
    w.stopped = true;
    if (w.timer) clearTimeout(w.timer);
    w.timer = null;
    w.socket?.destroy();
    w.socket = null;
  }

  #connect(w: Watch): void {
    if (w.stopped) return;
    const { host, port } = w.target;
    const socket = net.connect({ host, port, noDelay: true });
    w.socket = socket;
    let openedAt = 0;
    let settled = false;
    socket.setTimeout(this.#connectTimeoutMs);
    socket.once('connect', () => {
      openedAt = Date.now();
      socket.setTimeout(0);
      socket.setKeepAlive(true, this.#keepAliveMs);
      w.armed = true;
    });
    // The held connection never sends; whatever the peer sends (a banner) is read and dropped.
    socket.on('data', () => {});
    socket.once('timeout', () => socket.destroy(new Error(`connect timed out after ${this.#connectTimeoutMs} ms`)));
    socket.once('error', () => {});
    socket.once('close', () => {
      if (settled || w.stopped || w.socket !== socket) return;
      settled = true;
      w.socket = null;
      if (openedAt > 0) {
        // An established connection ended: reconnect at once to tell an idle-timeout close from a dead target.
        if (Date.now() - openedAt < this.#shortLivedMs) w.shortInARow++;
        else {
          w.shortInARow = 0;
          w.retryMs = this.#retryMinMs;
        }
        if (w.shortInARow >= 3) {
          this.#retryLater(w);
          return;
        }
        this.#connect(w);
        return;
      }
      // The connect itself failed.
      const reason = `${host}:${port} closed the watched connection and refuses new ones (${describe(socket.errored)})`;
      if (w.armed) {
        w.armed = false;
        this.lostCount++;
        this.#logger?.info({ check: w.key, host, port, reason }, 'watched connection lost; running the check now');
        try {
          w.onLost(reason);
        } catch (err) {
          this.#logger?.error({ check: w.key, err }, 'connection-watch callback failed');
        }
      }
      this.#retryLater(w);
    });
  }

  #retryLater(w: Watch): void {
    if (w.stopped) return;
    const delay = w.retryMs;
    w.retryMs = Math.min(this.#retryMaxMs, w.retryMs * 2);
    w.timer = setTimeout(() => {
      w.timer = null;
      this.#connect(w);
    }, delay);
    w.timer.unref();
  }
}

function describe(err: Error | null | undefined): string {
  if (!err) return 'closed';
  const code = (err as NodeJS.ErrnoException).code;
  return code ? `${code}` : err.message;
}
