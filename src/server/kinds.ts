import { KindRegistry } from '../inventory/kinds.js';
import { runbookKind } from '../incidents/runbook-kind.js';

/** Every kind this build knows. A capability adds its kind here, once. */
export function buildKindRegistry(): KindRegistry {
  const registry = new KindRegistry();
  registry.register(runbookKind);
  return registry;
}
