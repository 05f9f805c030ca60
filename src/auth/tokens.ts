import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { AuthError, ForbiddenError, ValidationError } from '../lib/errors.js';
import { ROLES, type ApiToken, type Role, type StateStore, type StateTx } from '../store/state-store.js';
import type { Actor } from '../inventory/actor.js';

/**
 * API tokens: "ksk_" + 32 random bytes (base64url). Only a SHA-256 of the token is stored; the
 * token itself is shown once, when it is created. A slow hash is not needed: the secret has 256
 * bits of entropy, so it cannot be guessed from its hash.
 */
export const TOKEN_PREFIX = 'ksk_';

export function generateToken(): string {
  return TOKEN_PREFIX + randomBytes(32).toString('base64url');
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/**
 * The token from `Bearer <token>`, or from HTTP Basic auth with the token as the password (any
 * user name): tools that cannot send a bearer token, such as promtool before 2.43 or a Grafana
 * data source set to basic auth, can still authenticate.
 */
export function tokenFromHeader(header: string): string {
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (bearer) return bearer[1]!;
  const basic = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (basic) {
    const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const password = colon >= 0 ? decoded.slice(colon + 1) : '';
    if (password) return password;
  }
  throw new AuthError('KSK_AUTH_MALFORMED', 'malformed Authorization header: expected "Bearer <token>" (or Basic auth with the token as the password)');
}

export function roleAtLeast(have: Role, need: Role): boolean {
  return ROLES.indexOf(have) >= ROLES.indexOf(need);
}

export interface AuthenticatedToken {
  id: string;
  name: string;
  role: Role;
}

/**
 * How long a looked-up token row is reused. Every API request authenticates, and a remote-write
 * sender makes hundreds a second: one state-store query each cost ~6 % of ingest. A revocation
 * through this server takes effect at once (`forget`); one made through another server sharing
 * the PostgreSQL state store within this time. Expiry is checked on every request.
 */
export const TOKEN_CACHE_MS = 2000;

export class TokenService {
  readonly #cache = new Map<string, { row: (ApiToken & { hash: string }) | undefined; until: number }>();

  constructor(
    private readonly store: StateStore,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Drops cached lookups (after a revocation), so the next request reads the store. */
  forget(): void {
    this.#cache.clear();
  }

  async #lookup(hash: string): Promise<(ApiToken & { hash: string }) | undefined> {
    const t = Date.now();
    const hit = this.#cache.get(hash);
    if (hit && hit.until > t) return hit.row;
    const row = await this.store.getTokenByHash(hash);
    // Unknown hashes are not cached: a stream of made-up tokens must not grow the map.
    if (row) {
      if (this.#cache.size >= 10_000) this.#cache.clear();
      this.#cache.set(hash, { row, until: t + TOKEN_CACHE_MS });
    }
    return row;
  }

  /** Resolves a bearer token or throws AuthError with the reason, never echoing the token. */
  async authenticate(header: string | undefined): Promise<AuthenticatedToken> {
    if (!header) throw new AuthError('KSK_AUTH_MISSING', 'missing API token: send the header "Authorization: Bearer <token>" (kansoku CLI: --token or KANSOKU_TOKEN)');
    const token = tokenFromHeader(header);
    const hash = hashToken(token);
    const row = await this.#lookup(hash);
    if (!row || !timingSafeEqual(Buffer.from(row.hash), Buffer.from(hash))) throw new AuthError('KSK_AUTH_INVALID', 'invalid API token: it is unknown to this server');
    if (row.revokedAt) throw new AuthError('KSK_AUTH_REVOKED', `API token "${row.name}" was revoked at ${row.revokedAt}`);
    if (row.expiresAt && row.expiresAt <= this.now().toISOString()) throw new AuthError('KSK_AUTH_EXPIRED', `API token "${row.name}" expired at ${row.expiresAt}`);
    return { id: row.id, name: row.name, role: row.role };
  }

  authorize(token: AuthenticatedToken, need: Role, what: string): void {
    if (!roleAtLeast(token.role, need)) {
      throw new ForbiddenError('KSK_AUTH_FORBIDDEN', `token "${token.name}" has role ${token.role}; ${what} needs role ${need} or higher`);
    }
  }

  /** Creates a token inside the caller's transaction (so its audit record commits with it). */
  async create(tx: StateTx, input: { name: string; role: Role; expiresAt?: string | null }, createdBy: string): Promise<{ token: string; info: ApiToken }> {
    if (!ROLES.includes(input.role)) {
      throw new ValidationError('KSK_TOKEN_ROLE', `unknown role "${input.role}"; expected one of ${ROLES.join(', ')}`, [{ path: 'role', message: `expected one of ${ROLES.join(', ')}` }]);
    }
    const token = generateToken();
    const info: ApiToken = {
      id: randomUUID(),
      name: input.name,
      role: input.role,
      createdAt: this.now().toISOString(),
      createdBy,
      revokedAt: null,
      lastUsedAt: null,
      expiresAt: input.expiresAt ?? null,
    };
    await tx.insertToken({ ...info, hash: hashToken(token) });
    return { token, info };
  }
}

export function actorFromToken(t: AuthenticatedToken, req: { ip: string | null; userAgent: string | null; requestId: string | null }): Actor {
  return { id: t.id, name: t.name, role: t.role, sourceIp: req.ip, userAgent: req.userAgent, requestId: req.requestId };
}

export function newRequestId(): string {
  return randomUUID();
}
