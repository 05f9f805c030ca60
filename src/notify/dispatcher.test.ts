import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { openSqliteOutbox, type OpenOutbox } from '../store/contract/outbox-store.contract.js';
import { Dispatcher, type DispatcherOptions } from './dispatcher.js';
import type { OutboxEntry } from './outbox-store.js';
import { startHttpReceiver, type HttpReceiver, type Reply, type ReceivedRequest } from './testdata/http-receiver.js';
import { notificationOf, shopDownAlert } from './testdata/fixtures.js';

/**
 * The dispatcher against a real SQLite outbox and real HTTP receivers: retries, timeouts that
 * do not block other channels, restarts and crashes that neither lose nor double a notification.
 */
const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

function dbFile(): string {
  return path.join(mkdtempSync(path.join(tmpdir(), 'ksk-notify-')), 'state.db');
}

async function outbox(file = dbFile()): Promise<OpenOutbox> {
  const o = await openSqliteOutbox(file);
  cleanup.push(() => o.close());
  return o;
}

async function receiver(reply?: (req: ReceivedRequest, i: number) => Reply | Promise<Reply>): Promise<HttpReceiver> {
  const r = await startHttpReceiver(reply);
  cleanup.push(() => r.close());
  return r;
}

function dispatcher(o: OpenOutbox, channels: Record<string, unknown>, over: Partial<DispatcherOptions> = {}): Dispatcher {
  const d = new Dispatcher({
    store: o.store,
    resolveChannel: async (name) => channels[name],
    pollIntervalMs: 20,
    backoff: { initialMs: 30, maxMs: 200, factor: 2, jitter: 0.2 },
    leaseMarginMs: 200,
    ...over,
  });
  cleanup.push(() => d.stop());
  return d;
}

/** Polls a condition every 20 ms, for at most `ms`. */
async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false>, ms = 10_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const finished = (o: OpenOutbox, id: string) => async (): Promise<OutboxEntry | undefined> => {
  const e = await o.store.get(id);
  return e && (e.status === 'delivered' || e.status === 'failed') ? e : undefined;
};

function alertNo(i: number) {
  return notificationOf([shopDownAlert({ fingerprint: `fp-${i}`, labels: { alertname: 'ShopTopDown', instance: `web-${i}` } })], { groupKey: `{}:{instance="web-${i}"}` });
}

