import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { ConfigError, KansokuError } from '../lib/errors.js';

/**
 * The at-rest form of one secret value: `{"$enc": "v1:<keyId>:<nonce>:<ciphertext+tag>"}`.
 * AES-256-GCM with a random 96-bit nonce per value; the plaintext is the value's JSON (a secret
 * can be a string or a whole object such as a webhook's `headers`). The field it belongs to
 * (kind/name and path) is the additional authenticated data, so a ciphertext copied into another
 * field or object fails to open instead of silently becoming that field's value.
 */
export interface Envelope {
  $enc: string;
}

/** Where a secret lives; it is both the AAD and the name errors use. */
export interface SecretField {
  kind: string;
  name: string;
  /** Dotted path inside spec, e.g. `password` or `headers.Authorization`. */
  path: string;
}

export const ENVELOPE_VERSION = 'v1';
export const KEY_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const ENVELOPE_RE = /^v1:([0-9a-f]{8}):([A-Za-z0-9+/]+={0,2}):([A-Za-z0-9+/]+={0,2})$/;

/** A failure to read a stored secret: the message names the field and what to do. */
export class SecretError extends KansokuError {}

export function describeField(f: SecretField): string {
  return `${f.kind}/${f.name} spec.${f.path}`;
}

/** The first 4 bytes of SHA-256 of the key, in hex: names a key without revealing it. */
export function keyIdOf(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 8);
}

export function isEnvelope(v: unknown): v is Envelope {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const keys = Object.keys(v);
  return keys.length === 1 && keys[0] === '$enc' && typeof (v as Envelope).$enc === 'string';
}

/** The key id an envelope names, or undefined when it is not a v1 envelope. */
export function envelopeKeyId(env: Envelope): string | undefined {
  return ENVELOPE_RE.exec(env.$enc)?.[1];
}

function aadOf(f: SecretField): Buffer {
  return Buffer.from(`kansoku-secret/${ENVELOPE_VERSION}\n${f.kind}\n${f.name}\nspec.${f.path}`, 'utf8');
}

/** The error for a secret sealed with none of the keys at hand; names the keys, never their bytes. */
export function keyMismatch(field: SecretField, keyId: string, boxes: readonly SecretBox[]): SecretError {
  const have = boxes.map((b) => `${b.source} is ${b.keyId}…`).join(' and ');
  return new SecretError(
    'KSK_SECRET_KEY_MISMATCH',
    `secret in ${describeField(field)} was encrypted with key ${keyId}…, ${have}: start with the key it was written with (--secret-key-file PATH or KANSOKU_SECRET_KEY); change keys only with "kansoku secrets rotate"`,
  );
}

/** One AES-256 key, with where it came from so errors can say which key was used. */
export class SecretBox {
  readonly #key: Buffer;
  readonly keyId: string;

  /** @param source how errors name the key, e.g. "the key in /srv/kansoku/secret.key". */
  constructor(
    key: Buffer,
    readonly source: string,
  ) {
    if (key.length !== KEY_BYTES) throw new ConfigError('KSK_SECRET_KEY_INVALID', `${source} is ${key.length} bytes; an encryption key must be exactly ${KEY_BYTES} bytes (base64 of 32 random bytes, e.g. from "openssl rand -base64 32")`);
    this.#key = Buffer.from(key);
    this.keyId = keyIdOf(this.#key);
  }

  seal(value: unknown, field: SecretField): Envelope {
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#key, nonce, { authTagLength: TAG_BYTES });
    cipher.setAAD(aadOf(field));
    const body = Buffer.concat([cipher.update(JSON.stringify(value) ?? 'null', 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return { $enc: `${ENVELOPE_VERSION}:${this.keyId}:${nonce.toString('base64')}:${body.toString('base64')}` };
  }

  open(env: Envelope, field: SecretField): unknown {
    const where = describeField(field);
    const m = ENVELOPE_RE.exec(env.$enc);
    if (!m) {
      throw new SecretError('KSK_SECRET_MALFORMED', `secret in ${where} is not a readable ${ENVELOPE_VERSION} envelope ("${env.$enc.slice(0, 12)}…"); the stored value was altered or written by a newer Kansoku`);
    }
    const [, keyId, nonceB64, bodyB64] = m as unknown as [string, string, string, string];
    if (keyId !== this.keyId) throw keyMismatch(field, keyId, [this]);
    const nonce = Buffer.from(nonceB64, 'base64');
    const body = Buffer.from(bodyB64, 'base64');
    if (nonce.length !== NONCE_BYTES || body.length < TAG_BYTES) {
      throw new SecretError('KSK_SECRET_MALFORMED', `secret in ${where} is not a readable ${ENVELOPE_VERSION} envelope (bad nonce or ciphertext length); the stored value was altered`);
    }
    let text: string;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.#key, nonce, { authTagLength: TAG_BYTES });
      decipher.setAAD(aadOf(field));
      decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
      text = Buffer.concat([decipher.update(body.subarray(0, body.length - TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch (err) {
      throw new SecretError(
        'KSK_SECRET_TAMPERED',
        `secret in ${where} failed authentication with key ${this.keyId}…: the stored ciphertext was altered or copied from another field or object; set the secret again (apply it with its real value)`,
        { cause: err },
      );
    }
    return JSON.parse(text) as unknown;
  }
}
