import { envelopeKeyId, isEnvelope, keyMismatch, SecretError, describeField, type SecretBox, type SecretField } from '../secrets/envelope.js';
import type { StateTx } from '../store/state-store.js';
import type { KindRegistry } from './kinds.js';
import { mapSecrets } from './sealed-specs.js';

export interface ResealReport {
  /** Objects and versions whose stored spec was rewritten. */
  objects: number;
  versions: number;
  /** Plain values found and sealed (left by a version before encryption at rest). */
  sealedPlain: number;
  /** Envelopes moved from an old key to the target key (rotation). */
  rekeyed: number;
}

/**
 * Brings every secret value in the store (live objects and every version, deleted objects' too)
 * under `target`: plain values are sealed, envelopes under one of `from` are re-sealed, envelopes
 * already under `target` stay as they are. An envelope under any other key stops the whole
 * transaction with a message naming both key ids, so a wrong key can never be mixed in.
 * Run it inside one state-store transaction: all values move or none do.
 */
export async function resealStoredSecrets(tx: StateTx, registry: KindRegistry, target: SecretBox, from: readonly SecretBox[] = []): Promise<ResealReport> {
  const report: ResealReport = { objects: 0, versions: 0, sealedPlain: 0, rekeyed: 0 };
  const byId = new Map(from.map((b) => [b.keyId, b]));
  const reseal = (kind: string, name: string, spec: unknown): { spec: unknown; changed: boolean } => {
    let changed = false;
    const out = mapSecrets(registry.get(kind), spec, (v, path) => {
      const field: SecretField = { kind, name, path };
      if (!isEnvelope(v)) {
        changed = true;
        report.sealedPlain++;
        return target.seal(v, field);
      }
      const id = envelopeKeyId(v);
      if (id === undefined) throw new SecretError('KSK_SECRET_MALFORMED', `secret in ${describeField(field)} is not a readable envelope; the stored value was altered`);
      if (id === target.keyId) return v;
      const old = byId.get(id);
      if (!old) throw keyMismatch(field, id, [target, ...from]);
      changed = true;
      report.rekeyed++;
      return target.seal(old.open(v, field), field);
    });
    return { spec: out, changed };
  };
  for (const def of registry.list()) {
    if (!def.secretPaths?.length) continue;
    for (const o of await tx.listObjects({ kind: def.kind })) {
      const r = reseal(o.kind, o.name, o.spec);
      if (!r.changed) continue;
      await tx.updateObject({ ...o, spec: r.spec }, o.version);
      report.objects++;
    }
    for (const v of await tx.listKindVersions(def.kind)) {
      const r = reseal(v.kind, v.name, v.spec);
      if (!r.changed) continue;
      await tx.rewriteVersionSpec(v.kind, v.name, v.version, r.spec);
      report.versions++;
    }
  }
  return report;
}