async function metricValue(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number> {
  const m = await registry.getSingleMetric(name)?.get();
  return m?.values.find((v) => Object.entries(labels).every(([k, val]) => v.labels[k] === val))?.value ?? 0;
}

describe('Dispatcher', () => {
  it('retries a receiver that answers 500 and delivers exactly once when it answers 200', async () => {
    const r = await receiver((_req, i) => (i === 0 ? { status: 500, body: 'try later' } : { status: 200 }));
    const o = await outbox();
    const registry = new Registry();
    const d = dispatcher(o, { hook: { type: 'webhook', url: `${r.url}/hook` } }, { registry });
    d.start();
    const { id } = await d.enqueue('hook', alertNo(1));
    const done = await waitFor('delivery', finished(o, id));
    expect(done).toMatchObject({ status: 'delivered', attempts: 2, lastError: null });
    expect(r.requests).toHaveLength(2);
    expect(r.requests[0]!.body).toBe(r.requests[1]!.body);
    const log = await o.store.deliveries(id);
    expect(log.map((l) => [l.attempt, l.outcome, l.httpStatus])).toEqual([
      [1, 'retry', 500],
      [2, 'delivered', 200],
    ]);
    expect(log[0]!.error).toBe(`HTTP 500 from ${r.url}: try later`);
    expect(await metricValue(registry, 'kansoku_notify_deliveries_total', { channel: 'hook', type: 'webhook', outcome: 'retry' })).toBe(1);
    expect(await metricValue(registry, 'kansoku_notify_deliveries_total', { channel: 'hook', type: 'webhook', outcome: 'delivered' })).toBe(1);
    await waitFor('pending gauge at 0', async () => (await metricValue(registry, 'kansoku_notify_outbox_pending')) === 0);
  });

  it('times out a hanging channel and retries it while another channel keeps delivering', async () => {
    const hang = await receiver((_req, i) => (i === 0 ? 'hang' : { status: 200 }));
    const fast = await receiver();
    const o = await outbox();
    const d = dispatcher(o, { slow: { type: 'webhook', url: `${hang.url}/hook`, timeout: '1500ms' }, fast: { type: 'webhook', url: `${fast.url}/hook` } });
    d.start();
    const slow = await d.enqueue('slow', alertNo(0));
    await waitFor('the slow channel to hang', async () => hang.requests.length === 1);
    const fastIds = [];
    for (let i = 1; i <= 5; i++) fastIds.push((await d.enqueue('fast', alertNo(i))).id);
    for (const id of fastIds) expect(await waitFor('fast delivery', finished(o, id))).toMatchObject({ status: 'delivered', attempts: 1 });
    // Every fast notification went out while the slow one was still stuck in its first attempt.
    expect(await o.store.get(slow.id)).toMatchObject({ status: 'sending', attempts: 1 });
    expect(fast.requests).toHaveLength(5);
    const done = await waitFor('slow delivery', finished(o, slow.id));
    expect(done).toMatchObject({ status: 'delivered', attempts: 2 });
    const log = await o.store.deliveries(slow.id);
    expect(log.map((l) => l.outcome)).toEqual(['retry', 'delivered']);
    expect(log[0]!.error).toContain('within 1500 ms (timeout)');
  });

  it('stores one entry when the same notification is enqueued twice', async () => {
    const r = await receiver();
    const o = await outbox();
    const d = dispatcher(o, { hook: { type: 'webhook', url: `${r.url}/hook` } });
    const a = await d.enqueue('hook', alertNo(1));
    const b = await d.enqueue('hook', alertNo(1));
    const repeat = await d.enqueue('hook', { ...alertNo(1), key: 'repeat-2' });
    expect(a.created).toBe(true);
    expect(b).toEqual({ ...a, created: false });
    expect(repeat.created).toBe(true);
    d.start();
    await waitFor('both delivered', async () => (await o.store.countByStatus()).delivered === 2);
    expect(r.requests.map((q) => q.headers['idempotency-key']).sort()).toEqual([a.idempotencyKey, repeat.idempotencyKey].sort());
  });

  it('neither loses nor doubles notifications across a restart in the middle of deliveries', async () => {
    const r = await receiver(() => new Promise<Reply>((resolve) => setTimeout(() => resolve({ status: 200 }), 25)));
    const file = dbFile();
    const channels = { hook: { type: 'webhook', url: `${r.url}/hook` } };
    const first = await openSqliteOutbox(file);
    const d1 = new Dispatcher({ store: first.store, resolveChannel: async (n) => channels[n as 'hook'], pollIntervalMs: 20, stopGraceMs: 5000 });
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) ids.push((await d1.enqueue('hook', alertNo(i))).id);
    d1.start();
    await waitFor('some deliveries', async () => r.requests.length >= 3);
    await d1.stop();
    await first.close();
    const counts = await (async () => {
      const o = await openSqliteOutbox(file);
      const c = await o.store.countByStatus();
      await o.close();
      return c;
    })();
    expect(counts.sending).toBe(0);
    expect(counts.delivered).toBeGreaterThanOrEqual(3);
    expect(counts.delivered).toBeLessThan(12);

    const second = await outbox(file);
    const d2 = dispatcher(second, channels);
    // Routing re-sends what it is unsure about after a restart: nothing new is stored.
    for (let i = 0; i < 12; i++) expect((await d2.enqueue('hook', alertNo(i))).created).toBe(false);
    d2.start();
    await waitFor('all delivered', async () => (await second.store.countByStatus()).delivered === 12);
    expect(r.requests).toHaveLength(12);
    const keys = r.requests.map((q) => q.headers['idempotency-key']);
    expect(new Set(keys).size).toBe(12);
    for (const id of ids) expect(await second.store.get(id)).toMatchObject({ status: 'delivered', attempts: 1 });
  });

  it('sends again what a crashed node left in sending, once its lease runs out', async () => {
    const r = await receiver();
    const o = await outbox();
    const d = dispatcher(o, { hook: { type: 'webhook', url: `${r.url}/hook` } });
    const { id } = await d.enqueue('hook', alertNo(1));
    const claimed = await o.store.claim({ channel: 'hook', nowMs: Date.now(), limit: 1, leaseMs: 300, token: 'crashed-node' });
    expect(claimed.map((c) => c.id)).toEqual([id]);
    d.start();
    const done = await waitFor('delivery after the lease', finished(o, id));
    expect(done).toMatchObject({ status: 'delivered', attempts: 2 });
    expect(r.requests).toHaveLength(1);
  });

  it('gives a send cut off by stop() back to the outbox untried', async () => {
    const r = await receiver(() => 'hang');
    const o = await outbox();
    const d = dispatcher(o, { hook: { type: 'webhook', url: `${r.url}/hook`, timeout: '30s' } }, { stopGraceMs: 50 });
    d.start();
    const { id } = await d.enqueue('hook', alertNo(1));
    await waitFor('request in flight', async () => r.requests.length === 1);
    await d.stop();
    expect(await o.store.get(id)).toMatchObject({ status: 'pending', attempts: 0, claimToken: null });
    expect(await o.store.deliveries(id)).toEqual([]);
  });

  it('gives up after maxAttempts, and at once on a final error', async () => {
    const r = await receiver((req) => (req.url === '/gone' ? { status: 410 } : { status: 503 }));
    const o = await outbox();
    const registry = new Registry();
    const d = dispatcher(o, { flaky: { type: 'webhook', url: `${r.url}/down` }, gone: { type: 'webhook', url: `${r.url}/gone` } }, { maxAttempts: 3, registry });
    d.start();
    const flaky = await d.enqueue('flaky', alertNo(1));
    const gone = await d.enqueue('gone', alertNo(1));
    expect(await waitFor('flaky to fail', finished(o, flaky.id))).toMatchObject({ status: 'failed', attempts: 3, lastError: `HTTP 503 from ${r.url} (gave up after 3 attempts)` });
    expect(await waitFor('gone to fail', finished(o, gone.id))).toMatchObject({ status: 'failed', attempts: 1, lastError: `HTTP 410 from ${r.url}` });
    expect((await o.store.deliveries(flaky.id)).map((l) => l.outcome)).toEqual(['retry', 'retry', 'failed']);
    expect(await metricValue(registry, 'kansoku_notify_deliveries_total', { channel: 'gone', outcome: 'failed' })).toBe(1);
  });

  it('skips resolved-only notifications for channels with sendResolved off, and retries a missing channel', async () => {
    const r = await receiver();
    const o = await outbox();
    const d = dispatcher(o, { quiet: { type: 'webhook', url: `${r.url}/hook`, sendResolved: false } });
    d.start();
    const resolved = notificationOf([shopDownAlert({ status: 'resolved', endsAt: '2026-03-02T00:10:00Z' })]);
    const skipped = await d.enqueue('quiet', resolved);
    expect(await waitFor('skip', finished(o, skipped.id))).toMatchObject({ status: 'delivered' });
    expect((await o.store.deliveries(skipped.id)).map((l) => l.outcome)).toEqual(['skipped']);
    expect(r.requests).toHaveLength(0);
    const missing = await d.enqueue('nobody', alertNo(1));
    const entry = await waitFor('a retry', async () => {
      const e = await o.store.get(missing.id);
      return e && e.lastError ? e : undefined;
    });
    expect(entry).toMatchObject({ status: expect.stringMatching(/pending|sending/) });
    expect(entry.lastError).toBe('channel "nobody" does not exist; apply it or fix the route\'s receiver');
  });
});
