/**
 * Concurrency limits for check runs: a global cap, one per check type (a burst of `command`
 * checks must not fork hundreds of processes) and one per target host (a slow host must not be
 * hammered by every check that points at it, nor starve the others). A run needs a slot in all
 * three; `tryAcquire` takes them together or none.
 */
export interface ConcurrencyLimits {
  /** Runs in flight at once, all types together. */
  global: number;
  /** Default per-type cap. */
  perType: number;
  /** Per-type overrides, e.g. {command: 8, icmp: 16}. */
  byType?: Record<string, number>;
  /** Runs in flight against one target host. */
  perHost: number;
}

export const DEFAULT_LIMITS: ConcurrencyLimits = {
  global: 512,
  perType: 256,
  byType: { command: 16, icmp: 32, snmp: 32, mysql: 16, postgres: 16, redis: 16 },
  perHost: 8,
};

export interface SlotKey {
  type: string;
  /** undefined: the check talks to no host (command, folder, heartbeat). */
  host: string | undefined;
}

export class ConcurrencyGate {
  #global = 0;
  readonly #types = new Map<string, number>();
  readonly #hosts = new Map<string, number>();

  constructor(readonly limits: ConcurrencyLimits = DEFAULT_LIMITS) {}

  typeLimit(type: string): number {
    return this.limits.byType?.[type] ?? this.limits.perType;
  }

  canAcquire(k: SlotKey): boolean {
    if (this.#global >= this.limits.global) return false;
    if ((this.#types.get(k.type) ?? 0) >= this.typeLimit(k.type)) return false;
    if (k.host !== undefined && (this.#hosts.get(k.host) ?? 0) >= this.limits.perHost) return false;
    return true;
  }

  tryAcquire(k: SlotKey): boolean {
    if (!this.canAcquire(k)) return false;
    this.#global++;
    this.#types.set(k.type, (this.#types.get(k.type) ?? 0) + 1);
    if (k.host !== undefined) this.#hosts.set(k.host, (this.#hosts.get(k.host) ?? 0) + 1);
    return true;
  }

  release(k: SlotKey): void {
    this.#global = Math.max(0, this.#global - 1);
    dec(this.#types, k.type);
    if (k.host !== undefined) dec(this.#hosts, k.host);
  }

  /** Runs in flight: all, of one type, or against one host. */
  inFlight(q: { type?: string; host?: string } = {}): number {
    if (q.type !== undefined) return this.#types.get(q.type) ?? 0;
    if (q.host !== undefined) return this.#hosts.get(q.host) ?? 0;
    return this.#global;
  }
}

function dec(m: Map<string, number>, key: string): void {
  const n = (m.get(key) ?? 0) - 1;
  if (n <= 0) m.delete(key);
  else m.set(key, n);
}
