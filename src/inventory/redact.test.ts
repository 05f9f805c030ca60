import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { redactSpec } from './redact.js';

const def = (secretPaths: string[]) => ({ kind: 'X', description: '', specSchema: z.unknown(), secretPaths });

describe('redactSpec', () => {
  it('redacts plain, nested and wildcard paths and leaves the input untouched', () => {
    const spec = { password: 'p', smtp: { auth: { pass: 'q' } }, headers: { Authorization: 'Bearer x', 'X-Api-Key': 'k' }, url: 'http://h' };
    const out = redactSpec(def(['password', 'smtp.auth.pass', 'headers.*']), spec);
    expect(out).toEqual({ password: '[redacted]', smtp: { auth: { pass: '[redacted]' } }, headers: { Authorization: '[redacted]', 'X-Api-Key': '[redacted]' }, url: 'http://h' });
    expect(spec.password).toBe('p');
  });

  it('keeps absent and empty secrets as they are, so a diff shows nothing was set', () => {
    expect(redactSpec(def(['password', 'token']), { password: '' })).toEqual({ password: '' });
  });
});
