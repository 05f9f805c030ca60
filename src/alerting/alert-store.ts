/**
 * The alerts routing knows about, by fingerprint (Alertmanager's alert provider): one record
 * per label set however often and from however many evaluations it arrives (deduplication).
 * A firing alert that arrives after its previous instance resolved starts a new instance
 * (new startsAt, acknowledgement cleared). Records stay after resolution for `retentionMs` so
 * `kansoku alerts` and the UI can show what happened.
 */
import type { Labels } from '../core/labels.js';
import type { PostableAlert } from '../rules/index.js';

export interface Acknowledgement {
  by: string;
  at: number;
  comment: string;
}

export interface StoredAlert {
  fingerprint: string;
  labels: Labels;
  annotations: Record<string, string>;
  startsAt: number;
  /** Set once resolved. */
  endsAt?: number;
  updatedAt: number;
  generatorURL?: string;
  value?: number;
  /** Parent alerts (rule dependencies) that suppress this alert. */
  dependsOnFiring?: string[];
  ack?: Acknowledgement;
}

export type AlertStatusState = 'active' | 'suppressed' | 'resolved';

/** Alertmanager's alert status, with Kansoku's reasons spelled out. */
export interface AlertStatus {
  state: AlertStatusState;
  silencedBy: string[];
  inhibitedBy: string[];
  /** Maintenance windows (by name) muting the alert. */
  mutedBy: string[];
  /** Firing parent alerts (dependencies), by fingerprint. */
  suppressedBy: string[];
  /** Human-readable reasons, e.g. "silenced by db-upgrade". */
  reasons: string[];
}

export const DEFAULT_ALERT_RETENTION_MS = 24 * 3600_000;

export class AlertStore {
  private readonly alerts = new Map<string, StoredAlert>();
  /** Bumped by every change of the set or of an alert's labels or end: caches of derived views key on it. */
  revision = 0;

  constructor(private readonly retentionMs = DEFAULT_ALERT_RETENTION_MS) {}

  /**
   * Merges an incoming alert; returns the stored record and whether it is new or changed state
   * (a new instance, or firing ↔ resolved), which is when routing must look at it.
   */
  upsert(a: PostableAlert, now: number): { alert: StoredAlert; changed: boolean } {
    this.revision++;
    const prev = this.alerts.get(a.fingerprint);
    const resolved = a.endsAt !== undefined && a.endsAt <= now;
    if (prev && !(prev.endsAt !== undefined && prev.endsAt <= now && !resolved && a.startsAt > prev.endsAt)) {
      const wasResolved = prev.endsAt !== undefined && prev.endsAt <= now;
      prev.annotations = { ...a.annotations };
      prev.updatedAt = now;
      prev.startsAt = Math.min(prev.startsAt, a.startsAt);
      if (a.value !== undefined) prev.value = a.value;
      if (a.generatorURL) prev.generatorURL = a.generatorURL;
      const deps = a.suppressedBy && a.suppressedBy.length ? [...a.suppressedBy] : undefined;
      const depsChanged = JSON.stringify(deps) !== JSON.stringify(prev.dependsOnFiring);
      if (deps) prev.dependsOnFiring = deps;
      else delete prev.dependsOnFiring;
      if (resolved) prev.endsAt = a.endsAt;
      else if (wasResolved) {
        // Re-fired before a new instance was warranted (startsAt not after the old end): reopen.
        delete prev.endsAt;
      }
      return { alert: prev, changed: wasResolved !== resolved || depsChanged };
    }
    const rec: StoredAlert = {
      fingerprint: a.fingerprint,
      labels: { ...a.labels },
      annotations: { ...a.annotations },
      startsAt: a.startsAt,
      updatedAt: now,
      ...(a.endsAt !== undefined ? { endsAt: a.endsAt } : {}),
      ...(a.generatorURL ? { generatorURL: a.generatorURL } : {}),
      ...(a.value !== undefined ? { value: a.value } : {}),
      ...(a.suppressedBy && a.suppressedBy.length ? { dependsOnFiring: [...a.suppressedBy] } : {}),
    };
    this.alerts.set(a.fingerprint, rec);
    return { alert: rec, changed: true };
  }

  /** Puts back a record persisted by an earlier process (restart). */
  restore(a: StoredAlert): void {
    this.revision++;
    this.alerts.set(a.fingerprint, { ...a, labels: { ...a.labels }, annotations: { ...a.annotations }, ...(a.ack ? { ack: { ...a.ack } } : {}) });
  }

  get(fingerprint: string): StoredAlert | undefined {
    return this.alerts.get(fingerprint);
  }

  list(): StoredAlert[] {
    return [...this.alerts.values()];
  }

  firing(now: number): StoredAlert[] {
    return this.list().filter((a) => !isResolved(a, now));
  }

  acknowledge(fingerprint: string, ack: Acknowledgement): StoredAlert | undefined {
    const a = this.alerts.get(fingerprint);
    if (a) a.ack = { ...ack };
    return a;
  }

  unacknowledge(fingerprint: string): void {
    const a = this.alerts.get(fingerprint);
    if (a) delete a.ack;
  }

  /** Drops resolved alerts older than the retention. */
  gc(now: number): void {
    for (const [fp, a] of this.alerts) {
      if (a.endsAt !== undefined && a.endsAt + this.retentionMs < now) {
        this.alerts.delete(fp);
        this.revision++;
      }
    }
  }
}

export function isResolved(a: StoredAlert, now: number): boolean {
  return a.endsAt !== undefined && a.endsAt <= now;
}
