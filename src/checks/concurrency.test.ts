import { describe, expect, it } from 'vitest';
import { ConcurrencyGate } from './concurrency.js';

describe('concurrency gate', () => {
  it('enforces the global, per-type and per-host limits together, all or nothing', () => {
    const g = new ConcurrencyGate({ global: 4, perType: 3, byType: { command: 1 }, perHost: 2 });
    expect(g.tryAcquire({ type: 'http', host: 'a' })).toBe(true);
    expect(g.tryAcquire({ type: 'http', host: 'a' })).toBe(true);
    expect(g.tryAcquire({ type: 'tcp', host: 'a' })).toBe(false); // host a is full
    expect(g.inFlight({ type: 'tcp' })).toBe(0); // the refused run took nothing
    expect(g.tryAcquire({ type: 'http', host: 'b' })).toBe(true);
    expect(g.tryAcquire({ type: 'http', host: 'c' })).toBe(false); // http is full
    expect(g.tryAcquire({ type: 'command', host: undefined })).toBe(true);
    expect(g.tryAcquire({ type: 'folder', host: undefined })).toBe(false); // global is full
    g.release({ type: 'command', host: undefined });
    expect(g.tryAcquire({ type: 'command', host: undefined })).toBe(true);
    expect(g.inFlight()).toBe(4);
    g.release({ type: 'http', host: 'a' });
    expect(g.inFlight({ host: 'a' })).toBe(1);
  });
});
