import { describe, expect, it } from 'vitest';
import { ConfigError } from '../lib/errors.js';
import { parseServerConfig } from './server-config.js';

describe('server config: --decode-threads', () => {
  it('defaults to 0 (decode on the main thread) and takes the flag or KANSOKU_DECODE_THREADS', () => {
    expect(parseServerConfig({ dataDir: '/tmp/x' }).decodeThreads).toBe(0);
    expect(parseServerConfig({ dataDir: '/tmp/x', decodeThreads: '2' }).decodeThreads).toBe(2);
    expect(parseServerConfig({ dataDir: '/tmp/x', env: { KANSOKU_DECODE_THREADS: '1' } }).decodeThreads).toBe(1);
  });

  it('refuses anything but a whole number from 0 to 16, naming the flag', () => {
    for (const [bad, why] of [['x', 'whole number'], ['1.5', 'whole number'], ['-1', 'whole number'], ['17', 'at most 16']] as const) {
      const err = (() => {
        try {
          parseServerConfig({ dataDir: '/tmp/x', decodeThreads: bad });
        } catch (e) {
          return e;
        }
        throw new Error(`accepted ${bad}`);
      })();
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as Error).message).toContain('--decode-threads');
      expect((err as Error).message).toContain(why);
    }
  });
});
