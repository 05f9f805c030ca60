import { KindRegistry } from '../inventory/kinds.js';
import type { ServerModule } from './module.js';
import { SERVER_MODULES } from './modules.js';

/** Every kind the given modules add (by default, this build's modules). */
export function buildKindRegistry(modules: readonly ServerModule[] = SERVER_MODULES): KindRegistry {
  const registry = new KindRegistry();
  for (const m of modules) for (const k of m.kinds ?? []) registry.register(k);
  return registry;
}
