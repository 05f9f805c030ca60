import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { envelopeKeyId, isEnvelope, keyIdOf, SecretBox, type Envelope, type SecretField } from './envelope.js';

const key = randomBytes(32);
const box = new SecretBox(key, 'the key in /srv/kansoku/secret.key');
const field: SecretField = { kind: 'Channel', name: 'ops-mail', path: 'password' };

/** Flips one bit of the ciphertext part of an envelope. */
function flipCiphertextBit(env: Envelope, byte = 0): Envelope {
  const [v, id, nonce, body] = env.$enc.split(':') as [string, string, string, string];
  const b = Buffer.from(body, 'base64');
  b[byte] = b[byte]! ^ 0x01;
  return { $enc: `${v}:${id}:${nonce}:${b.toString('base64')}` };
}

describe('SecretBox (AES-256-GCM envelope)', () => {
  it('seals strings and whole objects and opens them again; the envelope names the key, never the value', () => {
    const env = box.seal('hunter2-smtp', field);
    expect(isEnvelope(env)).toBe(true);
    expect(env.$enc).toMatch(/^v1:[0-9a-f]{8}:[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+$/);
    expect(env.$enc).not.toContain('hunter2');
    expect(envelopeKeyId(env)).toBe(keyIdOf(key));
    expect(box.open(env, field)).toBe('hunter2-smtp');
    const headers = { Authorization: 'Bearer abc', 'X-Token': 't' };
    const h = { ...field, path: 'headers' };
    expect(box.open(box.seal(headers, h), h)).toEqual(headers);
  });

  it('uses a fresh nonce for every value: the same secret sealed twice differs', () => {
    const a = box.seal('same', field).$enc.split(':');
    const b = box.seal('same', field).$enc.split(':');
    expect(a[2]).not.toBe(b[2]);
    expect(a[3]).not.toBe(b[3]);
  });

  it('refuses a tampered ciphertext or tag, naming the field', () => {
    const env = box.seal('hunter2-smtp', field);
    expect(() => box.open(flipCiphertextBit(env, 0), field)).toThrow(/secret in Channel\/ops-mail spec\.password failed authentication/);
    const tagByte = Buffer.from(env.$enc.split(':')[3]!, 'base64').length - 1;
    expect(() => box.open(flipCiphertextBit(env, tagByte), field)).toThrow(expect.objectContaining({ code: 'KSK_SECRET_TAMPERED' }));
    expect(() => box.open({ $enc: 'v1:zz:nope' }, field)).toThrow(expect.objectContaining({ code: 'KSK_SECRET_MALFORMED' }));
  });

  it('refuses a ciphertext moved to another field, object or kind (the field is the AAD)', () => {
    const env = box.seal('hunter2-smtp', field);
    for (const other of [
      { ...field, path: 'authToken' },
      { ...field, name: 'ops-mail-2' },
      { ...field, kind: 'Check' },
    ]) {
      expect(() => box.open(env, other)).toThrow(expect.objectContaining({ code: 'KSK_SECRET_TAMPERED' }));
    }
  });

  it('names both key ids and where the key came from when the key is wrong', () => {
    const env = box.seal('hunter2-smtp', field);
    const other = new SecretBox(randomBytes(32), 'the key in /tmp/other.key');
    let message = '';
    try {
      other.open(env, field);
    } catch (err) {
      message = (err as Error).message;
      expect((err as { code?: string }).code).toBe('KSK_SECRET_KEY_MISMATCH');
    }
    expect(message).toContain(`secret in Channel/ops-mail spec.password was encrypted with key ${box.keyId}…, the key in /tmp/other.key is ${other.keyId}…`);
    expect(message).not.toContain('hunter2');
  });

  it('accepts only a 32-byte key', () => {
    expect(() => new SecretBox(randomBytes(16), 'the key in KANSOKU_SECRET_KEY')).toThrow(/the key in KANSOKU_SECRET_KEY is 16 bytes; an encryption key must be exactly 32 bytes/);
  });

  it('tells envelopes from plain values', () => {
    expect(isEnvelope('v1:abc')).toBe(false);
    expect(isEnvelope({ $enc: 'x', other: 1 })).toBe(false);
    expect(isEnvelope({ Authorization: 'Bearer x' })).toBe(false);
    expect(isEnvelope(null)).toBe(false);
  });
});
