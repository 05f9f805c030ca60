import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasExecutable, requirePeer } from '../../../../test/support/peer.js';
import { captureEvidence } from './index.js';

const haveTools = await requirePeer('ping (iputils-ping) and tracepath (iputils-tracepath)', async () => {
  const p = await hasExecutable('ping');
  if (p !== true) return p;
  return hasExecutable('tracepath');
});

describe.skipIf(!haveTools)('captureEvidence', () => {
  it('captures ping and tracepath output for 127.0.0.1', async () => {
    const ev = await captureEvidence('127.0.0.1', { timeoutMs: 10_000, signal: AbortSignal.timeout(15_000) });
    expect(ev.ping).toMatch(/3 packets transmitted, 3 received, 0% packet loss/);
    expect(ev.ping).toMatch(/rtt min\/avg\/max\/mdev = /);
    expect(ev.traceroute).toMatch(/127\.0\.0\.1\s+[\d.]+ms reached/);
    expect(ev.traceroute).toMatch(/Resume: pmtu \d+ hops 1 back 1/);
  });

  it('captures for ::1 too', async () => {
    const ev = await captureEvidence('::1', { timeoutMs: 10_000 });
    expect(ev.ping).toMatch(/3 received/);
    expect(ev.traceroute).toMatch(/::1/);
  });

  it('returns nothing for a host that would be read as an option, and never throws', async () => {
    await expect(captureEvidence('-f', { timeoutMs: 1000 })).resolves.toEqual({});
    await expect(captureEvidence('127.0.0.1; rm -rf /', { timeoutMs: 1000 })).resolves.toEqual({});
  });

  it('keeps partial output and says so when a tool runs out of time, and notes a missing tool', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'kansoku-evidence-'));
    try {
      const slow = path.join(dir, 'slow-trace.sh');
      await writeFile(slow, '#!/bin/sh\necho " 1:  127.0.0.1  0.1ms"\nexec sleep 30\n');
      await chmod(slow, 0o755);
      const ev = await captureEvidence('127.0.0.1', { timeoutMs: 1500, tracepathPath: slow, pingPath: path.join(dir, 'no-ping') });
      expect(ev.traceroute).toBe(' 1:  127.0.0.1  0.1ms\n[tracepath stopped after 1s500ms]'.trim());
      expect(ev.ping).toBe('ping could not be run: not installed');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
