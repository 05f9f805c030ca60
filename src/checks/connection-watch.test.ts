import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { NetConnectionWatcher } from './connection-watch.js';

/** A real TCP server on loopback that can close its clients, stop listening, and come back on the same port. */
class Target {
  server: net.Server | null = null;
  readonly sockets = new Set<net.Socket>();
  accepted = 0;
  port = 0;
  constructor(private readonly idleCloseMs?: number) {}

  async listen(port = 0): Promise<void> {
    const server = net.createServer((s) => {
      this.accepted++;
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
      s.on('error', () => {});
      if (this.idleCloseMs !== undefined) setTimeout(() => s.end(), this.idleCloseMs);
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    this.server = server;
    this.port = (server.address() as net.AddressInfo).port;
  }

  async die(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server!.close(() => resolve()));
    for (const s of this.sockets) s.destroy();
    await closed;
    this.server = null;
  }
}

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`gave up waiting for ${what}`);
}

describe('NetConnectionWatcher against a real TCP server', () => {
  const cleanup: (() => unknown)[] = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0)) await c();
  });

  it('reports a target that closes its connections and stops accepting, once, and rearms when it is back', async () => {
    const target = new Target();
    await target.listen();
    const watcher = new NetConnectionWatcher({ retryMinMs: 20, retryMaxMs: 50 });
    cleanup.push(() => watcher.stop(), () => target.server && target.die());
    const lost: string[] = [];
    watcher.watch('web', { host: '127.0.0.1', port: target.port }, (r) => lost.push(r));
    await until(() => watcher.connected().includes('web'), 'the watch connection');
    expect(lost).toEqual([]);

    await target.die();
    await until(() => lost.length === 1, 'the loss to be reported');
    expect(lost[0]).toContain(`127.0.0.1:${target.port}`);
    expect(lost[0]).toContain('ECONNREFUSED');
    expect(watcher.lostCount).toBe(1);

    // Down for a while: retries keep failing but a target that is already lost is not reported again.
    await new Promise((r) => setTimeout(r, 200));
    expect(lost).toHaveLength(1);

    await target.listen(target.port);
    await until(() => watcher.connected().includes('web'), 'the watch to come back');
    await target.die();
    await until(() => lost.length === 2, 'the second loss');
  });

  it('treats an idle-timeout close by a live server as nothing: it reconnects and reports no loss', async () => {
    const target = new Target(50);
    await target.listen();
    const watcher = new NetConnectionWatcher({ retryMinMs: 20, retryMaxMs: 50, shortLivedMs: 10 });
    cleanup.push(() => watcher.stop(), () => target.server && target.die());
    const lost: string[] = [];
    watcher.watch('web', { host: '127.0.0.1', port: target.port }, (r) => lost.push(r));
    await until(() => target.accepted >= 5, 'five idle closes and reconnects');
    expect(lost).toEqual([]);
  });

  it('backs off from a server that closes every connection at once instead of spinning', async () => {
    const target = new Target(0);
    await target.listen();
    const watcher = new NetConnectionWatcher({ retryMinMs: 100, retryMaxMs: 400, shortLivedMs: 1000 });
    cleanup.push(() => watcher.stop(), () => target.server && target.die());
    const lost: string[] = [];
    watcher.watch('web', { host: '127.0.0.1', port: target.port }, (r) => lost.push(r));
    await until(() => target.accepted >= 3, 'three short connections');
    await new Promise((r) => setTimeout(r, 300));
    // Without the back-off this would be hundreds of connections in 300 ms.
    expect(target.accepted).toBeLessThan(10);
    expect(lost).toEqual([]);
  });

  it('stops holding the connection when unwatched', async () => {
    const target = new Target();
    await target.listen();
    const watcher = new NetConnectionWatcher();
    cleanup.push(() => watcher.stop(), () => target.server && target.die());
    watcher.watch('web', { host: '127.0.0.1', port: target.port }, () => {});
    await until(() => target.sockets.size === 1, 'the held connection');
    watcher.unwatch('web');
    await until(() => target.sockets.size === 0, 'the connection to close');
    expect(watcher.connected()).toEqual([]);
  });
});
