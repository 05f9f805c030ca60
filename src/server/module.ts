import type { FastifyInstance } from 'fastify';
import type { ServerConfig } from '../config/server-config.js';
import type { KindDefinition } from '../inventory/kinds.js';
import type { ObjectService } from '../inventory/object-service.js';
import type { Logger } from '../lib/logger.js';
import type { SelfMetrics } from '../selfmon/metrics.js';
import type { StateStore } from '../store/state-store.js';
import type { TelemetryStore } from '../store/telemetry-store.js';

/**
 * A capability plugs into the server as a module: the kinds it adds, and a start function that
 * receives the shared services and returns its HTTP routes and how to stop it. The composition
 * root (main.ts) starts modules in list order after the stores are open and stops them in
 * reverse order after HTTP has stopped and before the stores close.
 */
export interface ServerModule {
  readonly name: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly kinds?: readonly KindDefinition<any>[];
  start?(cx: ModuleContext): Promise<ModuleHandle | void>;
}

export interface ModuleContext {
  readonly config: ServerConfig;
  /** Child logger with `component` set to the module's name. */
  readonly logger: Logger;
  readonly state: StateStore;
  readonly telemetry: TelemetryStore;
  readonly objects: ObjectService;
  readonly metrics: SelfMetrics;
  /** Handles of modules started before this one, by name (e.g. the check scheduler for alerting). */
  readonly modules: ReadonlyMap<string, ModuleHandle>;
}

export interface ModuleHandle {
  /** Registers the module's HTTP routes (authentication and error handling are already in place). */
  routes?(app: FastifyInstance): void | Promise<void>;
  /** Whether the module is ready; throw with the reason when not (feeds /readyz). */
  ready?(): Promise<void>;
  /** Stops background work and waits for work in flight. */
  stop?(): Promise<void>;
  /** Anything the module offers to modules started after it. */
  readonly api?: unknown;
}
